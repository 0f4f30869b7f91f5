// The dataset-wide `kmeans` operator: one feature vector per series (its values, its PAA
// means, or numeric columns of an earlier table step), clustered by the kmeans kernel's
// procedure with every sum combined over the run's chunks as the kernel combines them.
//
// Distribution: rows stay where they are. Each rank assigns its rows and accumulates one
// partial per chunk; the partials are combined over the chunk tree
// (reduce_chunk_tree_sliced, parallel/ordered_reduce.hpp): each rank folds the tree's whole
// nodes within its chunks at the same time as the others, rank q completes the tree for
// slice q of the sums' columns from every rank's nodes, and the slices are gathered, so
// every rank gets the same total and the same new centroids. (A left fold
// in chunk order would give the same bits on any rank count too, but across ranks it is a
// chain: with d = 10,000 features each chunk's partial is a third of its data, and the
// second rank waited for the first.) k-means++ gathers the chunk sums of D2 (in chunk
// order), every rank makes the same draw, and the owner of the chosen chunk picks the row
// and sends its features to all. With the run's chunk grid equal to the kernel's chunk_rows
// grid, the result is bit-identical to kmeans() in one process; in any case it is the same
// on any rank count, because the chunk grid, and so the tree, is.
#include <algorithm>
#include <cmath>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "algo/dataset/dataset_support.hpp"
#include "algo/kernels/kmeans.hpp"
#include "algo/operator.hpp"
#include "algo/param_fields.hpp"
#include "algo/series/paa.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "parallel/agreement.hpp"
#include "parallel/ordered_reduce.hpp"

namespace tsbatch {
namespace {

enum output : std::size_t { out_labels, out_centroids };

enum class feature_kind { values, paa, table };
// The centroids' axis name for each kind, in enum order.
inline constexpr std::array feature_axis_names{"time", "segment", "column"};

// How the first centroids are drawn; k-means++ is the one method.
enum class kmeans_init { kmeans_plus_plus };
inline constexpr std::array kmeans_init_names{"kmeans++"};

struct kmeans_settings {
    kmeans_params p;
    kmeans_init init = kmeans_init::kmeans_plus_plus;
    feature_kind features = feature_kind::values;
    std::int64_t segments = 8;
    std::vector<std::string> columns;  ///< table columns; empty = every numeric column

    static const param_fields<kmeans_settings>& fields();
};

// Everything of a partial but its sums, with `d` for their width (a slice's, below).
void encode_head(byte_writer& w, const kmeans_partial& p, std::size_t d) {
    w.pod(static_cast<std::uint64_t>(p.k));
    w.pod(static_cast<std::uint64_t>(d));
    w.array(p.count);
    w.pod(p.inertia);
    w.pod(p.changed);
    w.pod(static_cast<std::uint64_t>(p.farthest.size()));
    for (const auto& f : p.farthest) {
        w.pod(f.dist2);
        w.pod(static_cast<std::uint64_t>(f.row));
        w.pod(static_cast<std::uint64_t>(f.label));
    }
}

void encode_partial(byte_writer& w, const kmeans_partial& p) {
    encode_head(w, p, p.d);
    w.array(p.sum);
}

// Slice q of `slices` of a partial: the columns [q d / slices, (q + 1) d / slices) of every
// centroid's sum, and the counts, inertia, change count and candidates whole. Slices combine
// like partials (combine adds sums column by column and treats the rest alike in every
// slice), so the chunk tree's top is finished slice by slice with the bits of the whole.
void encode_partial_slice(byte_writer& w, const kmeans_partial& p, std::size_t q, std::size_t slices) {
    const std::size_t begin = q * p.d / slices, end = (q + 1) * p.d / slices;
    encode_head(w, p, end - begin);
    w.pod(static_cast<std::uint64_t>(p.k * (end - begin)));  // the sums as one array, row by row
    for (std::size_t c = 0; c < p.k; ++c) w.items(std::span<const double>(p.sum).subspan(c * p.d + begin, end - begin));
}

kmeans_partial decode_partial(byte_reader& r) {
    kmeans_partial p;
    p.k = static_cast<std::size_t>(r.pod<std::uint64_t>());
    p.d = static_cast<std::size_t>(r.pod<std::uint64_t>());
    p.count = r.array<std::uint64_t>();
    p.inertia = r.pod<double>();
    p.changed = r.pod<std::uint64_t>();
    const auto n = r.pod<std::uint64_t>();
    for (std::uint64_t i = 0; i < n; ++i) {
        kmeans_candidate f;
        f.dist2 = r.pod<double>();
        f.row = static_cast<std::size_t>(r.pod<std::uint64_t>());
        f.label = static_cast<std::size_t>(r.pod<std::uint64_t>());
        p.farthest.push_back(f);
    }
    p.sum = r.array<double>();
    return p;
}

// The whole partial from its slices in order.
kmeans_partial join_partial_slices(std::vector<kmeans_partial> slices) {
    const std::size_t k = slices.front().k;
    std::size_t d = 0;
    for (const auto& s : slices) d += s.d;
    std::vector<double> sum(k * d);
    std::size_t at = 0;
    for (const auto& s : slices) {
        for (std::size_t c = 0; c < k; ++c) std::copy_n(s.sum.data() + c * s.d, s.d, sum.data() + c * d + at);
        at += s.d;
    }
    kmeans_partial p = std::move(slices.front());  // the counts and the rest are alike in every slice
    p.d = d;
    p.sum = std::move(sum);
    return p;
}

std::vector<std::string> split_names(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
        if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    }
    return out;
}

// This rank's features (rows x d, row-major) and d, checked finite (agreed across ranks).
// With features: values they are the input batch's values where they lie: series on one grid
// are already that matrix, and a copy would double the step's memory (8 GB more for 100,000
// series of 10,000 points) and fault every page of it in again.
class feature_matrix {
public:
    feature_matrix() = default;
    feature_matrix(feature_matrix&&) noexcept = default;  // `owned` keeps its buffer, so x stays valid
    feature_matrix(const feature_matrix&) = delete;

