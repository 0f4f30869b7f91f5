// The dataset-wide `correlation` operator: the N x N matrix of every pair of the run's
// series, computed where the data meets, never gathered on one rank.
//
// Distribution: rank r holds block r (its consecutive rows). The blocks travel round a ring:
// at step s (s = 0 .. R/2) rank r holds block (r + s) mod R and computes the tile of its own
// block against it, then passes it to rank r - 1. Each unordered pair of blocks meets exactly
// once (for even R the step R/2 pairs r with r + R/2, and each of the two computes half of
// the tile's rows), so the work is balanced and a rank holds at most two blocks: memory per rank grows with the
// data it holds, not with N^2. Tiles are cut into sub-tiles of `sub_tile` x `sub_tile` pairs
// that go to the matrix sink as soon as they are computed.
//
// Rank-count independence: the pair of global rows i < j is always computed as
// correlate(x_i, x_j) (the kernel's result depends only on the two series), entry (j, i)
// is its mirror (same r; lag negated, since y following x by k is x following y by -k), and
// the diagonal is correlate(x_i, x_i). Which rank computes a pair changes with R; the bits
// do not.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "algo/correlation.hpp"
#include "algo/correlation_dot.hpp"
#include "algo/dataset_support.hpp"
#include "algo/operator.hpp"

namespace tsbatch {
namespace {

constexpr std::size_t sub_tile = 256;

// Output indices, as in make_correlation_def().
enum output : std::size_t { out_series, out_r, out_overlap, out_best_r, out_lag, out_top_pairs };

struct correlation_settings {
    corr_params corr;
    std::size_t top_pairs = 100;
};

// One pair for the top-pairs table.
struct pair_candidate {
    double key = 0;  // |r| that ranks it
    std::uint64_t a = 0, b = 0;  // global rows, a < b
    double r = 0, best_r = 0;
    std::int64_t pairs = 0, lag = 0;
};

// Larger |r| first, then the lower rows: a total order, so any rank count picks the same.
bool ranks_before(const pair_candidate& x, const pair_candidate& y) {
    if (x.key != y.key) return x.key > y.key;
    if (x.a != y.a) return x.a < y.a;
    return x.b < y.b;
}

// The best `limit` candidates seen so far (kept as a heap whose top is the worst kept).
class top_pairs_keeper {
public:
    explicit top_pairs_keeper(std::size_t limit) : limit_(limit) {}
    void offer(const pair_candidate& c) {
        if (limit_ == 0) return;
        if (heap_.size() < limit_) {
            heap_.push_back(c);
            std::push_heap(heap_.begin(), heap_.end(), ranks_before);
        } else if (ranks_before(c, heap_.front())) {
            std::pop_heap(heap_.begin(), heap_.end(), ranks_before);
            heap_.back() = c;
            std::push_heap(heap_.begin(), heap_.end(), ranks_before);
        }
    }
    std::vector<pair_candidate> sorted() const {
        auto v = heap_;
        std::sort(v.begin(), v.end(), ranks_before);
        return v;
    }

private:
    std::size_t limit_;
    std::vector<pair_candidate> heap_;
};

// The matrices of one sub-tile, filled for (rows x cols) and written with their mirrors.
struct tile_buffers {
    std::vector<double> r, overlap, best_r, lag;
    void resize(std::size_t n) {
        r.assign(n, 0);
        overlap.assign(n, 0);
        best_r.assign(n, 0);
        lag.assign(n, 0);
    }
};

// A block of series readied for the dot-product form (correlation_dot.hpp): each series'
// unit vector and the index of its time grid (series with identical time axes, or lengths
// when aligned by index, share one), with one representative per grid.
struct prepared_block {
    std::vector<corr_unit_vector> unit;
    std::vector<int> grid;
    std::vector<series_view> grid_rep;
};

bool same_grid(series_view a, series_view b, corr_align align) {
    if (a.size() != b.size()) return false;
    return align == corr_align::index || std::equal(a.time.begin(), a.time.end(), b.time.begin());
}

prepared_block prepare(const std::vector<series_view>& block, const corr_params& p) {
    prepared_block pb;
    const std::size_t min_pairs = std::max<std::size_t>(p.min_overlap, 2);
    for (const auto& s : block) {
        pb.unit.push_back(make_unit_vector(s, p.method, min_pairs));
        int g = -1;
        if (pb.unit.back().st != corr_unit_vector::state::other) {
            for (std::size_t k = 0; k < pb.grid_rep.size() && g < 0; ++k)
                if (same_grid(pb.grid_rep[k], s, p.align)) g = static_cast<int>(k);
            if (g < 0) {
                g = static_cast<int>(pb.grid_rep.size());
                pb.grid_rep.push_back(s);
            }
        }
        pb.grid.push_back(g);
    }
    return pb;
}

// For each grid of `cols`, the matching grid of `rows` or -1.
std::vector<int> match_grids(const prepared_block& rows, const prepared_block& cols, corr_align align) {
    std::vector<int> map(cols.grid_rep.size(), -1);
    for (std::size_t c = 0; c < cols.grid_rep.size(); ++c)
        for (std::size_t r = 0; r < rows.grid_rep.size() && map[c] < 0; ++r)
            if (same_grid(rows.grid_rep[r], cols.grid_rep[c], align)) map[c] = static_cast<int>(r);
    return map;
}

class correlation_op final : public dataset_operator {
public:
    explicit correlation_op(correlation_settings s) : s_(s) {}

