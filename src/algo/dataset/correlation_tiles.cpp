#include "algo/dataset/correlation_tiles.hpp"

#include <algorithm>
#include <limits>

#include "core/memory.hpp"

namespace tsbatch {
namespace {

bool same_grid(series_view a, series_view b, corr_align align) {
    return align == corr_align::index ? a.size() == b.size() : same_time_axis(a, b);
}

// For each grid of `cols`, the matching grid of `rows` or -1.
std::vector<int> match_grids(const corr_prepared_block& rows, const corr_prepared_block& cols, corr_align align) {
    std::vector<int> map(cols.grid_rep.size(), -1);
    for (std::size_t c = 0; c < cols.grid_rep.size(); ++c)
        for (std::size_t r = 0; r < rows.grid_rep.size() && map[c] < 0; ++r)
            if (same_grid(rows.grid_rep[r], cols.grid_rep[c], align)) map[c] = static_cast<int>(r);
    return map;
}

// The matrices of one sub-tile, filled for (rows x cols) and written with their mirrors: r,
// overlap unless the matrix holds one overlap everywhere, and best_r and lag with max_lag
// (`parts`, in the sinks' order).
struct tile_buffers {
    std::vector<double> r, overlap, best_r, lag;
    std::size_t parts = 2;
    bool one_overlap = false;  ///< every entry of `overlap` is the same (a tile of one product)

    bool has_overlap() const noexcept { return parts > 1; }

    // What a pair nobody computes keeps: r NaN, no overlap, lag 0.
    void reset(std::size_t n) {
        one_overlap = false;
        constexpr double nan = std::numeric_limits<double>::quiet_NaN();
        r.assign(n, nan);
        if (has_overlap()) overlap.assign(n, 0);
        if (parts > 2) best_r.assign(n, nan), lag.assign(n, 0);
    }
    void set(std::size_t at, const corr_result& cr) {
        r[at] = cr.at_zero.r;
        if (has_overlap()) overlap[at] = static_cast<double>(cr.at_zero.pairs);
        if (parts > 2) best_r[at] = cr.best.r, lag[at] = static_cast<double>(cr.best_lag);
    }
    void set_overlap(std::size_t at, std::size_t n) {
        if (has_overlap()) overlap[at] = static_cast<double>(n);
    }
    // Entry (i, j) of an ni x nj tile from (j, i) of `from` (nj x ni): r as is, lag negated.
    // Where only r varies (a tile of one product, or no overlap kept) only r is turned round.
    void mirror_of(const tile_buffers& from, std::size_t ni, std::size_t nj) {
        parts = from.parts;
        const std::size_t n = ni * nj;
        r.resize(n);
        one_overlap = from.one_overlap && parts == 2;
        if (one_overlap || parts == 1) {
            if (one_overlap) overlap.assign(n, from.overlap.front());
            mirrored_places(ni, nj, [&](std::size_t src, std::size_t dst) { r[dst] = from.r[src]; });
            return;
        }
        overlap.resize(n);
        if (parts > 2) best_r.resize(n), lag.resize(n);
        mirrored_places(ni, nj, [&](std::size_t src, std::size_t dst) { copy_mirrored(from, src, dst); });
    }
    // In a square tile, the lower half from the upper one.
    void complete_lower(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < i; ++j) copy_mirrored(*this, j * n + i, i * n + j);
    }
    void write(const std::vector<matrix_sink*>& sinks, std::uint64_t r0, std::uint64_t c0, std::size_t nr,
               std::size_t nc) const {
        const std::array<const std::vector<double>*, 4> all{&r, &overlap, &best_r, &lag};
        for (std::size_t k = 0; k < sinks.size(); ++k) sinks[k]->write(r0, c0, nr, nc, *all[k]);
    }

private:
    // copy(src, dst) for every entry dst = (i, j) of an ni x nj tile and src = (j, i) of the
    // nj x ni one, in blocks of 32 x 32 so that both sides stay in cache (a plain transpose of
    // a 1024-wide tile misses the cache on every read).
    template <class Copy>
    static void mirrored_places(std::size_t ni, std::size_t nj, Copy&& copy) {
        constexpr std::size_t block = 32;
        for (std::size_t i0 = 0; i0 < ni; i0 += block)
            for (std::size_t j0 = 0; j0 < nj; j0 += block)
                for (std::size_t i = i0; i < std::min(ni, i0 + block); ++i)
                    for (std::size_t j = j0; j < std::min(nj, j0 + block); ++j) copy(j * ni + i, i * nj + j);
    }
    void copy_mirrored(const tile_buffers& from, std::size_t src, std::size_t dst) {
        r[dst] = from.r[src];
        if (has_overlap()) overlap[dst] = from.overlap[src];
        if (parts > 2) best_r[dst] = from.best_r[src], lag[dst] = -from.lag[src];
    }
};

// The pairs of one sub-tile into a tile_buffers (only its upper half on the diagonal of a
// block), each also recorded for the step: on_pair, the status counts and the top pairs.
// Complete series on one grid meet in BLAS products (lag 0 only), one per grid and sub-tile;
// every other present pair goes through correlate().
class sub_tile_pass {
public:
    sub_tile_pass(const corr_block& rows, const corr_block& cols, bool diagonal, const corr_params& p,
                  corr_tile_target& target)
        : rows_(rows),
          cols_(cols),
          diagonal_(diagonal),
          p_(p),
          target_(target),
          grid_map_(match_grids(rows.prep, cols.prep, p.align)) {}