    std::span<const double> x;  ///< rows x d: the input's values, or `owned`
    std::size_t d = 0;
    std::vector<std::string> names;  ///< the table columns used (features: table), else empty

    /// n features computed here (PAA means, table columns), zeroed for the caller to fill.
    std::span<double> own(std::size_t n) {
        owned.assign(n, 0.0);
        x = owned;
        return owned;
    }

private:
    std::vector<double> owned;
};

class kmeans_op final : public dataset_operator {
public:
    explicit kmeans_op(kmeans_settings s) : s_(std::move(s)) {}

    std::vector<column_spec> columns(std::size_t) const override {
        return {{"cluster", column_type::int64, "", "cluster of the series, 0 .. k-1"},
                {"distance", column_type::float64, "", "Euclidean distance to the cluster's centroid"}};
    }

    void apply(const dataset_input& in, const comm& c, dataset_outputs& out) const override {
        const std::size_t n = in.total_rows;
        if (s_.p.k > n)
            throw param_error(
                "k", "must not exceed the number of series (" + std::to_string(n) + "), got " + std::to_string(s_.p.k));
        const feature_matrix f = features(in, c);
        const auto chunks = local_chunks(in);
        std::vector<std::uint64_t> chunk_first;  // global row of each local chunk's first row
        for (const auto& ch : chunks) chunk_first.push_back(in.first_row + ch.begin);
        const chunk_share share = share_of_chunks(c, chunks.size());

        std::mt19937_64 seeds(s_.p.seed);
        run_result best;
        for (std::size_t run = 0; run < s_.p.n_init; ++run) {
            run_result r = run_once(c, f, in, chunks, chunk_first, share, seeds());
            r.run = run;
            if (run == 0 || r.inertia < best.inertia) best = std::move(r);
        }

        auto& labels = out.table(out_labels);
        const std::size_t rows = in.rows();
        const std::vector<series_meta>& meta = in.series ? in.series->meta : in.table->meta;
        for (std::size_t i = 0; i < rows; ++i) {
            labels.meta.push_back(meta[i]);
            row_sink row(labels);
            row.set(0, static_cast<std::int64_t>(best.labels[i]));
            row.set(1, std::sqrt(best.dist2[i]));
        }
        auto& cm = out.matrix(out_centroids);
        cm.create(s_.p.k, f.d, {"cluster", feature_axis()});
        cm.set_attr("inertia", best.inertia);
        cm.set_attr("iterations", static_cast<double>(best.iterations));
        cm.set_attr("converged", best.converged ? "true" : "false");
        cm.set_attr("best_run", static_cast<double>(best.run));
        cm.set_attr("seed", static_cast<double>(s_.p.seed));
        if (!f.names.empty()) {  // the column labels a CSV export and readers show
            std::string joined;
            for (const auto& name : f.names) joined += (joined.empty() ? "" : ",") + name;
            cm.set_attr("col_labels", joined);
        }
        if (c.is_root()) cm.write(0, 0, s_.p.k, f.d, best.centroids);
    }

private:
    struct run_result {
        std::vector<std::size_t> labels;
        std::vector<double> dist2;
        std::vector<double> centroids;
        double inertia = 0;
        std::size_t iterations = 0;
        bool converged = false;
        std::size_t run = 0;
    };