    std::vector<column_spec> columns(std::size_t output) const override {
        if (output == out_series) return {{"points", column_type::int64, "", "points of the series"}};
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
        const series_batch& batch = *in.series;
        const std::uint64_t n = in.total_rows;
        if (n == 0) throw input_error("correlation: the input holds no series");
        auto& axis = out.table(out_series);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            axis.meta.push_back(batch.meta[i]);
            row_sink(axis).set(0, static_cast<std::int64_t>(batch.count(i)));
        }
        const bool lags = s_.corr.max_lag > 0;
        std::vector<matrix_sink*> sinks{&out.matrix(out_r), &out.matrix(out_overlap)};
        if (lags) sinks.insert(sinks.end(), {&out.matrix(out_best_r), &out.matrix(out_lag)});
        for (auto* m : sinks) m->create(n, n, {"series", "series"});

        top_pairs_keeper top(s_.top_pairs);
        std::array<std::uint64_t, corr_status_count> status_counts{};
        const auto own = views_of(batch);
        const prepared_block own_prep = prepare(own, s_.corr);
        const int R = c.size();
        series_block visiting;  // empty at step 0: the own block is used directly
        for (int s = 0; s <= R / 2; ++s) {
            if (s == 0) {
                tile({own, in.first_row, own_prep}, {own, in.first_row, own_prep}, true, sinks, top, status_counts);
            } else {
                const auto other = visiting.views();
                const prepared_block other_prep = prepare(other, s_.corr);
                const block_ref mine{own, in.first_row, own_prep}, theirs{other, visiting.first_row, other_prep};
                // The lower rows come first, so every pair is computed as (i < j). For even R,
                // step R/2 meets each pair of blocks on both of its ranks: each takes half of
                // the lower block's rows.
                const bool lower = visiting.first_row > in.first_row;
                const block_ref& rows = lower ? mine : theirs;
                const block_ref& cols = lower ? theirs : mine;
                std::size_t begin = 0, end = rows.series.size();
                if (R % 2 == 0 && s == R / 2) (lower ? end : begin) = rows.series.size() / 2;
                tile(rows, cols, false, sinks, top, status_counts, begin, end);
            }
            if (s < R / 2) visiting = pass_on(c, s == 0 ? own : visiting.views(), s == 0 ? in.first_row : visiting.first_row);
        }

        for (std::size_t k = 0; k < corr_status_count; ++k) status_counts[k] = c.sum(status_counts[k]);
        auto& rm = out.matrix(out_r);
        for (std::size_t k = 0; k < corr_status_count; ++k)
            rm.set_attr(std::string("pairs_") + to_string(static_cast<corr_status>(k)), static_cast<double>(status_counts[k]));
        rm.set_attr("method", s_.corr.method == corr_method::pearson ? "pearson" : "spearman");
        rm.set_attr("align", s_.corr.align == corr_align::timestamps ? "timestamps" : "index");
        write_top_pairs(c, batch, top, out.table(out_top_pairs));
    }

private:
    // Ships `block` to rank r - 1 and returns the block rank r + 1 sent here.
    static series_block pass_on(const comm& c, const std::vector<series_view>& block, std::uint64_t first_row) {
        const int R = c.size();
        std::vector<std::vector<std::byte>> send(static_cast<std::size_t>(R));
        send[static_cast<std::size_t>((c.rank() + R - 1) % R)] = pack_block(block, first_row);
        auto got = c.alltoallv(std::move(send));
        return unpack_block(got[static_cast<std::size_t>((c.rank() + 1) % R)]);
    }

