// The matrix profile kernel: window statistics, the tile grid, the tile loop and the exact
// finishing steps (contract and method in matrix_profile.hpp).
//
// The tile loop itself is in matrix_profile_tiles.cpp.
#include "algo/kernels/matrix_profile.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.hpp"


namespace tsbatch {
namespace {

constexpr double inf_v = std::numeric_limits<double>::infinity();
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

// Score of a constant window against another constant one (distance 0) and against any other
// window (distance sqrt(m), i.e. correlation 1 - m / (2 m)).
constexpr double constant_pair_score = 1.0;
constexpr double constant_other_score = 0.5;

// Sorted windows of one kind, and the smallest of them outside [lo, hi].
std::vector<std::uint64_t> windows_of_kind(const window_stats& s, window_kind k) {
    std::vector<std::uint64_t> out;
    for (std::uint64_t i = 0; i < s.windows(); ++i)
        if (s.kind[i] == static_cast<std::uint8_t>(k)) out.push_back(i);
    return out;
}

std::int64_t smallest_outside(const std::vector<std::uint64_t>& sorted, std::int64_t lo, std::int64_t hi) {
    if (sorted.empty()) return -1;
    if (static_cast<std::int64_t>(sorted.front()) < lo) return static_cast<std::int64_t>(sorted.front());
    const auto it = std::upper_bound(sorted.begin(), sorted.end(), hi,
                                     [](std::int64_t v, std::uint64_t x) { return v < static_cast<std::int64_t>(x); });
    return it == sorted.end() ? -1 : static_cast<std::int64_t>(*it);
}

void offer(profile_part& p, std::uint64_t i, double score, std::int64_t j) {
    const std::size_t k = i - p.first;
    if (j >= 0 && mp_better(score, j, p.score[k], p.index[k])) {
        p.score[k] = score;
        p.index[k] = j;
    }
}

}  // namespace

double window_shift(std::span<const double> values) {
    for (double v : values)
        if (std::isfinite(v)) return v;
    return 0.0;
}

window_stats compute_window_stats(std::span<const double> values, std::size_t m, bool normalized,
                                  std::optional<double> shift) {
    window_stats s;
    s.m = m;
    s.normalized = normalized;
    const std::size_t n = values.size();
    if (m == 0 || m > n) return s;
    const std::size_t w = n - m + 1;
    // Clean values: non-finite ones replaced by the previous finite one.
    s.clean.assign(values.begin(), values.end());
    std::vector<std::uint32_t> bad_before(n + 1, 0);  // non-finite values in [0, k)
    double last = window_shift(values);
    // Every value is taken relative to the first finite one: z-normalised distances do not
    // change, and the means, the recurrence and the exact dots then work on numbers of the
    // size of the series' variation, not of its offset (a level of 1e9 would otherwise leave
    // only ~1e-7 of absolute precision in each mean and ~1e-8 in each correlation).
    s.shift = shift ? *shift : last;
    for (std::size_t k = 0; k < n; ++k) {
        const bool ok = std::isfinite(values[k]);
        bad_before[k + 1] = bad_before[k] + (ok ? 0 : 1);
        if (ok) last = values[k];
        s.clean[k] = last - s.shift;
    }
    // Runs of equal values: a window is constant when the run starting at it covers it.
    std::vector<std::uint32_t> equal_run(n, 1);
    for (std::size_t k = n - 1; k-- > 0;)
        if (s.clean[k] == s.clean[k + 1]) equal_run[k] = equal_run[k + 1] + 1;

    s.mean.resize(w);
    s.norm.resize(w);
    s.inv_norm.resize(w);
    s.kind.resize(w);
    const double inv_m = 1.0 / static_cast<double>(m);
    for (std::size_t i = 0; i < w; ++i) {
        const double* x = s.clean.data() + i;
        const bool excluded = bad_before[i + m] != bad_before[i];
        const bool constant = normalized && !excluded && equal_run[i] >= m;
        double mu;
        double sq = 0.0;
        if (constant) {
            mu = x[0];
        } else {
            // Two passes: the plain mean, then the mean of the residuals as its correction.
            double sum = 0.0;
            for (std::size_t k = 0; k < m; ++k) sum += x[k];
            mu = sum * inv_m;
            double res = 0.0;
            for (std::size_t k = 0; k < m; ++k) res += x[k] - mu;
            mu += res * inv_m;
            for (std::size_t k = 0; k < m; ++k) sq += (x[k] - mu) * (x[k] - mu);
        }
        s.mean[i] = mu;
        s.norm[i] = std::sqrt(sq);
        s.kind[i] = static_cast<std::uint8_t>(excluded   ? window_kind::excluded
                                              : constant ? window_kind::constant
                                                         : window_kind::ordinary);
        // A window whose values differ but whose centred norm rounds to 0 cannot be
        // normalised either: it is treated as constant.
        if (normalized && s.kind[i] == static_cast<std::uint8_t>(window_kind::ordinary) && !(s.norm[i] > 0.0))
            s.kind[i] = static_cast<std::uint8_t>(window_kind::constant);
        s.inv_norm[i] = s.kind[i] == static_cast<std::uint8_t>(window_kind::ordinary) ? 1.0 / s.norm[i] : nan_v;
    }
    if (!normalized) {
        s.half_square.resize(w);
        s.scaled_mean.resize(w);
        const auto md = static_cast<double>(m);
        for (std::size_t i = 0; i < w; ++i) {
            const bool excluded = s.kind[i] == static_cast<std::uint8_t>(window_kind::excluded);
            s.half_square[i] = excluded ? nan_v : (s.norm[i] * s.norm[i] + md * s.mean[i] * s.mean[i]) * 0.5;
            s.scaled_mean[i] = md * s.mean[i];
        }
    }
    s.df.assign(w, 0.0);
    s.dg.assign(w, 0.0);
    for (std::size_t i = 0; i + 1 < w; ++i) {
        s.df[i] = (s.clean[i + m] - s.clean[i]) * 0.5;
        s.dg[i] = (s.clean[i + m] - s.mean[i + 1]) + (s.clean[i] - s.mean[i]);
    }
    return s;
}

std::uint64_t tile_cells(const mp_tile& t) {
    std::uint64_t cells = 0;
    for (std::uint64_t i = t.row0; i < t.row1; ++i) {
        const std::int64_t from = std::max(static_cast<std::int64_t>(t.col0), static_cast<std::int64_t>(i) + t.min_diag);
        if (from < static_cast<std::int64_t>(t.col1)) cells += t.col1 - static_cast<std::uint64_t>(from);
    }
    return cells;
}

std::vector<mp_tile> self_join_tiles(std::uint64_t windows, std::uint64_t exclusion, std::uint64_t side) {
    std::vector<mp_tile> tiles;
    if (side == 0) return tiles;
    for (std::uint64_t r = 0; r < windows; r += side)
        for (std::uint64_t c = r; c < windows; c += side) {
            const mp_tile t{r, std::min(windows, r + side), c, std::min(windows, c + side),
                            static_cast<std::int64_t>(exclusion) + 1};
            if (t.col1 - 1 >= t.row0 && static_cast<std::int64_t>(t.col1 - 1) - static_cast<std::int64_t>(t.row0) >=
                                            t.min_diag)
                tiles.push_back(t);
        }
    return tiles;
}

std::vector<mp_tile> ab_join_tiles(std::uint64_t rows, std::uint64_t cols, std::uint64_t side) {
    std::vector<mp_tile> tiles;
    if (side == 0) return tiles;
    for (std::uint64_t r = 0; r < rows; r += side)
        for (std::uint64_t c = 0; c < cols; c += side)
            tiles.push_back({r, std::min(rows, r + side), c, std::min(cols, c + side), ab_join_min_diag});
    return tiles;
}

profile_part::profile_part(std::uint64_t first_window, std::size_t count)
    : first(first_window), score(count, -inf_v), index(count, -1) {}

void profile_part::merge(const profile_part& other) {
    const std::uint64_t lo = std::max(first, other.first);
    const std::uint64_t hi = std::min(first + size(), other.first + other.size());
    for (std::uint64_t w = lo; w < hi; ++w) {
        const std::size_t k = w - first, o = w - other.first;
        if (mp_better(other.score[o], other.index[o], score[k], index[k])) {
            score[k] = other.score[o];
            index[k] = other.index[o];
        }
    }
}

void settle_constant_windows(const window_stats& s, std::uint64_t exclusion, profile_part& p) {
    const auto constants = windows_of_kind(s, window_kind::constant);
    if (constants.empty()) return;
    const auto ordinary = windows_of_kind(s, window_kind::ordinary);
    const auto e = static_cast<std::int64_t>(exclusion);
    for (std::uint64_t i = 0; i < s.windows(); ++i) {
        const auto kind = static_cast<window_kind>(s.kind[i]);
        if (kind == window_kind::excluded) continue;
        const auto lo = static_cast<std::int64_t>(i) - e, hi = static_cast<std::int64_t>(i) + e;
        if (kind == window_kind::constant) {
            offer(p, i, constant_pair_score, smallest_outside(constants, lo, hi));
            offer(p, i, constant_other_score, smallest_outside(ordinary, lo, hi));
        } else {
            offer(p, i, constant_other_score, smallest_outside(constants, lo, hi));
        }
    }
}

void settle_constant_windows_ab(const window_stats& a, const window_stats& b, profile_part& p) {
    const auto constants = windows_of_kind(b, window_kind::constant);
    const auto ordinary = windows_of_kind(b, window_kind::ordinary);
    const std::int64_t first_constant = constants.empty() ? -1 : static_cast<std::int64_t>(constants.front());
    const std::int64_t first_ordinary = ordinary.empty() ? -1 : static_cast<std::int64_t>(ordinary.front());
    for (std::uint64_t i = 0; i < a.windows(); ++i) {
        const auto kind = static_cast<window_kind>(a.kind[i]);
        if (kind == window_kind::constant) {
            offer(p, i, constant_pair_score, first_constant);
            offer(p, i, constant_other_score, first_ordinary);
        } else if (kind == window_kind::ordinary) {
            offer(p, i, constant_other_score, first_constant);
        }
    }
}

profile_part self_join_candidates(const window_stats& s, std::uint64_t exclusion, std::uint64_t side) {
    profile_part all(0, s.windows());
    profile_part rows, cols;
    for (const auto& t : self_join_tiles(s.windows(), exclusion, side)) {
        compute_tile(s, s, t, rows, &cols);
        all.merge(rows);
        all.merge(cols);
    }
    settle_constant_windows(s, exclusion, all);
    return all;
}

profile_part ab_join_candidates(const window_stats& a, const window_stats& b, std::uint64_t side) {
    profile_part all(0, a.windows());
    profile_part rows;
    for (const auto& t : ab_join_tiles(a.windows(), b.windows(), side)) {
        compute_tile(a, b, t, rows, nullptr);
        all.merge(rows);
    }
    settle_constant_windows_ab(a, b, all);
    return all;
}

double recompute_distance(const window_stats& a, std::uint64_t i, const window_stats& b, std::uint64_t j) {
    const auto ka = static_cast<window_kind>(a.kind[i]), kb = static_cast<window_kind>(b.kind[j]);
    if (ka == window_kind::excluded || kb == window_kind::excluded) return inf_v;
    const std::size_t m = a.m;
    if (!a.normalized) {
        if (a.shift != b.shift) throw internal_error("plain distances between series taken relative to different shifts");
        double sum = 0.0;
        for (std::size_t k = 0; k < m; ++k) {
            const double diff = a.clean[i + k] - b.clean[j + k];
            sum += diff * diff;
        }
        return std::sqrt(sum);
    }
    if (ka == window_kind::constant || kb == window_kind::constant)
        return ka == kb ? 0.0 : std::sqrt(static_cast<double>(m));
    const double root_m = std::sqrt(static_cast<double>(m));
    const double sa = a.norm[i] / root_m, sb = b.norm[j] / root_m;  // population std
    const double* x = a.clean.data() + i;
    const double* y = b.clean.data() + j;
    double sum = 0.0;
    for (std::size_t k = 0; k < m; ++k) {
        const double diff = (x[k] - a.mean[i]) / sa - (y[k] - b.mean[j]) / sb;
        sum += diff * diff;
    }
    return std::sqrt(sum);
}

void finish_profile(const window_stats& a, const window_stats& b, const profile_part& p, std::span<double> distance,
                    std::span<std::int64_t> index) {
    for (std::size_t k = 0; k < p.size(); ++k) {
        const std::int64_t j = p.index[k];
        index[k] = j;
        distance[k] = j < 0 ? inf_v : recompute_distance(a, p.first + k, b, static_cast<std::uint64_t>(j));
        if (!std::isfinite(distance[k])) index[k] = -1;
    }
}

namespace {

// Windows ordered by distance (ascending or descending), ties by the smaller window.
std::vector<std::uint64_t> order_by_distance(std::span<const double> distance, std::span<const std::int64_t> index,
                                             bool ascending) {
    std::vector<std::uint64_t> order;
    for (std::uint64_t i = 0; i < distance.size(); ++i)
        if (index[i] >= 0 && std::isfinite(distance[i])) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](std::uint64_t x, std::uint64_t y) {
        return ascending ? distance[x] < distance[y] : distance[x] > distance[y];
    });
    return order;
}

