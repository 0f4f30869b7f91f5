// The dataset-wide `pca` operator. The M series (sharing one time axis of T timestamps) are
// the columns of a T x M matrix, but ranks hold whole series, i.e. columns. PCA needs rows
// (timestamps) with every column, so the data is transposed once: the T rows are cut into
// the kernel's chunks of pca_chunk_rows from row 0, rank q receives the values of every series
// for its consecutive run of chunks (alltoallv), accumulates each chunk's partial sums, and
// the partials are combined over the chunk tree (reduce_chunk_tree, parallel/ordered_reduce.hpp):
// each rank folds the tree's whole nodes within its chunks at the same time as the others,
// and every rank completes the tree from the gathered nodes. The tree is the kernel's own
// (pca_partial_sums), so the model is bit-identical to a one-process PCA on any rank count;
// unlike a left fold in chunk order, it does not make each rank wait for the one before.
// Memory per rank: its share of the data, twice, plus an M x M co-moment per level of the
// tree being folded and per node gathered (about 2 log2(chunks) of them).
#include <algorithm>
#include <string>
#include <vector>

#include "algo/dataset/dataset_support.hpp"
#include "algo/kernels/pca.hpp"
#include "algo/operator.hpp"
#include "algo/param_fields.hpp"
#include "parallel/agreement.hpp"
#include "parallel/ordered_reduce.hpp"

namespace tsbatch {
namespace {

enum output : std::size_t { out_components, out_variance, out_loadings, out_series };

struct pca_settings {
    std::size_t components = 1;
    bool center = true;

    static const param_fields<pca_settings>& fields();
};

void encode_partial(byte_writer& w, const pca_partial& p) {
    w.pod(static_cast<std::uint64_t>(p.m));
    w.pod(p.rows);
    w.pod(p.skipped_rows);
    w.array(p.mean);
    w.array(p.comoment);
}

pca_partial decode_partial(byte_reader& r) {
    pca_partial p;
    p.m = static_cast<std::size_t>(r.pod<std::uint64_t>());
    p.rows = r.pod<std::uint64_t>();
    p.skipped_rows = r.pod<std::uint64_t>();
    p.mean = r.array<double>();
    p.comoment = r.array<double>();
    return p;
}

// Rank q's chunks of pca_chunk_rows rows of the T x M matrix, as evenly as possible.
chunk_share chunks_of_rank(std::size_t T, int q, int R) {
    const std::size_t chunks = (T + pca_chunk_rows - 1) / pca_chunk_rows;
    const std::size_t c0 = chunks * static_cast<std::size_t>(q) / static_cast<std::size_t>(R);
    const std::size_t c1 = chunks * static_cast<std::size_t>(q + 1) / static_cast<std::size_t>(R);
    return {c0, c1 - c0, chunks};
}

// Rank q's rows: those of its chunks.
row_range rows_of_rank(std::size_t T, int q, int R) {
    const auto share = chunks_of_rank(T, q, R);
    return {std::min(T, share.first * pca_chunk_rows), std::min(T, (share.first + share.count) * pca_chunk_rows)};
}

class pca_op final : public dataset_operator {
public:
    explicit pca_op(pca_settings s) : s_(s) {}

    std::vector<column_spec> columns(std::size_t output) const override {
        if (output == out_series)
            return {{"mean", column_type::float64, "", "mean of the series' complete rows (0 when not centred)"}};
        return {
            {"component", column_type::int64, "", "1 = the component of largest variance"},
            {"explained_variance", column_type::float64, "", "variance along the component (eigenvalue)"},
            {"ratio", column_type::float64, "", "share of the total variance"},
            {"cumulative_ratio", column_type::float64, "", "share of the total variance up to this component"},
        };
    }

