// Correlation kernels; the contract is in correlation.hpp.
//
// References: tests/fixtures/make_dataset_fixtures.py computes Pearson exactly in rational
// arithmetic (checked against numpy.corrcoef), Spearman with scipy.stats.spearmanr, and lags by
// brute force over numpy slices.
//
// Speed: pairing is one merge over the time axes, or none at all when both series share their
// time axis or align by index (the pairs are then views of the inputs, and slices of them per
// lag unless NaN must be dropped). Pearson is two passes over the pairs on explicit vector
// lanes (without -ffast-math a plain loop would keep its sums serial): min, max and a shifted
// sum, then the deviations. The lane structure is fixed and the loads unaligned, so results
// depend only on the pair values in order, never on where they sit in memory.
#include "algo/kernels/correlation.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "algo/kernels/vector_lanes.hpp"

namespace tsbatch {
namespace {

using detail::vec_d;

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

corr_value failed(corr_status s, std::size_t pairs) {
    return {nan_v, s, pairs};
}

struct value_scan {
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    bool finite = true;
    double mean = 0.0;  // by a shifted sum, see shifted_mean
};

inline double lanes(vec_d a, vec_d b) noexcept {
    return (a[0] + a[1]) + (b[0] + b[1]);
}

// min, max, finiteness and the mean in one vectorised pass, four accumulators of two lanes
// to overlap the latency of min, max and add. NaN or +-inf makes the shifted sum non-finite;
// so can finite values near the overflow threshold, hence the exact re-check then.
value_scan scan_values(std::span<const double> v) {
    using detail::unroll;
    value_scan s;
    const double* p = v.data();
    const std::size_t n = v.size();
    if (n == 0) return s;
    const double x0 = p[0];
    const vec_d s0 = detail::splat(x0), zero{0.0, 0.0};
    vec_d lo[unroll], hi[unroll], sum[unroll];
    for (std::size_t u = 0; u < unroll; ++u) {
        lo[u] = detail::splat(s.min);
        hi[u] = detail::splat(s.max);
        sum[u] = zero;
    }
    std::size_t i = 0;
    for (; i + detail::vec_step <= n; i += detail::vec_step) {
        for (std::size_t u = 0; u < unroll; ++u) {
            const vec_d a = detail::load(p + i + detail::vec_n * u);
            lo[u] = a < lo[u] ? a : lo[u];
            hi[u] = a > hi[u] ? a : hi[u];
            sum[u] += a - s0;
        }
    }
    double t = detail::lane_sum(sum);
    for (std::size_t u = 0; u < unroll; ++u)
        for (std::size_t j = 0; j < detail::vec_n; ++j) {
            s.min = std::min(s.min, lo[u][j]);
            s.max = std::max(s.max, hi[u][j]);
        }
    for (; i < n; ++i) {
        s.min = std::min(s.min, p[i]);
        s.max = std::max(s.max, p[i]);
        t += p[i] - x0;
    }
    s.finite = std::isfinite(t) || std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
    s.mean = x0 + t / static_cast<double>(n);
    return s;
}

// The power of two that brings max|v| into [0.5, 1): multiplying by it is exact for normal
// numbers, so r is unchanged while squares can no longer overflow or underflow.
double unit_scale(const value_scan& s) {
    const double m = std::max(std::fabs(s.min), std::fabs(s.max));
    return std::ldexp(1.0, -(std::ilogb(m) + 1));
}

inline vec_d load2(const double* p, double scale) noexcept {
    return detail::load(p) * detail::splat(scale);
}

// Mean by a shifted sum: x - x[0] is exact for data with a large offset, so the mean keeps
// the digits of the spread (plain sums of 1e9 + noise lose them).
double shifted_mean(const double* x, std::size_t n, double scale) {
    const double x0 = x[0] * scale;
    const vec_d s0 = detail::splat(x0);
    vec_d a{0.0, 0.0}, b{0.0, 0.0};
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        a += load2(x + i, scale) - s0;
        b += load2(x + i + 2, scale) - s0;
    }
    double s = lanes(a, b);
    for (; i < n; ++i) s += x[i] * scale - x0;
    return x0 + s / static_cast<double>(n);
}

struct comoments {
    double sxx = 0.0;
    double syy = 0.0;
    double sxy = 0.0;
};

// Second pass: sums of products of deviations from the means mx, my (of the scaled values),
// minus the first-order correction for the rounding of the means (Chan, Golub & LeVeque's
// corrected two-pass algorithm).
comoments deviations(const double* x, const double* y, std::size_t n, double scale_x, double scale_y, double mx,
                     double my) {
    const vec_d vmx = detail::splat(mx), vmy = detail::splat(my);
    vec_d dx[2] = {}, dy[2] = {}, xx[2] = {}, yy[2] = {}, xy[2] = {};
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        for (std::size_t u = 0; u < 2; ++u) {
            const vec_d a = load2(x + i + 2 * u, scale_x) - vmx;
            const vec_d b = load2(y + i + 2 * u, scale_y) - vmy;
            dx[u] += a;
            dy[u] += b;
            xx[u] += a * a;
            yy[u] += b * b;
            xy[u] += a * b;
        }
    }
    double sdx = lanes(dx[0], dx[1]), sdy = lanes(dy[0], dy[1]);
    double sxx = lanes(xx[0], xx[1]), syy = lanes(yy[0], yy[1]), sxy = lanes(xy[0], xy[1]);
    for (; i < n; ++i) {
        const double a = x[i] * scale_x - mx;
        const double b = y[i] * scale_y - my;
        sdx += a;
        sdy += b;
        sxx += a * a;
        syy += b * b;
        sxy += a * b;
    }
    const double dn = static_cast<double>(n);
    return {sxx - sdx * sdx / dn, syy - sdy * sdy / dn, sxy - sdx * sdy / dn};
}

