#include "algo/kernels/correlation_dot.hpp"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "algo/kernels/blas.hpp"

namespace tsbatch {
namespace {

// Rows a[0..] as one row-major matrix: a[0] itself when they already sit n apart (the rows of
// a prepared block), else a copy in `buffer`.
const double* as_matrix(std::span<const double* const> rows, std::size_t n, std::vector<double>& buffer) {
    bool strided = true;
    for (std::size_t i = 1; i < rows.size() && strided; ++i) strided = rows[i] == rows[0] + i * n;
    if (strided) return rows[0];
    if (buffer.size() < rows.size() * n) buffer.resize(rows.size() * n);
    for (std::size_t i = 0; i < rows.size(); ++i) std::memcpy(&buffer[i * n], rows[i], n * sizeof(double));
    return buffer.data();
}

// CBLAS takes int sizes; prepare_block leaves longer series to correlate().
void check_blas_sizes(std::size_t n, std::size_t na, std::size_t nb) {
    constexpr auto most = static_cast<std::size_t>(INT_MAX);
    if (n > most || na > most || nb > most)
        throw std::length_error("correlation: a tile product larger than CBLAS's int sizes");
}

}  // namespace

namespace {

// The centred unit vector of `v` into `z`: usable, or constant (all equal), or other (a NaN
// or an infinity, or sums out of range). Three passes, each with four independent lanes (lane
// l takes t = l mod 4, combined as (0 + 1) + (2 + 3)): the series is in cache after the first.
// The AVX2 clone runs the four lanes as one vector, operation for operation as the default
// one does (no FMA: -ffp-contract=off), so both give the same bits; it takes a third of
// the time of the SSE2 build, whose compiler keeps most of the lanes scalar.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
corr_unit_vector::state
unit_of(std::span<const double> v, std::span<double> z) {
    using st = corr_unit_vector::state;
    const std::size_t n = v.size(), whole = n - n % 4;
    const auto lanes = [](const double* a) { return (a[0] + a[1]) + (a[2] + a[3]); };
    // 1. Least, largest and sum. A NaN never becomes least or largest but makes the sum NaN.
    double lo[4] = {v[0], v[0], v[0], v[0]}, hi[4] = {v[0], v[0], v[0], v[0]}, sum[4] = {0, 0, 0, 0};
    for (std::size_t t = 0; t < whole; t += 4)
        for (std::size_t l = 0; l < 4; ++l) {
            const double x = v[t + l];
            lo[l] = x < lo[l] ? x : lo[l];
            hi[l] = x > hi[l] ? x : hi[l];
            sum[l] += x;
        }
    for (std::size_t t = whole; t < n; ++t) {
        lo[0] = v[t] < lo[0] ? v[t] : lo[0];
        hi[0] = v[t] > hi[0] ? v[t] : hi[0];
        sum[0] += v[t];
    }
    const double least = std::min(std::min(lo[0], lo[1]), std::min(lo[2], lo[3]));
    const double largest = std::max(std::max(hi[0], hi[1]), std::max(hi[2], hi[3]));
    const double total = lanes(sum);
    if (!std::isfinite(least) || !std::isfinite(largest) || std::isnan(total)) return st::other;
    if (least == largest) return st::constant;
    if (!std::isfinite(total)) return st::other;  // the sum overflows: correlate() scales
    // 2. Deviations from the first mean, and their squares: the corrected two-pass mean and sum
    // of squares (the sum of deviations corrects the rounding of the first mean).
    const double first_mean = total / static_cast<double>(n);
    double dev[4] = {0, 0, 0, 0}, sq[4] = {0, 0, 0, 0};
    for (std::size_t t = 0; t < whole; t += 4)
        for (std::size_t l = 0; l < 4; ++l) {
            const double d = v[t + l] - first_mean;
            dev[l] += d;
            sq[l] += d * d;
        }
    for (std::size_t t = whole; t < n; ++t) {
        const double d = v[t] - first_mean;
        dev[0] += d;
        sq[0] += d * d;
    }
    const double d_sum = lanes(dev);
    const double mean = first_mean + d_sum / static_cast<double>(n);
    const double ss = lanes(sq) - d_sum * d_sum / static_cast<double>(n);
    // Sums beyond the range of doubles (|x| near 1e154, or below 1e-154): correlate() scales.
    if (!std::isfinite(ss) || !(ss > 1e-280)) return st::other;
    // 3. The unit vector.
    const double inv = 1.0 / std::sqrt(ss);
    for (std::size_t t = 0; t < n; ++t) z[t] = (v[t] - mean) * inv;
    return st::usable;
}

}  // namespace

corr_unit_vector::state make_unit_vector(series_view x, corr_method method, std::size_t min_pairs,
                                         std::span<double> z) {
    using st = corr_unit_vector::state;
    const std::size_t n = x.size();
    if (n < std::max<std::size_t>(min_pairs, 2)) return st::other;
    if (method == corr_method::pearson) return unit_of(x.value, z);  // NaN and inf are `other` there
    // Spearman ranks infinities like any value; a NaN leaves the pair to correlate().
    for (double v : x.value)
        if (std::isnan(v)) return st::other;
    std::vector<double> ranks;
    std::vector<std::pair<double, std::size_t>> order;
    average_ranks(x.value, order, ranks);
    return unit_of(ranks, z);
}

corr_unit_vector make_unit_vector(series_view x, corr_method method, std::size_t min_pairs) {
    corr_unit_vector u;
    u.z.resize(x.size());
    u.st = make_unit_vector(x, method, min_pairs, u.z);
    if (u.st != corr_unit_vector::state::usable) u.z.clear();
    return u;
}

void unit_dot_block(std::span<const double* const> a, std::span<const double* const> b, std::size_t n,
                    std::span<double> out, corr_dot_scratch& scratch) {
    const std::size_t na = a.size(), nb = b.size();
    if (na == 0 || nb == 0) return;
    check_blas_sizes(n, na, nb);
    use_one_blas_thread();
    const double* A = as_matrix(a, n, scratch.a);
    const double* B = as_matrix(b, n, scratch.b);
    const int ni = static_cast<int>(n);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(na), static_cast<int>(nb), ni, 1.0, A, ni, B,
                ni, 0.0, out.data(), static_cast<int>(nb));
    for (std::size_t k = 0; k < na * nb; ++k) out[k] = std::clamp(out[k], -1.0, 1.0);
}

void unit_dot_gram(std::span<const double* const> a, std::size_t n, std::span<double> out, corr_dot_scratch& scratch) {
    const std::size_t na = a.size();
    if (na == 0) return;
    check_blas_sizes(n, na, na);
    use_one_blas_thread();
    const double* A = as_matrix(a, n, scratch.a);
    const int ni = static_cast<int>(n), m = static_cast<int>(na);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, m, ni, 1.0, A, ni, 0.0, out.data(), m);
    for (std::size_t i = 0; i < na; ++i) {
        out[i * na + i] = std::clamp(out[i * na + i], -1.0, 1.0);
        for (std::size_t j = i + 1; j < na; ++j)
            out[j * na + i] = out[i * na + j] = std::clamp(out[i * na + j], -1.0, 1.0);
    }
}

}  // namespace tsbatch