    std::string feature_axis() const { return enum_name(s_.features, feature_axis_names, "feature"); }

    // The feature rows of this rank; every check that can fail on one rank alone is agreed.
    feature_matrix features(const dataset_input& in, const comm& c) const {
        feature_matrix f;
        if (s_.features == feature_kind::table) {
            if (!in.table)
                throw param_error("features", "table needs a table input: name its step, as in features: table:<step>");
            table_features(*in.table, c, f);
            return f;
        }
        if (!in.series)
            throw param_error("features", "'" + std::string(s_.features == feature_kind::paa ? "paa" : "values") +
                                              "' needs a series input; the input is a table (use features: table)");
        const series_batch& b = *in.series;
        const auto local = views_of(b);
        if (s_.features == feature_kind::values) {
            const auto axis = time_axis_of_row0(c, local);
            const auto bad = first_time_axis_mismatch(c, local, in.first_row, axis);
            if (bad >= 0) {
                const auto id0 = id_of_row(c, b.meta, in.first_row, 0);
                const auto idb = id_of_row(c, b.meta, in.first_row, static_cast<std::uint64_t>(bad));
                throw input_error("kmeans: features: values needs series on one time grid, but series '" + idb +
                                  "' (row " + std::to_string(bad) + ") does not share the timestamps of '" + id0 +
                                  "' (row 0); resample them first, or use features: paa");
            }
            f.d = axis.size();
            // Every series has the axis' length, so the batch's values are the rows one after another.
            if (b.value.size() != local.size() * f.d)
                throw internal_error("kmeans: the values of series on one grid are not a matrix");
            f.x = b.value;
        } else {
            f.d = static_cast<std::size_t>(s_.segments);
            const auto x = f.own(local.size() * f.d);
            const paa_params pp{s_.segments, paa_by::points};
            for (std::size_t i = 0; i < local.size(); ++i) paa(local[i], pp, x.subspan(i * f.d, f.d));
        }
        agreed_phase(c, [&] {
            if (f.d == 0) throw input_error("kmeans: the series have no points to cluster");
            for (std::size_t i = 0; i < f.x.size(); ++i)
                if (!std::isfinite(f.x[i])) {
                    const auto row = i / f.d, col = i % f.d;
                    const std::string where = s_.features == feature_kind::values
                                                  ? "at " + format_iso8601(local[row].time[col])
                                                  : "in PAA segment " + std::to_string(col + 1);
                    throw input_error("kmeans: series '" + b.meta[row].id + "' has a missing or non-finite value " +
                                      where + "; fill or drop missing values before clustering");
                }
        });
        return f;
    }

    void table_features(const table_batch& t, const comm& c, feature_matrix& f) const {
        std::vector<std::size_t> use;
        std::vector<std::string> numeric;
        for (std::size_t k = 0; k < t.columns.size(); ++k)
            if (t.columns[k].spec.type != column_type::string) numeric.push_back(t.columns[k].spec.name);
        if (s_.columns.empty()) {
            for (std::size_t k = 0; k < t.columns.size(); ++k)
                if (t.columns[k].spec.type != column_type::string) use.push_back(k);
        } else {
            for (const auto& name : s_.columns) {
                std::size_t k = 0;
                while (k < t.columns.size() && t.columns[k].spec.name != name) ++k;
                if (k == t.columns.size() || t.columns[k].spec.type == column_type::string) {
                    std::string list;
                    for (const auto& nm : numeric) list += (list.empty() ? "" : ", ") + nm;
                    throw param_error(
                        "columns",
                        "'" + name + "' is not a numeric column of the input table; its numeric columns are " + list);
                }
                use.push_back(k);
            }
        }
        if (use.empty()) throw param_error("features", "the input table has no numeric column");
        f.d = use.size();
        for (const auto k : use) f.names.push_back(t.columns[k].spec.name);
        const auto x = f.own(t.size() * f.d);
        for (std::size_t i = 0; i < t.size(); ++i)
            for (std::size_t j = 0; j < use.size(); ++j) {
                const auto& col = t.columns[use[j]];
                x[i * f.d + j] = col.spec.type == column_type::int64 ? static_cast<double>(col.ints[i]) : col.floats[i];
            }
        agreed_phase(c, [&] {
            for (std::size_t i = 0; i < f.x.size(); ++i)
                if (!std::isfinite(f.x[i]))
                    throw input_error("kmeans: series '" + t.meta[i / f.d].id + "' has no finite value in column '" +
                                      t.columns[use[i % f.d]].spec.name + "'; filter or fill it before clustering");
        });
    }