    void run(std::size_t i0, std::size_t ni, std::size_t j0, std::size_t nj, tile_buffers& buf) {
        i0_ = i0, ni_ = ni, j0_ = j0, nj_ = nj;
        if (const int g = one_product_grid(); g >= 0) return whole_tile_product(static_cast<std::size_t>(g), buf);
        buf.reset(ni * nj);
        done_.assign(ni * nj, 0);
        if (p_.max_lag == 0)
            for (std::size_t g = 0; g < rows_.prep.grid_rep.size(); ++g) blas_pairs(g, buf);
        other_pairs(buf);
    }

private:
    using st = corr_unit_vector::state;

    bool lower_half(std::uint64_t gi, std::uint64_t gj) const { return diagonal_ && gj < gi; }

    // The grid of every series of the sub-tile when all of them are usable and on that one
    // grid, so that one BLAS product holds every pair (the common case: a matrix of sensors on
    // one grid without gaps); otherwise -1.
    int one_product_grid() const {
        if (p_.max_lag != 0 || target_.on_pair || rows_.present || cols_.present) return -1;
        const int g = rows_.prep.grid[i0_];
        if (g < 0) return -1;
        for (std::size_t i = i0_; i < i0_ + ni_; ++i)
            if (rows_.prep.grid[i] != g || rows_.prep.state[i] != st::usable) return -1;
        for (std::size_t j = j0_; j < j0_ + nj_; ++j) {
            const int cg = cols_.prep.grid[j];
            if (cg < 0 || grid_map_[static_cast<std::size_t>(cg)] != g || cols_.prep.state[j] != st::usable) return -1;
        }
        return g;
    }

    // blas_pairs and other_pairs for a sub-tile that is one product: the same values (the
    // product's, and correlate()'s exact 1 on the diagonal), written straight into the tile
    // with no pass over pairs nobody computes. On the diagonal of a block the product is the
    // symmetric one, both halves.
    void whole_tile_product(std::size_t g, tile_buffers& buf) {
        a_.clear(), b_.clear();
        for (std::size_t i = 0; i < ni_; ++i) a_.push_back(rows_.prep.unit(i0_ + i));
        for (std::size_t j = 0; j < nj_; ++j) b_.push_back(cols_.prep.unit(j0_ + j));
        const std::size_t n = rows_.prep.grid_rep[g].size();
        const bool square = diagonal_ && i0_ == j0_;
        buf.r.resize(ni_ * nj_);
        if (square)
            unit_dot_gram(a_, n, buf.r, scratch_);
        else
            unit_dot_block(a_, b_, n, buf.r, scratch_);
        buf.one_overlap = buf.has_overlap();
        if (buf.one_overlap) buf.overlap.assign(ni_ * nj_, static_cast<double>(n));
        std::uint64_t pairs = 0;
        for (std::size_t i = 0; i < ni_; ++i) {
            const std::uint64_t gi = rows_.first + i0_ + i;
            for (std::size_t j = square ? i : 0; j < nj_; ++j) {
                const std::uint64_t gj = cols_.first + j0_ + j;
                if (gi == gj) {
                    buf.r[i * nj_ + j] = 1.0;
                    continue;
                }
                ++pairs;
                offer_ok(i, j, gi, gj, buf.r[i * nj_ + j], n);
            }
        }
        if (target_.status_counts) (*target_.status_counts)[static_cast<std::size_t>(corr_status::ok)] += pairs;
    }

