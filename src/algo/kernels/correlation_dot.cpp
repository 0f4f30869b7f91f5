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

// Four partial sums of f(v[t]), t = l (mod 4) in lane l, then (0 + 1) + (2 + 3): independent
// chains the compiler can keep in one vector register.
template <class F>
double sum4(std::span<const double> v, F f) {
    double acc[4] = {0, 0, 0, 0};
    const std::size_t n = v.size(), whole = n - n % 4;
    for (std::size_t t = 0; t < whole; t += 4)
        for (std::size_t l = 0; l < 4; ++l) acc[l] += f(v[t + l]);
    for (std::size_t t = whole; t < n; ++t) acc[0] += f(v[t]);
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

// The centred unit vector of complete values `v` into `z`: usable, or constant (all equal),
// or other (sums out of range).
corr_unit_vector::state unit_of(std::span<const double> v, std::span<double> z) {
    const std::size_t n = v.size();
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    if (*lo == *hi) return corr_unit_vector::state::constant;
    // Two-pass mean with the first-order correction, then the deviations and their norm.
    double mean = sum4(v, [](double x) { return x; }) / static_cast<double>(n);
    mean += sum4(v, [mean](double x) { return x - mean; }) / static_cast<double>(n);
    for (std::size_t t = 0; t < n; ++t) z[t] = v[t] - mean;
    const double ss = sum4(z, [](double x) { return x * x; });
    // Sums beyond the range of doubles (|x| near 1e154, or below 1e-154): correlate() scales.
    if (!std::isfinite(ss) || !(ss > 1e-280)) return corr_unit_vector::state::other;
    const double inv = 1.0 / std::sqrt(ss);
    for (double& x : z) x *= inv;
    return corr_unit_vector::state::usable;
}

}  // namespace

corr_unit_vector::state make_unit_vector(series_view x, corr_method method, std::size_t min_pairs,
                                         std::span<double> z) {
    using st = corr_unit_vector::state;
    const std::size_t n = x.size();
    if (n < std::max<std::size_t>(min_pairs, 2)) return st::other;
    const bool pearson = method == corr_method::pearson;
    for (double v : x.value)
        if (pearson ? !std::isfinite(v) : std::isnan(v)) return st::other;
    if (pearson) return unit_of(x.value, z);
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
