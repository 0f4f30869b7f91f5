// The dataset-wide `correlation` operator: the matrix of every pair of the run's series,
// computed where the data meets, never gathered on one rank. With `group_by`, one matrix per
// context instead (correlation_contexts.cpp).
//
// Without `group_by` (one context): the N x N matrix of every pair of series.
// Distribution: rank r holds block r, consecutive rows that start on the grid of sub-tiles
// (multiples of corr_sub_tile rows; the rows a rank read are first moved to the rank whose
// block holds them). The blocks travel round a ring: at step s (s = 0 .. R/2) rank r holds
// block (r + s) mod R and computes the tile of its own block against it, then passes it to
// rank r - 1. Each unordered pair of blocks meets exactly once (for even R the step R/2 pairs
// r with r + R/2, and the two share that tile by whole sub-tiles so that their work over the
// whole ring evens out: ring_half_step_split), so the work is balanced and a rank holds at
// most two blocks: memory per rank grows with the data it
// holds, not with N^2. Tiles are cut into sub-tiles of corr_sub_tile x corr_sub_tile pairs
// that go to the matrix sink as soon as they are computed (correlation_tiles.hpp).
//
// Rank-count independence: the pair of global rows i < j is always computed as
// correlate(x_i, x_j) (the kernel's result depends only on the two series), or, for complete
// series on one grid, in the BLAS product of its whole sub-tile of the global grid, whose
// contents depend only on the data (blocks start on that grid, and the half step is shared
// by whole sub-tiles); entry (j, i) is its mirror (same r; lag negated, since y following x by k is x
// following y by -k), and the diagonal is correlate(x_i, x_i). Which rank computes a pair
// changes with R; the bits do not.
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "algo/dataset/correlation_op.hpp"
#include "algo/dataset/dataset_support.hpp"
#include "algo/operator.hpp"
#include "algo/param_fields.hpp"
#include "core/error.hpp"