// The product of the sums of squares is a normal, finite number: sqrt of it is accurate.
bool well_scaled(const comoments& c) {
    const double p = c.sxx * c.syy;
    return p >= DBL_MIN && p <= DBL_MAX && std::isfinite(c.sxy);
}

double clamp_r(double r) {
    return std::clamp(r, -1.0, 1.0);
}

std::size_t needed_pairs(std::size_t min_overlap) {
    return std::max<std::size_t>(min_overlap, 2);
}

}  // namespace

// Average ranks (1-based; a tie group shares the mean of its positions), as scipy's rankdata.
// The order within a tie group does not matter, so a plain sort of (value, index) suffices.
void average_ranks(std::span<const double> v, std::vector<std::pair<double, std::size_t>>& order,
                   std::vector<double>& ranks) {
    const std::size_t n = v.size();
    order.resize(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = {v[i], i};
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    ranks.resize(n);
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i + 1;
        while (j < n && order[j].first == order[i].first) ++j;
        const double r = static_cast<double>(i + 1 + j) / 2.0;  // mean of positions i+1 .. j, exact
        for (std::size_t q = i; q < j; ++q) ranks[order[q].second] = r;
        i = j;
    }
}

namespace {

bool any_nan(std::span<const double> v) {
    const double* p = v.data();
    const std::size_t n = v.size();
    detail::vec_mask nan{0, 0};
    std::size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        const vec_d a = detail::load(p + i);
        nan |= a != a;
    }
    bool found = (nan[0] | nan[1]) != 0;
    for (; i < n; ++i) found = found || std::isnan(p[i]);
    return found;
}

// The aligned sequence as two spans: views of the inputs when no join is needed (equal time
// axes, or index alignment), else the merge join in `storage`.
struct aligned_view {
    std::span<const double> x, y;
    bool has_nan = false;
};

void merge_join(series_view x, series_view y, aligned_pairs& out) {
    out.x.clear();
    out.y.clear();
    const std::size_t nx = x.size(), ny = y.size();
    out.x.reserve(std::min(nx, ny));
    out.y.reserve(std::min(nx, ny));
    std::size_t i = 0, j = 0;
    while (i < nx && j < ny) {
        if (x.time[i] < y.time[j]) {
            ++i;
        } else if (y.time[j] < x.time[i]) {
            ++j;
        } else {
            out.x.push_back(x.value[i++]);
            out.y.push_back(y.value[j++]);
        }
    }
}

aligned_view align_view(series_view x, series_view y, corr_align align, aligned_pairs& storage) {
    aligned_view v;
    if (align == corr_align::index || same_time_axis(x, y)) {
        const std::size_t n = std::min(x.size(), y.size());
        v.x = x.value.first(n);
        v.y = y.value.first(n);
    } else {
        merge_join(x, y, storage);
        v.x = storage.x;
        v.y = storage.y;
    }
    v.has_nan = any_nan(v.x) || any_nan(v.y);
    return v;
}

// The complete pairs (x_i, y_{i+k}) of the aligned sequence: slices of it when it holds no
// NaN, else copies into ws.px / ws.py.
std::pair<std::span<const double>, std::span<const double>> lag_pairs(const aligned_view& a, corr_workspace& ws,
                                                                      std::int64_t k) {
    const auto m = static_cast<std::int64_t>(a.x.size());
    const std::int64_t lo = std::max<std::int64_t>(0, -k), hi = std::min(m, m - k);
    if (hi <= lo) return {};
    const auto len = static_cast<std::size_t>(hi - lo);
    const auto xs = a.x.subspan(static_cast<std::size_t>(lo), len);
    const auto ys = a.y.subspan(static_cast<std::size_t>(lo + k), len);
    if (!a.has_nan) return {xs, ys};
    ws.px.clear();
    ws.py.clear();
    for (std::size_t i = 0; i < len; ++i) {
        if (std::isnan(xs[i]) || std::isnan(ys[i])) continue;
        ws.px.push_back(xs[i]);
        ws.py.push_back(ys[i]);
    }
    return {ws.px, ws.py};
}