    void apply(const dataset_input& in, const comm& c, dataset_outputs& out) const override {
        const series_batch& batch = *in.series;
        const auto local = views_of(batch);
        const std::size_t M = in.total_rows;
        if (M == 0) throw input_error("pca: the input holds no series");
        if (s_.components > M)
            throw param_error("components", "must not exceed the number of series (" + std::to_string(M) + "), got " +
                                                std::to_string(s_.components));
        const auto axis = time_axis_of_row0(c, local);
        const auto bad = first_time_axis_mismatch(c, local, in.first_row, axis);
        if (bad >= 0) {
            const auto id0 = id_of_row(c, batch.meta, in.first_row, 0);
            const auto idb = id_of_row(c, batch.meta, in.first_row, static_cast<std::uint64_t>(bad));
            throw input_error("pca: series '" + idb + "' (row " + std::to_string(bad) +
                              ") does not share the timestamps of '" + id0 +
                              "' (row 0); PCA needs every series on one time grid (resample them first)");
        }
        const std::size_t T = axis.size();
        const int R = c.size(), me = c.rank();

        // Transpose: rank q gets every series' values at its rows, series in global order.
        std::vector<std::vector<std::byte>> send(static_cast<std::size_t>(R));
        for (int q = 0; q < R; ++q) {
            const auto rows = rows_of_rank(T, q, R);
            byte_writer w;
            w.reserve(8 + local.size() * rows.size() * sizeof(double));
            w.pod(static_cast<std::uint64_t>(local.size()));
            for (const auto& s : local) w.array(s.value.subspan(rows.begin, rows.size()));
            send[static_cast<std::size_t>(q)] = w.take();
        }
        const auto mine = rows_of_rank(T, me, R);
        std::vector<std::vector<double>> columns;
        columns.reserve(M);
        for (auto& bytes : c.alltoallv(std::move(send))) {
            byte_reader r(bytes);
            const auto n = r.pod<std::uint64_t>();
            for (std::uint64_t i = 0; i < n; ++i) columns.push_back(r.array<double>());
        }
        std::vector<std::span<const double>> cols(columns.begin(), columns.end());

        pca_partial none;  // no rows at all: pca_fit refuses it
        none.m = M;
        none.mean.assign(M, 0.0);
        none.comoment.assign(M * M, 0.0);
        const auto total = reduce_chunk_tree<pca_partial>(
            c, chunks_of_rank(T, me, R),
            [&](std::size_t q) {
                const std::size_t from = q * pca_chunk_rows, n = std::min(pca_chunk_rows, mine.size() - from);
                std::vector<std::span<const double>> chunk;
                chunk.reserve(M);
                for (const auto& col : cols) chunk.push_back(col.subspan(from, n));
                return pca_accumulate(chunk);
            },
            combine_pca_partials, encode_partial, decode_partial, std::move(none));
        const pca_model model = pca_fit(total, s_.components, s_.center);

        // Projections of this rank's rows, gathered on rank 0 into one series per component.
        const std::size_t K = model.components;
        std::vector<double> proj(K * mine.size());
        pca_project(model, cols, proj);
        std::vector<std::vector<std::byte>> to_root(static_cast<std::size_t>(R));
        byte_writer pw;
        pw.array(proj);
        to_root[0] = pw.take();
        const auto got = c.alltoallv(std::move(to_root));

        auto& variance = out.table(out_variance);
        auto& loadings = out.matrix(out_loadings);
        loadings.create(K, M, {"component", "series"});
        loadings.set_attr("rows", static_cast<double>(model.rows));
        loadings.set_attr("skipped_rows", static_cast<double>(model.skipped_rows));
        loadings.set_attr("center", s_.center ? "true" : "false");
        auto& axis_table = out.table(out_series);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            axis_table.meta.push_back(batch.meta[i]);
            row_sink(axis_table).set(0, model.mean[in.first_row + i]);
        }
        if (!c.is_root()) return;
        loadings.write(0, 0, K, M, model.loadings);
        auto& comps = out.series(out_components);
        std::vector<std::vector<double>> parts;
        for (const auto& bytes : got) {
            byte_reader r(bytes);
            parts.push_back(r.array<double>());
        }
        for (std::size_t k = 0; k < K; ++k) {
            series_meta m;
            m.id = m.metric = "pc" + std::to_string(k + 1);
            m.source_index = k;
            auto sink = comps.open_series(m);
            std::size_t t = 0;
            for (int q = 0; q < R; ++q) {
                const auto rows = rows_of_rank(T, q, R);
                const auto& part = parts[static_cast<std::size_t>(q)];
                for (std::size_t i = 0; i < rows.size(); ++i, ++t) sink.push(axis[t], part[k * rows.size() + i]);
            }
            comps.close_series();
            variance.meta.push_back(m);
            row_sink row(variance);
            row.set(0, static_cast<std::int64_t>(k + 1));
            row.set(1, model.explained_variance[k]);
            row.set(2, model.explained_variance_ratio[k]);
            row.set(3, model.cumulative_ratio[k]);
        }
    }

private:
    pca_settings s_;
};

const param_fields<pca_settings>& pca_settings::fields() {
    using P = pca_settings;
    static const auto fields =
        param_fields<P>()
            .integer("components", &P::components, "number of components (<= number of series)")
            .required()
            .min(1)
            .boolean("center", &P::center,
                     "subtract each series' mean (sample covariance); false: second moments (pyspark)");
    return fields;
}

}  // namespace

operator_def make_pca_def() {
    operator_def d = describe_dataset_operator<pca_settings>(
        "pca",
        "dataset-wide: principal components of series that share their timestamps (series = variables, "
        "timestamps = observations)");
    d.outputs = {
        {"components", data_kind::series, "one series per component: the projections at every timestamp"},
        {"variance", data_kind::table, "explained variance and its ratio per component"},
        {"loadings", data_kind::matrix, "components x series: the unit eigenvectors"},
        {"series", data_kind::table, "the loadings' series axis, with each series' mean"},
    };
    d.bind = bind_from_fields<pca_settings, pca_op, &bound_operator::dataset>;
    return d;
}

}  // namespace tsbatch