    // The usable series of grid g: a from the rows, b from the columns, with their places.
    void blas_pairs(std::size_t g, tile_buffers& buf) {
        a_.clear(), b_.clear(), ia_.clear(), jb_.clear();
        for (std::size_t i = 0; i < ni_; ++i)
            if (rows_.prep.grid[i0_ + i] == static_cast<int>(g) && rows_.prep.state[i0_ + i] == st::usable) {
                a_.push_back(rows_.prep.unit(i0_ + i));
                ia_.push_back(i);
            }
        for (std::size_t j = 0; j < nj_; ++j) {
            const int cg = cols_.prep.grid[j0_ + j];
            if (cg >= 0 && grid_map_[static_cast<std::size_t>(cg)] == static_cast<int>(g) &&
                cols_.prep.state[j0_ + j] == st::usable) {
                b_.push_back(cols_.prep.unit(j0_ + j));
                jb_.push_back(j);
            }
        }
        if (a_.empty() || b_.empty()) return;
        const std::size_t n = rows_.prep.grid_rep[g].size();
        r_.resize(a_.size() * b_.size());
        // A sub-tile on the diagonal of its block pairs its series with themselves.
        if (diagonal_ && i0_ == j0_)
            unit_dot_gram(a_, n, r_, scratch_);
        else
            unit_dot_block(a_, b_, n, r_, scratch_);
        for (std::size_t x = 0; x < ia_.size(); ++x) {
            const std::uint64_t gi = rows_.first + i0_ + ia_[x];
            for (std::size_t y = 0; y < jb_.size(); ++y) {
                const std::uint64_t gj = cols_.first + j0_ + jb_[y];
                // The diagonal is correlate()'s exact 1 (other_pairs).
                if (gi == gj || lower_half(gi, gj)) continue;
                const std::size_t at = ia_[x] * nj_ + jb_[y];
                const double r = r_[x * jb_.size() + y];
                buf.r[at] = r;
                buf.set_overlap(at, n);
                done_[at] = 1;
                record_ok(ia_[x], jb_[y], gi, gj, r, n);
            }
        }
    }

    void other_pairs(tile_buffers& buf) {
        for (std::size_t i = 0; i < ni_; ++i)
            for (std::size_t j = 0; j < nj_; ++j) {
                const std::uint64_t gi = rows_.first + i0_ + i, gj = cols_.first + j0_ + j;
                const std::size_t at = i * nj_ + j;
                if (done_[at] || lower_half(gi, gj)) continue;
                if (!rows_.is_present(i0_ + i) || !cols_.is_present(j0_ + j)) continue;  // stays NaN
                const corr_result cr = pair_result(i, j, gi, gj);
                buf.set(at, cr);
                record(i, j, gi, gj, cr);
            }
    }

    corr_result pair_result(std::size_t i, std::size_t j, std::uint64_t gi, std::uint64_t gj) {
        const auto ri = rows_.prep.state[i0_ + i], cj = cols_.prep.state[j0_ + j];
        const std::size_t n = rows_.series[i0_ + i].size();
        corr_result cr;
        if (p_.max_lag == 0 && gi == gj && ri == st::usable) {
            // What correlate(x, x) gives a complete, varying series: exactly 1.
            cr.at_zero = {1.0, corr_status::ok, n};
        } else if (p_.max_lag == 0 && one_grid(i, j) && (ri == st::constant || cj == st::constant)) {
            // Complete series on one grid, one of them constant: what correlate() says.
            cr.at_zero = {std::numeric_limits<double>::quiet_NaN(), corr_status::zero_variance, n};
        } else {
            return correlate(rows_.series[i0_ + i], cols_.series[j0_ + j], p_, ws_);
        }
        cr.best = cr.at_zero;
        return cr;
    }

    bool one_grid(std::size_t i, std::size_t j) const {
        const int rg = rows_.prep.grid[i0_ + i], cg = cols_.prep.grid[j0_ + j];
        return rg >= 0 && cg >= 0 && grid_map_[static_cast<std::size_t>(cg)] == rg;
    }

    // A pair of the BLAS products: ok at lag 0, `n` pairs.
    void record_ok(std::size_t i, std::size_t j, std::uint64_t gi, std::uint64_t gj, double r, std::size_t n) {
        if (target_.on_pair) {
            corr_result cr;
            cr.at_zero = {r, corr_status::ok, n};
            cr.best = cr.at_zero;
            target_.on_pair(gi, gj, cr);
        }
        if (target_.status_counts) ++(*target_.status_counts)[static_cast<std::size_t>(corr_status::ok)];
        offer_ok(i, j, gi, gj, r, n);
    }

    // A pair of the BLAS products to the top pairs.
    void offer_ok(std::size_t i, std::size_t j, std::uint64_t gi, std::uint64_t gj, double r, std::size_t n) {
        if (target_.top && target_.top->may_take(std::fabs(r)))
            target_.top->offer({std::fabs(r), rows_.input_row(i0_ + i), cols_.input_row(j0_ + j),
                                target_.row_offset + gi, target_.row_offset + gj, r, r, static_cast<std::int64_t>(n),
                                0});
    }