void block_zone(std::vector<bool>& blocked, std::int64_t centre, std::uint64_t exclusion) {
    const auto n = static_cast<std::int64_t>(blocked.size());
    const auto e = static_cast<std::int64_t>(exclusion);
    for (std::int64_t k = std::max<std::int64_t>(0, centre - e); k <= std::min(n - 1, centre + e); ++k)
        blocked[static_cast<std::size_t>(k)] = true;
}

}  // namespace

std::vector<mp_event> top_motifs(std::span<const double> distance, std::span<const std::int64_t> index,
                                 std::uint64_t exclusion, std::size_t k, bool self_join) {
    std::vector<mp_event> out;
    std::vector<bool> blocked(distance.size(), false);
    for (std::uint64_t i : order_by_distance(distance, index, true)) {
        if (out.size() == k) break;
        const std::int64_t j = index[i];
        const bool j_inside = self_join && static_cast<std::uint64_t>(j) < blocked.size();
        if (blocked[i] || (j_inside && blocked[static_cast<std::size_t>(j)])) continue;
        mp_event e;
        e.start = j_inside ? std::min<std::uint64_t>(i, static_cast<std::uint64_t>(j)) : i;
        e.neighbor = j_inside ? std::max<std::int64_t>(static_cast<std::int64_t>(i), j) : j;
        e.distance = distance[i];
        out.push_back(e);
        block_zone(blocked, static_cast<std::int64_t>(i), exclusion);
        if (j_inside) block_zone(blocked, j, exclusion);
    }
    return out;
}

std::vector<mp_event> top_discords(std::span<const double> distance, std::span<const std::int64_t> index,
                                   std::uint64_t exclusion, std::size_t k) {
    std::vector<mp_event> out;
    std::vector<bool> blocked(distance.size(), false);
    for (std::uint64_t i : order_by_distance(distance, index, false)) {
        if (out.size() == k) break;
        if (blocked[i]) continue;
        out.push_back({i, index[i], distance[i]});
        block_zone(blocked, static_cast<std::int64_t>(i), exclusion);
    }
    return out;
}

}  // namespace tsbatch