    // One restart: distributed k-means++, then Lloyd iterations (the kernel's run_once).
    run_result run_once(const comm& c, const feature_matrix& f, const dataset_input& in,
                        const std::vector<row_range>& chunks, const std::vector<std::uint64_t>& chunk_first,
                        const chunk_share& share, std::uint64_t seed) const {
        std::mt19937_64 g(seed);
        run_result r;
        r.centroids = init(c, f, in, chunks, g);
        const std::size_t rows = in.rows();
        r.labels.assign(rows, 0);
        r.dist2.assign(rows, 0.0);
        kmeans_lloyd(
            r, rows, s_.p,
            [&](std::span<const double> centroids, std::vector<std::size_t>& labels,
                std::span<const std::size_t> previous) {
                return assign_pass(c, f, chunks, chunk_first, share, centroids, labels, r.dist2, previous);
            },
            [&](std::span<const std::size_t> reseed) {
                // Collective, and every rank asks for the same rows: they come from the
                // total, which is the same on every rank.
                std::vector<double> out;
                for (const std::size_t row : reseed) {
                    const auto v = row_of_matrix(c, f.x, f.d, in.first_row, row);
                    out.insert(out.end(), v.begin(), v.end());
                }
                return out;
            });
        return r;
    }

    // Collective: one assignment pass, the chunks' partials combined over the chunk tree.
    kmeans_partial assign_pass(const comm& c, const feature_matrix& f, const std::vector<row_range>& chunks,
                               const std::vector<std::uint64_t>& chunk_first, const chunk_share& share,
                               std::span<const double> centroids, std::vector<std::size_t>& labels,
                               std::vector<double>& dist2, std::span<const std::size_t> previous) const {
        const std::size_t k = s_.p.k, d = f.d;
        auto total = reduce_chunk_tree_sliced<kmeans_partial>(
            c, share,
            [&](std::size_t q) {
                // Assigned and summed while the chunk's rows are still in cache.
                const auto ch = chunks[q];
                const auto rows = std::span<const double>(f.x).subspan(ch.begin * d, ch.size() * d);
                const auto lab = std::span<std::size_t>(labels).subspan(ch.begin, ch.size());
                const auto d2 = std::span<double>(dist2).subspan(ch.begin, ch.size());
                kmeans_assign(rows, d, centroids, lab, d2);
                return kmeans_accumulate(rows, d, k, chunk_first[q], lab, d2,
                                         previous.empty() ? previous : previous.subspan(ch.begin, ch.size()));
            },
            combine_kmeans_partials, encode_partial_slice, encode_partial, decode_partial, join_partial_slices,
            kmeans_partial(k, d));
        check_kmeans_inertia(total);
        return total;
    }