    void record(std::size_t i, std::size_t j, std::uint64_t gi, std::uint64_t gj, const corr_result& cr) {
        if (target_.on_pair) target_.on_pair(gi, gj, cr);
        if (gi == gj) return;
        if (target_.status_counts) ++(*target_.status_counts)[static_cast<std::size_t>(cr.at_zero.status)];
        const corr_value& ranked = p_.max_lag > 0 ? cr.best : cr.at_zero;
        if (target_.top && ranked.status == corr_status::ok)
            target_.top->offer({std::fabs(ranked.r), rows_.input_row(i0_ + i), cols_.input_row(j0_ + j),
                                target_.row_offset + gi, target_.row_offset + gj, cr.at_zero.r, cr.best.r,
                                static_cast<std::int64_t>(cr.at_zero.pairs), cr.best_lag});
    }

    const corr_block& rows_;
    const corr_block& cols_;
    const bool diagonal_;
    const corr_params& p_;
    corr_tile_target& target_;
    const std::vector<int> grid_map_;
    std::size_t i0_ = 0, ni_ = 0, j0_ = 0, nj_ = 0;
    corr_workspace ws_;
    corr_dot_scratch scratch_;
    std::vector<char> done_;
    std::vector<double> r_;
    std::vector<const double*> a_, b_;
    std::vector<std::size_t> ia_, jb_;
};

// Sub-tiles follow the global grid of corr_sub_tile pair indices: from index g, the indices
// up to the next multiple of corr_sub_tile, or the `left` there are.
std::size_t grid_piece(std::uint64_t g, std::size_t left) {
    return std::min<std::size_t>(left, corr_sub_tile - static_cast<std::size_t>(g % corr_sub_tile));
}

}  // namespace

corr_prepared_block prepare_block(const std::vector<series_view>& block, const corr_params& p) {
    corr_prepared_block pb;
    const std::size_t min_pairs = std::max<std::size_t>(p.min_overlap, 2);
    std::size_t points = 0;
    for (const auto& s : block) points += s.size();
    reserve_huge(pb.values, points);
    pb.values.resize(points);
    std::size_t used = 0;
    for (const auto& s : block) {
        auto st = make_unit_vector(s, p.method, min_pairs, std::span(pb.values).subspan(used, s.size()));
        // CBLAS counts in int: a longer series is left to correlate().
        if (s.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) st = corr_unit_vector::state::other;
        pb.state.push_back(st);
        pb.offset.push_back(used);
        if (st == corr_unit_vector::state::usable) used += s.size();
        int g = -1;
        if (st != corr_unit_vector::state::other) {
            for (std::size_t k = 0; k < pb.grid_rep.size() && g < 0; ++k)
                if (same_grid(pb.grid_rep[k], s, p.align)) g = static_cast<int>(k);
            if (g < 0) {
                g = static_cast<int>(pb.grid_rep.size());
                pb.grid_rep.push_back(s);
            }
        }
        pb.grid.push_back(g);
    }
    pb.values.resize(used);
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

std::vector<std::size_t> sub_tile_pieces(std::uint64_t first, std::size_t count) {
    std::vector<std::size_t> out;
    for (std::size_t at = 0; at < count;) {
        out.push_back(grid_piece(first + at, count - at));
        at += out.back();
    }
    return out;
}

void correlate_tile(const corr_block& rows, const corr_block& cols, bool diagonal, const corr_params& p,
                    corr_tile_target& target, std::size_t first_sub_tile, std::size_t end_sub_tile) {
    sub_tile_pass pass(rows, cols, diagonal, p, target);
    tile_buffers buf, mirror;
    buf.parts = target.sinks.size();
    const std::uint64_t off = target.row_offset;
    std::size_t sub_tile = 0;  // counted row by row
    for (std::size_t i0 = 0; i0 < rows.series.size();) {
        const std::size_t ni = grid_piece(rows.first + i0, rows.series.size() - i0);
        for (std::size_t j0 = diagonal ? i0 : 0; j0 < cols.series.size(); ++sub_tile) {
            const std::size_t nj = grid_piece(cols.first + j0, cols.series.size() - j0);
            if (sub_tile < first_sub_tile || sub_tile >= end_sub_tile) {
                j0 += nj;
                continue;
            }
            pass.run(i0, ni, j0, nj, buf);
            if (diagonal && i0 == j0) {
                // One square sub-tile holding both halves: complete it from the upper one.
                buf.complete_lower(ni);
                buf.write(target.sinks, off + rows.first + i0, cols.first + j0, ni, nj);
            } else {
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