    struct block_ref {
        const std::vector<series_view>& series;
        std::uint64_t first_row;
        const prepared_block& prep;
    };

    // The results of one sub-tile: the dot-product form where both series allow it
    // (lag 0 only), correlate() for every other pair.
    void sub_tile_results(const block_ref& rows, std::size_t i0, std::size_t ni, const block_ref& cols, std::size_t j0,
                          std::size_t nj, const std::vector<int>& grid_map, bool diagonal, corr_workspace& ws,
                          std::vector<corr_result>& res) const {
        res.assign(ni * nj, corr_result{});
        std::vector<char> done(ni * nj, 0);
        using st = corr_unit_vector::state;
        if (s_.corr.max_lag == 0) {
            for (std::size_t g = 0; g < rows.prep.grid_rep.size(); ++g) {
                std::vector<const double*> a, b;
                std::vector<std::size_t> ia, jb;
                for (std::size_t i = 0; i < ni; ++i)
                    if (rows.prep.grid[i0 + i] == static_cast<int>(g) && rows.prep.unit[i0 + i].st == st::usable) {
                        a.push_back(rows.prep.unit[i0 + i].z.data());
                        ia.push_back(i);
                    }
                for (std::size_t j = 0; j < nj; ++j) {
                    const int cg = cols.prep.grid[j0 + j];
                    if (cg >= 0 && grid_map[static_cast<std::size_t>(cg)] == static_cast<int>(g) &&
                        cols.prep.unit[j0 + j].st == st::usable) {
                        b.push_back(cols.prep.unit[j0 + j].z.data());
                        jb.push_back(j);
                    }
                }
                if (a.empty() || b.empty()) continue;
                const std::size_t n = rows.prep.grid_rep[g].size();
                std::vector<double> r(a.size() * b.size());
                unit_dot_block(a, b, n, r);
                for (std::size_t p = 0; p < ia.size(); ++p)
                    for (std::size_t q = 0; q < jb.size(); ++q) {
                        const std::size_t at = ia[p] * nj + jb[q];
                        res[at].at_zero = {r[p * jb.size() + q], corr_status::ok, n};
                        res[at].best = res[at].at_zero;
                        done[at] = 1;
                    }
            }
        }
        for (std::size_t i = 0; i < ni; ++i)
            for (std::size_t j = 0; j < nj; ++j) {
                const std::uint64_t gi = rows.first_row + i0 + i, gj = cols.first_row + j0 + j;
                const std::size_t at = i * nj + j;
                if (diagonal && gj < gi) continue;  // filled from its mirror
                if (done[at] && gi != gj) continue;  // r(x, x) comes from correlate(): exactly 1
                const int rg = rows.prep.grid[i0 + i], cg = cols.prep.grid[j0 + j];
                const bool one_grid = rg >= 0 && cg >= 0 && grid_map[static_cast<std::size_t>(cg)] == rg;
                if (s_.corr.max_lag == 0 && one_grid &&
                    (rows.prep.unit[i0 + i].st == st::constant || cols.prep.unit[j0 + j].st == st::constant)) {
                    // Complete series on one grid, one of them constant: what correlate() says.
                    const std::size_t n = rows.series[i0 + i].size();
                    res[at].at_zero = {std::numeric_limits<double>::quiet_NaN(), corr_status::zero_variance, n};
                    res[at].best = res[at].at_zero;
                    continue;
                }
                res[at] = correlate(rows.series[i0 + i], cols.series[j0 + j], s_.corr, ws);
            }
    }

