#include "algo/kernels/correlation_dot.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "algo/kernels/vector_lanes.hpp"

namespace tsbatch {
namespace {

using detail::vec_d;

// t is cut into pieces of this many points so that a block's vectors stay in cache across
// the pairs of a tile; the lane sums carry over between pieces.
constexpr std::size_t t_piece = 1024;
// Lanes per pair: lane l sums a[t] * b[t] over t = l (mod 4), in t order.
constexpr std::size_t lanes = 4;

inline vec_d load(const double* p) noexcept { return detail::load(p); }

// Four lane sums -> r: the tail (n mod 4 points) into lane 0 in t order, then
// (lane 0 + lane 1) + (lane 2 + lane 3), clamped. Every kernel ends here.
inline double finish(const double* acc, const double* a, const double* b, std::size_t n) noexcept {
    double s0 = acc[0];
    for (std::size_t t = n - n % lanes; t < n; ++t) s0 += a[t] * b[t];
    return std::clamp((s0 + acc[1]) + (acc[2] + acc[3]), -1.0, 1.0);
}

// One pair's lanes as two SSE2 vectors (lanes 0, 1 and 2, 3), over t in [t0, t1), t1 - t0 a
// multiple of 4.
inline void accumulate(double* acc, const double* a, const double* b, std::size_t t0, std::size_t t1) noexcept {
    vec_d lo = load(acc), hi = load(acc + 2);
    for (std::size_t t = t0; t < t1; t += lanes) {
        lo += load(a + t) * load(b + t);
        hi += load(a + t + 2) * load(b + t + 2);
    }
    std::memcpy(acc, &lo, sizeof lo);
    std::memcpy(acc + 2, &hi, sizeof hi);
}

// The portable blocked kernel: 2 x 2 pairs at once on SSE2 (baseline x86-64) or NEON. The
// lanes of pair (i, j) of a x b are at acc[((row0 + i) * acc_cols + col0 + j) * lanes].
void block_portable(std::span<const double* const> a, std::span<const double* const> b, std::size_t t0,
                    std::size_t t1, std::vector<double>& acc, std::size_t acc_cols, std::size_t col0, std::size_t row0) {
    const std::size_t na = a.size(), nb = b.size();
    const auto at = [&](std::size_t i, std::size_t j) { return &acc[((row0 + i) * acc_cols + col0 + j) * lanes]; };
    std::size_t i = 0;
    for (; i + 2 <= na; i += 2) {
        std::size_t j = 0;
        for (; j + 2 <= nb; j += 2) {
            double* p00 = at(i, j);
            double* p01 = at(i, j + 1);
            double* p10 = at(i + 1, j);
            double* p11 = at(i + 1, j + 1);
            vec_d c00l = load(p00), c00h = load(p00 + 2), c01l = load(p01), c01h = load(p01 + 2);
            vec_d c10l = load(p10), c10h = load(p10 + 2), c11l = load(p11), c11h = load(p11 + 2);
            const double *a0 = a[i], *a1 = a[i + 1], *b0 = b[j], *b1 = b[j + 1];
            for (std::size_t t = t0; t < t1; t += lanes) {
                const vec_d x0l = load(a0 + t), x0h = load(a0 + t + 2), x1l = load(a1 + t), x1h = load(a1 + t + 2);
                const vec_d y0l = load(b0 + t), y0h = load(b0 + t + 2), y1l = load(b1 + t), y1h = load(b1 + t + 2);
                c00l += x0l * y0l;
                c00h += x0h * y0h;
                c01l += x0l * y1l;
                c01h += x0h * y1h;
                c10l += x1l * y0l;
                c10h += x1h * y0h;
                c11l += x1l * y1l;
                c11h += x1h * y1h;
            }
            std::memcpy(p00, &c00l, 16), std::memcpy(p00 + 2, &c00h, 16), std::memcpy(p01, &c01l, 16),
                std::memcpy(p01 + 2, &c01h, 16);
            std::memcpy(p10, &c10l, 16), std::memcpy(p10 + 2, &c10h, 16), std::memcpy(p11, &c11l, 16),
                std::memcpy(p11 + 2, &c11h, 16);
        }
        for (; j < nb; ++j)
            for (std::size_t q = i; q < i + 2; ++q) accumulate(at(q, j), a[q], b[j], t0, t1);
    }
    for (; i < na; ++i)
        for (std::size_t j = 0; j < nb; ++j) accumulate(at(i, j), a[i], b[j], t0, t1);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define TSBATCH_DOT_AVX2 1
using vec4 = double __attribute__((vector_size(32)));

__attribute__((target("avx2"))) inline vec4 ld(const double* p) noexcept {
    vec4 x;
    std::memcpy(&x, p, sizeof x);
    return x;
}
__attribute__((target("avx2"))) inline void st(double* p, vec4 x) noexcept { std::memcpy(p, &x, sizeof x); }

// The same lanes in one AVX2 register per pair, 4 x 2 pairs at once. AVX2 without FMA: a
// product is rounded before it is added, exactly as on SSE2, so both kernels give the same
// bits.
__attribute__((target("avx2"))) void block_avx2(std::span<const double* const> a, std::span<const double* const> b,
                                                std::size_t t0, std::size_t t1, std::vector<double>& acc) {
    const std::size_t na = a.size(), nb = b.size();
    std::size_t i = 0;
    for (; i + 4 <= na; i += 4) {
        std::size_t j = 0;
        for (; j + 2 <= nb; j += 2) {
            double* p[4][2];
            for (std::size_t q = 0; q < 4; ++q)
                for (std::size_t r = 0; r < 2; ++r) p[q][r] = &acc[((i + q) * nb + j + r) * lanes];
            vec4 c00 = ld(p[0][0]), c01 = ld(p[0][1]), c10 = ld(p[1][0]), c11 = ld(p[1][1]);
            vec4 c20 = ld(p[2][0]), c21 = ld(p[2][1]), c30 = ld(p[3][0]), c31 = ld(p[3][1]);
            const double *a0 = a[i], *a1 = a[i + 1], *a2 = a[i + 2], *a3 = a[i + 3], *b0 = b[j], *b1 = b[j + 1];
            for (std::size_t t = t0; t < t1; t += lanes) {
                const vec4 y0 = ld(b0 + t), y1 = ld(b1 + t);
                const vec4 x0 = ld(a0 + t), x1 = ld(a1 + t), x2 = ld(a2 + t), x3 = ld(a3 + t);
                c00 += x0 * y0;
                c01 += x0 * y1;
                c10 += x1 * y0;
                c11 += x1 * y1;
                c20 += x2 * y0;
                c21 += x2 * y1;
                c30 += x3 * y0;
                c31 += x3 * y1;
            }
            st(p[0][0], c00), st(p[0][1], c01), st(p[1][0], c10), st(p[1][1], c11);
            st(p[2][0], c20), st(p[2][1], c21), st(p[3][0], c30), st(p[3][1], c31);
        }
        if (j < nb) block_portable(a.subspan(i, 4), b.subspan(j), t0, t1, acc, nb, j, i);
    }
    if (i < na) block_portable(a.subspan(i), b, t0, t1, acc, nb, 0, i);
}
#endif

}  // namespace

corr_unit_vector make_unit_vector(series_view x, corr_method method, std::size_t min_pairs) {
    corr_unit_vector u;
    const std::size_t n = x.size();
    if (n < std::max<std::size_t>(min_pairs, 2)) return u;
    for (double v : x.value)
        if (method == corr_method::pearson ? !std::isfinite(v) : std::isnan(v)) return u;
    std::vector<double> values;
    if (method == corr_method::spearman) {
        std::vector<std::pair<double, std::size_t>> order;
        average_ranks(x.value, order, values);
    } else {
        values.assign(x.value.begin(), x.value.end());
    }
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    if (*lo == *hi) {
        u.st = corr_unit_vector::state::constant;
        return u;
    }
    // Two-pass mean with the first-order correction, then the deviations and their norm.
    double sum = 0;
    for (double v : values) sum += v;
    double mean = sum / static_cast<double>(n);
    double correction = 0;
    for (double v : values) correction += v - mean;
    mean += correction / static_cast<double>(n);
    double ss = 0;
    for (double& v : values) {
        v -= mean;
        ss += v * v;
    }
    // Sums beyond the range of doubles (|x| near 1e154, or below 1e-154): correlate() scales.
    if (!std::isfinite(ss) || !(ss > 1e-280)) return u;
    const double inv = 1.0 / std::sqrt(ss);
    for (double& v : values) v *= inv;
    u.z = std::move(values);
    u.st = corr_unit_vector::state::usable;
    return u;
}

double unit_dot(const double* a, const double* b, std::size_t n) noexcept {
    double acc[lanes] = {0.0, 0.0, 0.0, 0.0};
    const std::size_t whole = n - n % lanes;
    for (std::size_t t0 = 0; t0 < whole; t0 += t_piece) accumulate(acc, a, b, t0, std::min(whole, t0 + t_piece));
    return finish(acc, a, b, n);
}

bool unit_dot_has_avx2() noexcept {
#ifdef TSBATCH_DOT_AVX2
    static const bool has = __builtin_cpu_supports("avx2");
    return has;
#else
    return false;
#endif
}

void unit_dot_block(std::span<const double* const> a, std::span<const double* const> b, std::size_t n,
                    std::span<double> out, dot_kernel kernel) {
    const std::size_t na = a.size(), nb = b.size();
    const std::size_t whole = n - n % lanes;
    const bool avx2 = kernel == dot_kernel::avx2 || (kernel == dot_kernel::automatic && unit_dot_has_avx2());
    std::vector<double> acc(na * nb * lanes, 0.0);
    for (std::size_t t0 = 0; t0 < whole; t0 += t_piece) {
        const std::size_t t1 = std::min(whole, t0 + t_piece);
#ifdef TSBATCH_DOT_AVX2
        if (avx2) {
            block_avx2(a, b, t0, t1, acc);
            continue;
        }
#else
        (void)avx2;
#endif
        block_portable(a, b, t0, t1, acc, nb, 0, 0);
    }
    for (std::size_t i = 0; i < na; ++i)
        for (std::size_t j = 0; j < nb; ++j) out[i * nb + j] = finish(&acc[(i * nb + j) * lanes], a[i], b[j], n);
}

}  // namespace tsbatch
