#include "algo/correlation_dot.hpp"

#include <algorithm>
#include <cmath>

#include "algo/vector_lanes.hpp"

namespace tsbatch {
namespace {

using detail::vec_d;

// t is cut into pieces of this many points so that a 4 x 2 block's eight vectors stay in
// cache across the pairs of a tile; the lane sums carry over between pieces.
constexpr std::size_t t_piece = 1024;

inline vec_d load(const double* p) noexcept { return detail::load(p); }

// Lane sums -> r: the odd tail into lane 0, then lane 0 + lane 1, clamped.
inline double finish(vec_d acc, const double* a, const double* b, std::size_t n) noexcept {
    double s0 = acc[0];
    if (n % 2) s0 += a[n - 1] * b[n - 1];
    return std::clamp(s0 + acc[1], -1.0, 1.0);
}

// Adds the products over t in [t0, t1) (t1 - t0 even) to one pair's lanes.
inline vec_d accumulate(vec_d acc, const double* a, const double* b, std::size_t t0, std::size_t t1) noexcept {
    for (std::size_t t = t0; t < t1; t += 2) acc += load(a + t) * load(b + t);
    return acc;
}

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
    vec_d acc{0.0, 0.0};
    const std::size_t even = n - n % 2;
    for (std::size_t t0 = 0; t0 < even; t0 += t_piece) acc = accumulate(acc, a, b, t0, std::min(even, t0 + t_piece));
    return finish(acc, a, b, n);
}

void unit_dot_block(std::span<const double* const> a, std::span<const double* const> b, std::size_t n,
                    std::span<double> out) {
    const std::size_t na = a.size(), nb = b.size();
    const std::size_t even = n - n % 2;
    std::vector<vec_d> acc(na * nb, vec_d{0.0, 0.0});
    for (std::size_t t0 = 0; t0 < even; t0 += t_piece) {
        const std::size_t t1 = std::min(even, t0 + t_piece);
        std::size_t i = 0;
        for (; i + 4 <= na; i += 4) {
            std::size_t j = 0;
            for (; j + 2 <= nb; j += 2) {
                // Eight pairs at once: eight independent chains hide the add latency, and each
                // loaded piece of a row or column serves two or four pairs.
                vec_d c00 = acc[i * nb + j], c01 = acc[i * nb + j + 1];
                vec_d c10 = acc[(i + 1) * nb + j], c11 = acc[(i + 1) * nb + j + 1];
                vec_d c20 = acc[(i + 2) * nb + j], c21 = acc[(i + 2) * nb + j + 1];
                vec_d c30 = acc[(i + 3) * nb + j], c31 = acc[(i + 3) * nb + j + 1];
                const double *a0 = a[i], *a1 = a[i + 1], *a2 = a[i + 2], *a3 = a[i + 3], *b0 = b[j], *b1 = b[j + 1];
                for (std::size_t t = t0; t < t1; t += 2) {
                    const vec_d y0 = load(b0 + t), y1 = load(b1 + t);
                    const vec_d x0 = load(a0 + t), x1 = load(a1 + t), x2 = load(a2 + t), x3 = load(a3 + t);
                    c00 += x0 * y0;
                    c01 += x0 * y1;
                    c10 += x1 * y0;
                    c11 += x1 * y1;
                    c20 += x2 * y0;
                    c21 += x2 * y1;
                    c30 += x3 * y0;
                    c31 += x3 * y1;
                }
                acc[i * nb + j] = c00, acc[i * nb + j + 1] = c01;
                acc[(i + 1) * nb + j] = c10, acc[(i + 1) * nb + j + 1] = c11;
                acc[(i + 2) * nb + j] = c20, acc[(i + 2) * nb + j + 1] = c21;
                acc[(i + 3) * nb + j] = c30, acc[(i + 3) * nb + j + 1] = c31;
            }
            for (; j < nb; ++j)
                for (std::size_t q = i; q < i + 4; ++q) acc[q * nb + j] = accumulate(acc[q * nb + j], a[q], b[j], t0, t1);
        }
        for (; i < na; ++i)
            for (std::size_t j = 0; j < nb; ++j) acc[i * nb + j] = accumulate(acc[i * nb + j], a[i], b[j], t0, t1);
    }
    for (std::size_t i = 0; i < na; ++i)
        for (std::size_t j = 0; j < nb; ++j) out[i * nb + j] = finish(acc[i * nb + j], a[i], b[j], n);
}

}  // namespace tsbatch
