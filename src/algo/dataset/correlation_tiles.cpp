#include "algo/dataset/correlation_tiles.hpp"

#include <algorithm>
#include <limits>

namespace tsbatch {
namespace {

bool same_grid(series_view a, series_view b, corr_align align) {
    if (a.size() != b.size()) return false;
    return align == corr_align::index || std::equal(a.time.begin(), a.time.end(), b.time.begin());
}

// For each grid of `cols`, the matching grid of `rows` or -1.
std::vector<int> match_grids(const corr_prepared_block& rows, const corr_prepared_block& cols, corr_align align) {
    std::vector<int> map(cols.grid_rep.size(), -1);
    for (std::size_t c = 0; c < cols.grid_rep.size(); ++c)
        for (std::size_t r = 0; r < rows.grid_rep.size() && map[c] < 0; ++r)
            if (same_grid(rows.grid_rep[r], cols.grid_rep[c], align)) map[c] = static_cast<int>(r);
    return map;
}

// The matrices of one sub-tile, filled for (rows x cols) and written with their mirrors.
struct tile_buffers {
    std::vector<double> r, overlap, best_r, lag;

    void resize(std::size_t n) {
        for (auto* m : {&r, &overlap, &best_r, &lag}) m->assign(n, 0);
    }
    // Entry (i, j) of an ni x nj tile from (j, i) of `from` (nj x ni): r as is, lag negated.
    void mirror_of(const tile_buffers& from, std::size_t ni, std::size_t nj) {
        for (std::size_t i = 0; i < ni; ++i)
            for (std::size_t j = 0; j < nj; ++j) copy_mirrored(from, j * ni + i, i * nj + j);
    }
    // In a square tile, the lower half from the upper one.
    void complete_lower(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < i; ++j) copy_mirrored(*this, j * n + i, i * n + j);
    }
    void write(const std::vector<matrix_sink*>& sinks, std::uint64_t r0, std::uint64_t c0, std::size_t nr,
               std::size_t nc) const {
        const std::array<const std::vector<double>*, 4> parts{&r, &overlap, &best_r, &lag};
        for (std::size_t k = 0; k < sinks.size(); ++k) sinks[k]->write(r0, c0, nr, nc, *parts[k]);
    }

private:
    void copy_mirrored(const tile_buffers& from, std::size_t src, std::size_t dst) {
        r[dst] = from.r[src];
        overlap[dst] = from.overlap[src];
        best_r[dst] = from.best_r[src];
        lag[dst] = -from.lag[src];
    }
};

// The results of one sub-tile: the dot-product form where both series allow it (lag 0
// only), correlate() for every other present pair.
void sub_tile_results(const corr_block& rows, std::size_t i0, std::size_t ni, const corr_block& cols, std::size_t j0,
                      std::size_t nj, const std::vector<int>& grid_map, bool diagonal, const corr_params& p,
                      corr_workspace& ws, std::vector<corr_result>& res) {
    res.assign(ni * nj, corr_result{});
    std::vector<char> done(ni * nj, 0);
    using st = corr_unit_vector::state;
    if (p.max_lag == 0) {
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
            for (std::size_t x = 0; x < ia.size(); ++x)
                for (std::size_t y = 0; y < jb.size(); ++y) {
                    const std::size_t at = ia[x] * nj + jb[y];
                    res[at].at_zero = {r[x * jb.size() + y], corr_status::ok, n};
                    res[at].best = res[at].at_zero;
                    done[at] = 1;
                }
        }
    }
    for (std::size_t i = 0; i < ni; ++i)
        for (std::size_t j = 0; j < nj; ++j) {
            const std::uint64_t gi = rows.first + i0 + i, gj = cols.first + j0 + j;
            const std::size_t at = i * nj + j;
            if (diagonal && gj < gi) continue;                                   // filled from its mirror
            if (!rows.is_present(i0 + i) || !cols.is_present(j0 + j)) continue;  // stays NaN
            if (done[at] && gi != gj) continue;  // r(x, x) comes from correlate(): exactly 1
            const int rg = rows.prep.grid[i0 + i], cg = cols.prep.grid[j0 + j];
            const bool one_grid = rg >= 0 && cg >= 0 && grid_map[static_cast<std::size_t>(cg)] == rg;
            if (p.max_lag == 0 && one_grid &&
                (rows.prep.unit[i0 + i].st == st::constant || cols.prep.unit[j0 + j].st == st::constant)) {
                // Complete series on one grid, one of them constant: what correlate() says.
                const std::size_t n = rows.series[i0 + i].size();
                res[at].at_zero = {std::numeric_limits<double>::quiet_NaN(), corr_status::zero_variance, n};
                res[at].best = res[at].at_zero;
                continue;
            }
            res[at] = correlate(rows.series[i0 + i], cols.series[j0 + j], p, ws);
        }
}