    // Every pair (i, j) of rows x cols with i <= j (global rows), in sub-tiles; each sub-tile
    // is written at its place and mirrored.
    void tile(const block_ref& rows, const block_ref& cols, bool diagonal, const std::vector<matrix_sink*>& sinks,
              top_pairs_keeper& top, std::array<std::uint64_t, corr_status_count>& status_counts,
              std::size_t row_begin = 0, std::size_t row_end = static_cast<std::size_t>(-1)) const {
        corr_workspace ws;
        tile_buffers buf, mirror;
        std::vector<corr_result> res;
        const auto grid_map = match_grids(rows.prep, cols.prep, s_.corr.align);
        const std::uint64_t row0 = rows.first_row, col0 = cols.first_row;
        row_end = std::min(row_end, rows.series.size());
        for (std::size_t i0 = row_begin; i0 < row_end;) {
            const std::size_t ni = grid_piece(row0 + i0, row_end - i0);
            for (std::size_t j0 = diagonal ? i0 : 0; j0 < cols.series.size();) {
                const std::size_t nj = grid_piece(col0 + j0, cols.series.size() - j0);
                buf.resize(ni * nj);
                mirror.resize(ni * nj);
                sub_tile_results(rows, i0, ni, cols, j0, nj, grid_map, diagonal, ws, res);
                for (std::size_t i = 0; i < ni; ++i) {
                    const std::uint64_t gi = row0 + i0 + i;
                    for (std::size_t j = 0; j < nj; ++j) {
                        const std::uint64_t gj = col0 + j0 + j;
                        if (diagonal && gj < gi) continue;  // filled from its mirror below
                        const std::size_t at = i * nj + j;
                        const corr_result& cr = res[at];
                        buf.r[at] = cr.at_zero.r;
                        buf.overlap[at] = static_cast<double>(cr.at_zero.pairs);
                        buf.best_r[at] = cr.best.r;
                        buf.lag[at] = static_cast<double>(cr.best_lag);
                        if (gi == gj) continue;
                        ++status_counts[static_cast<std::size_t>(cr.at_zero.status)];
                        const corr_value& ranked = s_.corr.max_lag > 0 ? cr.best : cr.at_zero;
                        if (ranked.status == corr_status::ok)
                            top.offer({std::fabs(ranked.r), gi, gj, cr.at_zero.r, cr.best.r,
                                       static_cast<std::int64_t>(cr.at_zero.pairs), cr.best_lag});
                    }
                }
                if (diagonal && i0 == j0) {
                    // One square sub-tile holding both halves: complete it from the upper one.
                    for (std::size_t i = 0; i < ni; ++i)
                        for (std::size_t j = 0; j < i; ++j) {
                            buf.r[i * nj + j] = buf.r[j * nj + i];
                            buf.overlap[i * nj + j] = buf.overlap[j * nj + i];
                            buf.best_r[i * nj + j] = buf.best_r[j * nj + i];
                            buf.lag[i * nj + j] = -buf.lag[j * nj + i];
                        }
                    write(sinks, row0 + i0, col0 + j0, ni, nj, buf);
                    j0 += nj;
                    continue;
                }
                for (std::size_t i = 0; i < ni; ++i)
                    for (std::size_t j = 0; j < nj; ++j) {
                        mirror.r[j * ni + i] = buf.r[i * nj + j];
                        mirror.overlap[j * ni + i] = buf.overlap[i * nj + j];
                        mirror.best_r[j * ni + i] = buf.best_r[i * nj + j];
                        mirror.lag[j * ni + i] = -buf.lag[i * nj + j];
                    }
                write(sinks, row0 + i0, col0 + j0, ni, nj, buf);
                write(sinks, col0 + j0, row0 + i0, nj, ni, mirror);
                j0 += nj;
            }
            i0 += ni;
        }
    }

    // Sub-tiles follow the global grid of sub_tile rows and columns (the matrix's chunks in
    // the result file), so each one is written as whole chunks: from global row g, the rows up
    // to the next multiple of sub_tile, or the `left` there are.
    static std::size_t grid_piece(std::uint64_t g, std::size_t left) {
        return std::min<std::size_t>(left, sub_tile - static_cast<std::size_t>(g % sub_tile));
    }