namespace tsbatch {

std::uint64_t ring_block_start(std::uint64_t q, std::uint64_t R, std::uint64_t total) {
    const std::uint64_t sub_tiles = (total + corr_sub_tile - 1) / corr_sub_tile;
    return std::min(total, q * sub_tiles / R * corr_sub_tile);
}

std::size_t ring_half_step_split(std::uint64_t low, std::uint64_t R, std::uint64_t total) {
    const auto size = [&](std::uint64_t q) {
        return ring_block_start(q + 1, R, total) - ring_block_start(q, R, total);
    };
    // Pairs a rank computes before step R/2: its triangle, then its block against the next
    // R/2 - 1 blocks of the ring.
    const auto before = [&](std::uint64_t r) {
        std::uint64_t pairs = size(r) * (size(r) + 1) / 2;
        for (std::uint64_t s = 1; s < R / 2; ++s) pairs += size(r) * size((r + s) % R);
        return pairs;
    };
    const std::uint64_t high = low + R / 2;
    const auto rows = sub_tile_pieces(ring_block_start(low, R, total), size(low));
    const auto cols = sub_tile_pieces(ring_block_start(high, R, total), size(high));
    // The lower rank's share of the tile that evens the two ranks' totals, in pairs (signed:
    // it may want none, or all).
    const auto x = static_cast<std::int64_t>(size(low) * size(high));
    const std::int64_t want =
        (static_cast<std::int64_t>(before(high)) - static_cast<std::int64_t>(before(low)) + x) / 2;
    std::size_t taken = 0, best = 0;
    std::int64_t pairs = 0, best_gap = want < 0 ? -want : want;
    for (const std::size_t r : rows)
        for (const std::size_t c : cols) {
            pairs += static_cast<std::int64_t>(r * c);
            ++taken;
            const std::int64_t gap = pairs > want ? pairs - want : want - pairs;
            if (gap < best_gap) best_gap = gap, best = taken;
        }
    return best;
}

namespace {

// Ships a packed block to rank r - 1 and returns the block rank r + 1 sent here.
series_block pass_on(const comm& c, std::vector<std::byte> packed) {
    const int R = c.size();
    std::vector<std::vector<std::byte>> send(static_cast<std::size_t>(R));
    send[static_cast<std::size_t>((c.rank() + R - 1) % R)] = std::move(packed);
    auto got = c.alltoallv(std::move(send));
    return unpack_block(std::move(got[static_cast<std::size_t>((c.rank() + 1) % R)]));
}

// A rank's block of the ring: its series, the first at global row `first`.
struct ring_block {
    std::uint64_t first = 0;
    std::vector<series_view> series;
    std::vector<series_block> received;  ///< the points of the series that came from other ranks
};

// Collective: each rank keeps the rows it read that fall in its block (ring_block_start) and sends
// the others to their block's rank.
ring_block align_to_sub_tiles(const comm& c, const std::vector<series_view>& own, std::uint64_t first_row,
                              std::uint64_t total) {
    const auto R = static_cast<std::uint64_t>(c.size()), me = static_cast<std::uint64_t>(c.rank());
    const auto block_start = [&](std::uint64_t q) { return ring_block_start(q, R, total); };
    const std::uint64_t own_end = first_row + own.size();
    // The part of this rank's rows that block q holds: [from, to), empty when from >= to.
    const auto part = [&](std::uint64_t q) {
        return std::pair{std::max(first_row, block_start(q)), std::min(own_end, block_start(q + 1))};
    };
    std::vector<std::vector<std::byte>> send(R);
    for (std::uint64_t q = 0; q < R; ++q) {
        const auto [from, to] = part(q);
        if (q != me && from < to) send[q] = pack_block(std::span(own).subspan(from - first_row, to - from), from);
    }
    auto got = c.alltoallv(std::move(send));
    ring_block b;
    b.first = block_start(me);
    b.received.reserve(R);
    // The series in row order: the parts of lower ranks, this rank's own, then the higher.
    for (std::uint64_t q = 0; q < R; ++q) {
        if (q == me) {
            const auto [from, to] = part(me);
            for (std::uint64_t row = from; row < to; ++row) b.series.push_back(own[row - first_row]);
        } else if (!got[q].empty()) {
            b.received.push_back(unpack_block(std::move(got[q])));
            const auto views = b.received.back().views();
            b.series.insert(b.series.end(), views.begin(), views.end());
        }
    }
    return b;
}

// The overlap of every pair when it is one number: all N series complete (usable or
// constant) on one grid, at lag 0 only. Every pair, the diagonal included, then has the
// grid's length as its overlap, in the BLAS products and in correlate() alike, and the
// overlap matrix is stored as that one value (of 10,000 series, 800 MB neither filled nor
// written). Collective; the answer depends on the data only.
std::optional<double> common_overlap(const comm& c, const ring_block& own, const corr_prepared_block& prep,
                                     const corr_params& p) {
    using st = corr_unit_vector::state;
    const bool complete =
        std::all_of(prep.state.begin(), prep.state.end(), [](st x) { return x == st::usable || x == st::constant; });
    if (c.max(p.max_lag == 0 && complete && prep.grid_rep.size() <= 1 ? 0 : 1) != 0) return std::nullopt;
    const bool holds = !own.series.empty();
    const auto length = static_cast<std::int64_t>(holds ? own.series.front().size() : 0);
    const std::int64_t longest = c.max(holds ? length : -1);
    if (-c.max(holds ? -length : -longest) != longest) return std::nullopt;
    if (p.align == corr_align::timestamps) {
        // The lowest rank holding series shows its grid; every other holder compares.
        const int root = static_cast<int>(-c.max(holds ? -c.rank() : -c.size()));
        const auto time = holds ? own.series.front().time : std::span<const std::int64_t>{};
        const std::vector<std::int64_t> shown = c.broadcast(time, root);
        const bool same = !holds || std::equal(time.begin(), time.end(), shown.begin(), shown.end());
        if (c.max(same ? 0 : 1) != 0) return std::nullopt;
    }
    return static_cast<double>(longest);
}

// The N x N matrix by the ring of blocks (see the top of this file).
void correlate_all_pairs(const correlation_settings& s, const dataset_input& in, const comm& c, dataset_outputs& out) {
    const series_batch& batch = *in.series;
    const std::uint64_t n = in.total_rows;
    auto& axis = out.table(corr_out_series);
    for (std::size_t i = 0; i < batch.size(); ++i) {
        axis.meta.push_back(batch.meta[i]);
        row_sink(axis).set(0, static_cast<std::int64_t>(batch.count(i)));
    }
    top_pairs_keeper top(s.top_pairs);
    std::array<std::uint64_t, corr_status_count> status_counts{};
    const ring_block own = align_to_sub_tiles(c, views_of(batch), in.first_row, n);
    const corr_prepared_block own_prep = prepare_block(own.series, s.corr);
    corr_tile_target target{
        create_pair_matrices(s, out, n, n, {"series", "series"}, common_overlap(c, own, own_prep, s.corr)),
        0,
        &top,
        &status_counts,
        {}};
    const corr_block mine{own.series, own_prep, own.first};
    const int R = c.size();
    series_block visiting;  // empty at step 0: the own block is used directly
    for (int step = 0; step <= R / 2; ++step) {
        if (step == 0) {
            correlate_tile(mine, mine, true, s.corr, target);
        } else {
            const auto other = visiting.views();
            const corr_prepared_block other_prep = prepare_block(other, s.corr);
            const corr_block theirs{other, other_prep, visiting.first_row};
            // The lower rows come first, so every pair is computed as (i < j). For even R,
            // step R/2 meets each pair of blocks on both of its ranks, which share the tile
            // by whole sub-tiles (ring_half_step_split): each is still one product, and the two
            // shares have no chunk of the matrix file in common.
            const bool lower = visiting.first_row > own.first;
            const corr_block& rows = lower ? mine : theirs;
            const corr_block& cols = lower ? theirs : mine;
            std::size_t begin = 0, end = static_cast<std::size_t>(-1);
            if (R % 2 == 0 && step == R / 2) {
                const auto low = static_cast<std::uint64_t>(lower ? c.rank() : (c.rank() + R / 2) % R);
                (lower ? end : begin) = ring_half_step_split(low, static_cast<std::uint64_t>(R), n);
            }
            correlate_tile(rows, cols, false, s.corr, target, begin, end);
        }
        // The own block is packed once; a visiting one goes on as it came.
        if (step < R / 2)
            visiting = pass_on(c, step == 0 ? pack_block(own.series, own.first) : std::move(visiting.bytes));
    }
    finish_pair_outputs(c, s, status_counts, top, batch.meta, in.first_row, out);
}

class correlation_op final : public dataset_operator {
public:
    explicit correlation_op(correlation_settings s) : s_(std::move(s)) {}