corr_value at_lag(const aligned_view& a, corr_workspace& ws, const corr_params& p, std::int64_t k) {
    const auto [x, y] = lag_pairs(a, ws, k);
    if (p.method == corr_method::spearman) return spearman(x, y, p.min_overlap, ws);
    return pearson(x, y, p.min_overlap);
}

}  // namespace

void align_series(series_view x, series_view y, corr_align align, aligned_pairs& out) {
    aligned_pairs storage;
    const aligned_view v = align_view(x, y, align, storage);
    out.x.assign(v.x.begin(), v.x.end());
    out.y.assign(v.y.begin(), v.y.end());
}

corr_value pearson(std::span<const double> x, std::span<const double> y, std::size_t min_overlap) {
    if (x.size() != y.size()) throw std::invalid_argument("pearson: x and y differ in length");
    const std::size_t n = x.size();
    if (n < needed_pairs(min_overlap)) return failed(corr_status::too_little_overlap, n);
    const value_scan sx = scan_values(x), sy = scan_values(y);
    if (!sx.finite || !sy.finite) return failed(corr_status::non_finite, n);
    if (sx.min == sx.max || sy.min == sy.max) return failed(corr_status::zero_variance, n);
    comoments c = deviations(x.data(), y.data(), n, 1.0, 1.0, sx.mean, sy.mean);
    if (!well_scaled(c)) {
        const double kx = unit_scale(sx), ky = unit_scale(sy);
        c = deviations(x.data(), y.data(), n, kx, ky, shifted_mean(x.data(), n, kx), shifted_mean(y.data(), n, ky));
    }
    // After scaling the sums lie within [~2^-110 n, 4n]: only a spread lost to rounding of the
    // mean (values equal but for the last bits) can still leave them empty.
    if (!(c.sxx > 0.0) || !(c.syy > 0.0)) return failed(corr_status::zero_variance, n);
    if (!well_scaled(c)) return failed(corr_status::non_finite, n);
    return {clamp_r(c.sxy / std::sqrt(c.sxx * c.syy)), corr_status::ok, n};
}

corr_value spearman(std::span<const double> x, std::span<const double> y, std::size_t min_overlap, corr_workspace& ws) {
    if (x.size() != y.size()) throw std::invalid_argument("spearman: x and y differ in length");
    const std::size_t n = x.size();
    if (n < needed_pairs(min_overlap)) return failed(corr_status::too_little_overlap, n);
    if (any_nan(x) || any_nan(y)) return failed(corr_status::non_finite, n);
    average_ranks(x, ws.order, ws.rx);
    average_ranks(y, ws.order, ws.ry);
    return pearson(ws.rx, ws.ry, min_overlap);
}

corr_result correlate(series_view x, series_view y, const corr_params& p, corr_workspace& ws) {
    const aligned_view a = align_view(x, y, p.align, ws.aligned);
    corr_result res;
    res.at_zero = at_lag(a, ws, p, 0);
    res.best = res.at_zero;
    const std::size_t m = a.x.size();
    // |k| >= m leaves no pair, so such lags can never be the best one.
    const auto last = static_cast<std::int64_t>(std::min(p.max_lag, m == 0 ? 0 : m - 1));
    bool have = res.at_zero.status == corr_status::ok;
    // By increasing |k|, negative first, replacing only on a strictly larger |r|: ties keep
    // the smallest |k|, then the negative lag.
    for (std::int64_t k = 1; k <= last; ++k) {
        for (const std::int64_t lag : {-k, k}) {
            const corr_value v = at_lag(a, ws, p, lag);
            if (v.status != corr_status::ok) continue;
            if (!have || std::fabs(v.r) > std::fabs(res.best.r)) {
                res.best = v;
                res.best_lag = lag;
                have = true;
            }
        }
    }
    return res;
}

corr_result correlate(series_view x, series_view y, const corr_params& p) {
    corr_workspace ws;
    return correlate(x, y, p, ws);
}

void correlate_block(std::span<const series_view> rows, std::span<const series_view> cols, const corr_params& p,
                     std::span<corr_result> out) {
    if (out.size() != rows.size() * cols.size())
        throw std::invalid_argument("correlate_block: out holds " + std::to_string(out.size()) + " results, the tile " +
                                    std::to_string(rows.size() * cols.size()));
    corr_workspace ws;
    for (std::size_t i = 0; i < rows.size(); ++i)
        for (std::size_t j = 0; j < cols.size(); ++j) out[i * cols.size() + j] = correlate(rows[i], cols[j], p, ws);
}

}  // namespace tsbatch