// Sub-tiles follow the global grid of corr_sub_tile pair indices: from index g, the indices
// up to the next multiple of corr_sub_tile, or the `left` there are.
std::size_t grid_piece(std::uint64_t g, std::size_t left) {
    return std::min<std::size_t>(left, corr_sub_tile - static_cast<std::size_t>(g % corr_sub_tile));
}

}  // namespace

corr_prepared_block prepare_block(const std::vector<series_view>& block, const corr_params& p) {
    corr_prepared_block pb;
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

bool ranks_before(const corr_pair_candidate& x, const corr_pair_candidate& y) {
    if (x.key != y.key) return x.key > y.key;
    if (x.a != y.a) return x.a < y.a;
    return x.b < y.b;
}

void top_pairs_keeper::offer(const corr_pair_candidate& c) {
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

std::vector<corr_pair_candidate> top_pairs_keeper::sorted() const {
    auto v = heap_;
    std::sort(v.begin(), v.end(), ranks_before);
    return v;
}

void correlate_tile(const corr_block& rows, const corr_block& cols, bool diagonal, const corr_params& p,
                    corr_tile_target& target, std::size_t row_begin, std::size_t row_end) {
    corr_workspace ws;
    tile_buffers buf, mirror;
    std::vector<corr_result> res;
    const auto grid_map = match_grids(rows.prep, cols.prep, p.align);
    const std::uint64_t off = target.row_offset;
    row_end = std::min(row_end, rows.series.size());
    for (std::size_t i0 = row_begin; i0 < row_end;) {
        const std::size_t ni = grid_piece(rows.first + i0, row_end - i0);
        for (std::size_t j0 = diagonal ? i0 : 0; j0 < cols.series.size();) {
            const std::size_t nj = grid_piece(cols.first + j0, cols.series.size() - j0);
            buf.resize(ni * nj);
            sub_tile_results(rows, i0, ni, cols, j0, nj, grid_map, diagonal, p, ws, res);
            for (std::size_t i = 0; i < ni; ++i) {
                const std::uint64_t gi = rows.first + i0 + i;
                for (std::size_t j = 0; j < nj; ++j) {
                    const std::uint64_t gj = cols.first + j0 + j;
                    if (diagonal && gj < gi) continue;  // filled from its mirror below
                    const std::size_t at = i * nj + j;
                    const corr_result& cr = res[at];
                    buf.r[at] = cr.at_zero.r;
                    buf.overlap[at] = static_cast<double>(cr.at_zero.pairs);
                    buf.best_r[at] = cr.best.r;
                    buf.lag[at] = static_cast<double>(cr.best_lag);
                    if (!rows.is_present(i0 + i) || !cols.is_present(j0 + j)) continue;
                    if (target.on_pair) target.on_pair(gi, gj, cr);
                    if (gi == gj) continue;
                    if (target.status_counts) ++(*target.status_counts)[static_cast<std::size_t>(cr.at_zero.status)];
                    const corr_value& ranked = p.max_lag > 0 ? cr.best : cr.at_zero;
                    if (target.top && ranked.status == corr_status::ok)
                        target.top->offer({std::fabs(ranked.r), rows.input_row(i0 + i), cols.input_row(j0 + j),
                                           off + gi, off + gj, cr.at_zero.r, cr.best.r,
                                           static_cast<std::int64_t>(cr.at_zero.pairs), cr.best_lag});
                }
            }
            if (diagonal && i0 == j0) {
                // One square sub-tile holding both halves: complete it from the upper one.
                buf.complete_lower(ni);
                buf.write(target.sinks, off + rows.first + i0, cols.first + j0, ni, nj);
            } else {
                mirror.resize(ni * nj);
                mirror.mirror_of(buf, nj, ni);
                buf.write(target.sinks, off + rows.first + i0, cols.first + j0, ni, nj);
                mirror.write(target.sinks, off + cols.first + j0, rows.first + i0, nj, ni);
            }
            j0 += nj;
        }
        i0 += ni;
    }
}

}  // namespace tsbatch