    std::vector<column_spec> columns(std::size_t output) const override {
        if (output == corr_out_series) {
            std::vector<column_spec> cols{{"points", column_type::int64, "", "points of the series"}};
            if (!s_.group_by.empty())
                cols.insert(
                    cols.end(),
                    {{"context", column_type::string, "", "value of the group_by tag (empty: none, left out)"},
                     {"variable", column_type::string, "", "the series' metric"},
                     {"context_index", column_type::int64, "", "place of the context in sorted order (-1: none)"},
                     {"variable_index", column_type::int64, "", "place of the metric in sorted order (-1: none)"},
                     {"matrix_row", column_type::int64, "",
                      "row of the series in r: context_index * variables + variable_index (-1: none)"}});
            return cols;
        }
        return {
            {"b_series_index", column_type::int64, "", "row of the second series in the input collection"},
            {"b_id", column_type::string, "", "id of the second series"},
            {"a_row", column_type::int64, "", "matrix row of the first series"},
            {"b_row", column_type::int64, "", "matrix row of the second series"},
            {"r", column_type::float64, "", "correlation at lag 0"},
            {"pairs", column_type::int64, "", "pairs of values behind r"},
            {"best_r", column_type::float64, "", "correlation at the best lag (= r without max_lag)"},
            {"lag", column_type::int64, "", "best lag in samples: the second series follows the first by lag"},
        };
    }