    // k-means++ over all ranks; every rank returns the same k x d centres.
    std::vector<double> init(const comm& c, const feature_matrix& f, const dataset_input& in,
                             const std::vector<row_range>& chunks, std::mt19937_64& g) const {
        const std::size_t n = in.total_rows, k = s_.p.k, d = f.d;
        std::vector<double> centres;
        centres.reserve(k * d);
        std::vector<std::uint64_t> chosen;
        const auto take = [&](std::uint64_t row) {
            chosen.push_back(row);
            const auto v = row_of_matrix(c, f.x, d, in.first_row, row);
            centres.insert(centres.end(), v.begin(), v.end());
        };
        const auto first = static_cast<std::uint64_t>(kmeans_uniform(g) * static_cast<double>(n));
        take(std::min<std::uint64_t>(first, n - 1));
        std::vector<double> dist2(in.rows());
        // Every chunk's rank and local index, in global chunk order.
        const auto chunk_counts = c.allgather(static_cast<std::uint64_t>(chunks.size()));
        for (std::size_t cc = 1; cc < k; ++cc) {
            kmeanspp_distances(f.x, d, std::span<const double>(centres).subspan((cc - 1) * d, d), dist2, cc == 1);
            std::vector<double> sums;
            for (const auto& ch : chunks)
                sums.push_back(kmeans_fold(std::span<const double>(dist2).subspan(ch.begin, ch.size())));
            const auto all_sums = c.allgatherv(std::span<const double>(sums));
            const kmeanspp_choice choice = kmeanspp_choose_chunk(all_sums, kmeans_uniform(g));
            if (choice.none) {
                std::uint64_t row = 0;
                while (std::find(chosen.begin(), chosen.end(), row) != chosen.end()) ++row;
                take(row);
                continue;
            }
            // The owner of the chosen chunk picks the row; everyone learns it.
            std::size_t before = 0;
            int owner = 0;
            while (before + chunk_counts[static_cast<std::size_t>(owner)] <= choice.chunk)
                before += chunk_counts[static_cast<std::size_t>(owner++)];
            std::int64_t row = 0;
            if (c.rank() == owner) {
                const auto ch = chunks[choice.chunk - before];
                row = static_cast<std::int64_t>(
                    in.first_row + ch.begin +
                    kmeanspp_choose_in_chunk(std::span<const double>(dist2).subspan(ch.begin, ch.size()),
                                             choice.remainder));
            }
            take(static_cast<std::uint64_t>(c.max(c.rank() == owner ? row : -1)));
        }
        return centres;
    }

    kmeans_settings s_;
};

// `features` as written: values, paa, table or table:<step> (the config has already made that
// step the input).
feature_kind parse_features(const std::string& text) {
    if (text == "values") return feature_kind::values;
    if (text == "paa") return feature_kind::paa;
    if (text == "table" || (text.rfind("table:", 0) == 0 && text.size() > 6)) return feature_kind::table;
    throw param_error("features", "must be values, paa, table:<step> or table, got '" + text + "'");
}

const param_fields<kmeans_settings>& kmeans_settings::fields() {
    using P = kmeans_settings;
    static const auto fields =
        param_fields<P>()
            .integer(
                "k", [](P & s) -> auto& { return s.p.k; }, "number of clusters (<= number of series)")
            .required()
            .min(1)
            .custom(param_type::string, "features",
                    "values: the series' values (one time grid); paa: `segments` PAA means; table:<step> (or table "
                    "with input: <step>): the numeric columns of that table step",
                    [](P& s, const param_value& v) { s.features = parse_features(std::get<std::string>(v)); })
            .defaults_to(std::string("values"))
            .integer("segments", &P::segments, "PAA segments per series (features: paa)")
            .min(1)
            .max(max_paa_segments)
            .custom(param_type::string, "columns",
                    "table columns to use, comma-separated (features: table); empty: every numeric column",
                    [](P& s, const param_value& v) { s.columns = split_names(std::get<std::string>(v)); })
            .defaults_to(std::string())
            .choice("init", &P::init, kmeans_init_names, "initial centroids")
            .integer(
                "seed", [](P & s) -> auto& { return s.p.seed; }, "seed of the random draws (same seed, same clusters)")
            .min(0)
            .integer(
                "max_iter", [](P & s) -> auto& { return s.p.max_iter; }, "centroid updates per restart at most")
            .min(1)
            .integer(
                "n_init", [](P & s) -> auto& { return s.p.n_init; }, "restarts; the lowest inertia wins")
            .min(1)
            .number(
                "tol", [](P & s) -> auto& { return s.p.tol; },
                "stop when the inertia falls by at most tol times its previous value")
            .min(0);
    return fields;
}

}  // namespace

operator_def make_kmeans_def() {
    operator_def d = describe_dataset_operator<kmeans_settings>(
        "kmeans",
        "dataset-wide: k-means clustering of the series (their values, PAA means, or columns of a table step); "
        "seeded k-means++, the same labels on any rank count");
    d.outputs = {
        {"labels", data_kind::table, "cluster and distance to its centroid, one row per series"},
        {"centroids", data_kind::matrix, "k x features"},
    };
    d.reads_tables = true;
    d.input_param = "features";
    d.bind = bind_from_fields<kmeans_settings, kmeans_op, &bound_operator::dataset>;
    return d;
}

}  // namespace tsbatch