    static void write(const std::vector<matrix_sink*>& sinks, std::uint64_t r0, std::uint64_t c0, std::size_t nr,
                      std::size_t nc, const tile_buffers& b) {
        sinks[0]->write(r0, c0, nr, nc, b.r);
        sinks[1]->write(r0, c0, nr, nc, b.overlap);
        if (sinks.size() > 2) {
            sinks[2]->write(r0, c0, nr, nc, b.best_r);
            sinks[3]->write(r0, c0, nr, nc, b.lag);
        }
    }

    // The global best pairs on rank 0: every rank's best, merged in one total order.
    void write_top_pairs(const comm& c, const series_batch& batch, const top_pairs_keeper& top, table_batch& table) const {
        if (s_.top_pairs == 0) return;
        const auto mine = top.sorted();
        auto all = c.allgatherv(std::span<const pair_candidate>(mine));
        std::sort(all.begin(), all.end(), ranks_before);
        if (all.size() > s_.top_pairs) all.resize(s_.top_pairs);
        // Identities of every row (the pairs may name any of them).
        std::vector<std::string> ids;
        std::vector<std::uint64_t> sources;
        for (const auto& m : batch.meta) {
            ids.push_back(m.id);
            sources.push_back(m.source_index);
        }
        const auto all_ids = c.allgather_strings(ids);
        const auto all_sources = c.allgatherv(std::span<const std::uint64_t>(sources));
        if (!c.is_root()) return;
        for (const auto& p : all) {
            series_meta m;
            m.id = all_ids[p.a];
            m.source_index = all_sources[p.a];
            table.meta.push_back(std::move(m));
            row_sink row(table);
            row.set(0, static_cast<std::int64_t>(all_sources[p.b]));
            row.set(1, all_ids[p.b]);
            row.set(2, static_cast<std::int64_t>(p.a));
            row.set(3, static_cast<std::int64_t>(p.b));
            row.set(4, p.r);
            row.set(5, p.pairs);
            row.set(6, p.best_r);
            row.set(7, p.lag);
        }
    }

    correlation_settings s_;
};

}  // namespace

operator_def make_correlation_def() {
    operator_def d;
    d.name = "correlation";
    d.summary =
        "dataset-wide: Pearson or Spearman correlation of every pair of series (aligned on equal timestamps), "
        "as N x N matrices, with the best lag and the most correlated pairs";
    d.params = {
        choice_param("method", "pearson, or spearman (Pearson on average ranks)", "pearson", {"pearson", "spearman"}),
        choice_param("align", "timestamps: pairs share a timestamp; index: the i-th points pair up (IKATS)",
                     "timestamps", {"timestamps", "index"}),
        integer_param("min_overlap", "fewer pairs than this (and than 2) give NaN", 10, 0),
        integer_param("max_lag", "also search lags -max_lag..max_lag (in samples of the aligned series)", 0, 0),
        integer_param("top_pairs", "rows of the top_pairs table: the pairs of largest |r| (0: none)", 100, 0),
    };
    d.input = data_kind::series;
    d.outputs = {
        {"series", data_kind::table, "the matrix axis: one row per series, in matrix order"},
        {"r", data_kind::matrix, "correlation at lag 0 (NaN: see the attrs pairs_* for why)"},
        {"overlap", data_kind::matrix, "pairs of values behind each r"},
        {"best_r", data_kind::matrix, "correlation at the best lag (with max_lag only)"},
        {"lag", data_kind::matrix, "best lag of the column series after the row series (with max_lag only)"},
        {"top_pairs", data_kind::table, "the pairs of largest |r| (|best_r| with max_lag)"},
    };
    d.dataset_wide = true;
    d.cost = {0.0, 0.0};
    d.bind = [](const param_values& v) {
        correlation_settings s;
        s.corr.method = v.text("method") == "spearman" ? corr_method::spearman : corr_method::pearson;
        s.corr.align = v.text("align") == "index" ? corr_align::index : corr_align::timestamps;
        s.corr.min_overlap = static_cast<std::size_t>(v.integer("min_overlap"));
        s.corr.max_lag = static_cast<std::size_t>(v.integer("max_lag"));
        s.top_pairs = static_cast<std::size_t>(v.integer("top_pairs"));
        bound_operator b;
        b.dataset = std::make_unique<correlation_op>(s);
        return b;
    };
    return d;
}

}  // namespace tsbatch