    void apply(const dataset_input& in, const comm& c, dataset_outputs& out) const override {
        if (in.total_rows == 0) throw input_error("correlation: the input holds no series");
        if (s_.group_by.empty())
            correlate_all_pairs(s_, in, c, out);
        else
            correlate_by_context(s_, in, c, out);
    }

private:
    correlation_settings s_;
};

}  // namespace

std::vector<matrix_sink*> create_pair_matrices(const correlation_settings& s, dataset_outputs& out, std::uint64_t rows,
                                               std::uint64_t cols, const matrix_axes& axes,
                                               std::optional<double> every_overlap) {
    std::vector<matrix_sink*> sinks{&out.matrix(corr_out_r), &out.matrix(corr_out_overlap)};
    if (s.corr.max_lag > 0) sinks.insert(sinks.end(), {&out.matrix(corr_out_best_r), &out.matrix(corr_out_lag)});
    if (every_overlap) {
        if (s.corr.max_lag > 0) throw internal_error("create_pair_matrices: one overlap everywhere with max_lag");
        sinks[1]->create_constant(rows, cols, axes, *every_overlap);
        sinks.erase(sinks.begin() + 1);
    }
    for (auto* m : sinks) m->create(rows, cols, axes);
    return sinks;
}

void finish_pair_outputs(const comm& c, const correlation_settings& s,
                         std::array<std::uint64_t, corr_status_count> status_counts, const top_pairs_keeper& top,
                         const std::vector<series_meta>& meta, std::uint64_t first_row, dataset_outputs& out) {
    for (std::size_t k = 0; k < corr_status_count; ++k) status_counts[k] = c.sum(status_counts[k]);
    auto& rm = out.matrix(corr_out_r);
    for (std::size_t k = 0; k < corr_status_count; ++k)
        rm.set_attr(std::string("pairs_") + to_string(static_cast<corr_status>(k)),
                    static_cast<double>(status_counts[k]));
    rm.set_attr("method", s.corr.method == corr_method::pearson ? "pearson" : "spearman");
    rm.set_attr("align", s.corr.align == corr_align::timestamps ? "timestamps" : "index");
    if (s.top_pairs == 0) return;

    // The global best pairs on rank 0: every rank's best, merged in one total order.
    const auto mine = top.sorted();
    auto all = c.allgatherv(std::span<const corr_pair_candidate>(mine));
    std::sort(all.begin(), all.end(), ranks_before);
    if (all.size() > s.top_pairs) all.resize(s.top_pairs);
    std::vector<std::uint64_t> rows;
    for (const auto& p : all) rows.insert(rows.end(), {p.a, p.b});
    auto identities = identities_of_rows(c, meta, first_row, rows);
    if (!c.is_root()) return;
    auto& table = out.table(corr_out_top_pairs);
    for (std::size_t k = 0; k < all.size(); ++k) {
        const auto& p = all[k];
        const series_meta& b = identities[2 * k + 1];
        table.meta.push_back(std::move(identities[2 * k]));
        row_sink row(table);
        row.set(0, static_cast<std::int64_t>(b.source_index));
        row.set(1, b.id);
        row.set(2, static_cast<std::int64_t>(p.a_row));
        row.set(3, static_cast<std::int64_t>(p.b_row));
        row.set(4, p.r);
        row.set(5, p.pairs);
        row.set(6, p.best_r);
        row.set(7, p.lag);
    }
}

const param_fields<correlation_settings>& correlation_settings::fields() {
    using P = correlation_settings;
    static const auto fields =
        param_fields<P>()
            .choice(
                "method", [](P & p) -> auto& { return p.corr.method; }, corr_method_names,
                "pearson, or spearman (Pearson on average ranks)")
            .choice(
                "align", [](P & p) -> auto& { return p.corr.align; }, corr_align_names,
                "timestamps: pairs share a timestamp; index: the i-th points pair up (IKATS)")
            .integer(
                "min_overlap", [](P & p) -> auto& { return p.corr.min_overlap; },
                "fewer pairs than this (and than 2) give NaN")
            .min(0)
            .integer(
                "max_lag", [](P & p) -> auto& { return p.corr.max_lag; },
                "also search lags -max_lag..max_lag (in samples of the aligned series)")
            .min(0)
            .integer("top_pairs", &P::top_pairs, "rows of the top_pairs table: the pairs of largest |r| (0: none)")
            .min(0)
            .custom(param_type::string, "group_by",
                    "tag whose value is a series' context (a flight, a well): one variables x variables matrix per "
                    "context, a variable being a metric, plus r_mean, r_variance and r_contexts across contexts",
                    [](P& s, const param_value& v) {
                        s.group_by = std::get<std::string>(v);
                        if (s.group_by.empty() || s.group_by.find_first_of("=,{} \t") != std::string::npos)
                            throw param_error("group_by", "must be a tag name, got '" + s.group_by + "'");
                    })
            .derived("none: one context, every pair of series");
    return fields;
}

operator_def make_correlation_def() {
    operator_def d = describe_dataset_operator<correlation_settings>(
        "correlation",
        "dataset-wide: Pearson or Spearman correlation of every pair of series (aligned on equal timestamps), "
        "as N x N matrices (or one per context of a tag, with the mean and variance across contexts), "
        "with the best lag and the most correlated pairs");
    d.outputs = {
        {"series", data_kind::table, "the matrix axis: one row per series, in matrix order"},
        {"r", data_kind::matrix, "correlation at lag 0 (NaN: see the attrs pairs_* for why)"},
        {"overlap", data_kind::matrix, "pairs of values behind each r"},
        {"best_r", data_kind::matrix, "correlation at the best lag (with max_lag only)"},
        {"lag", data_kind::matrix, "best lag of the column series after the row series (with max_lag only)"},
        {"top_pairs", data_kind::table, "the pairs of largest |r| (|best_r| with max_lag)"},
        {"r_mean", data_kind::matrix, "group_by only: mean of r over the contexts where it is not NaN"},
        {"r_variance", data_kind::matrix, "group_by only: variance (population) of r over the same contexts"},
        {"r_contexts", data_kind::matrix, "group_by only: number of contexts behind r_mean and r_variance"},
    };
    d.bind = bind_from_fields<correlation_settings, correlation_op, &bound_operator::dataset>;
    return d;
}

}  // namespace tsbatch
