// Periodicity (PD_PeriodicityWang_th0_01, after Wang, Smith & Hyndman 2006): remove a smooth
// trend, then find the first autocorrelation peak that stands out from the trough before it.
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "algo/kernels/catch22_kernels.hpp"

namespace tsbatch::catch22 {
namespace {

constexpr std::size_t spline_dims = 5;

// The least-squares cubic spline through (i, y[i]) with interior knot floor(n / 2) - 1 (two
// cubic pieces joined with continuous value, slope and curvature: a 5-dimensional space),
// evaluated at every i. The reference builds B-splines and solves the normal equations; the
// fitted values of a least-squares problem do not depend on the basis, so this solves it in
// the truncated-power basis {1, s, s^2, s^3, (s - knot)_+^3} on s in [-1, 1] by Householder
// QR (no squared condition number). The two agree to ~1e-14 of the data's scale, and the
// feature, a lag, only moves if an autocorrelation difference sits within that of 0.
std::vector<double> spline_trend(std::span<const double> y) {
    const std::size_t n = y.size();
    const double knot_index = std::floor(static_cast<double>(n) / 2.0) - 1;
    const double scale = 2.0 / static_cast<double>(n - 1);
    const double knot = knot_index * scale - 1;
    // Column-major design matrix and right-hand side, reduced in place.
    std::vector<double> a(n * spline_dims);
    for (std::size_t i = 0; i < n; ++i) {
        const double s = static_cast<double>(i) * scale - 1;
        const double past = s > knot ? s - knot : 0.0;
        a[0 * n + i] = 1;
        a[1 * n + i] = s;
        a[2 * n + i] = s * s;
        a[3 * n + i] = s * s * s;
        a[4 * n + i] = past * past * past;
    }
    std::vector<double> b(y.begin(), y.end());
    std::array<double, spline_dims> diag{};
    for (std::size_t k = 0; k < spline_dims; ++k) {
        double* col = a.data() + k * n;
        double norm = 0;
        for (std::size_t i = k; i < n; ++i) norm += col[i] * col[i];
        norm = std::sqrt(norm);
        const double alpha = col[k] > 0 ? -norm : norm;
        // Householder vector v = x - alpha e_k, stored over the column; H = I - 2 v v^T / v^T v.
        col[k] -= alpha;
        double vv = 0;
        for (std::size_t i = k; i < n; ++i) vv += col[i] * col[i];
        diag[k] = alpha;
        if (vv == 0) continue;
        const auto reflect = [&](double* x) {
            double d = 0;
            for (std::size_t i = k; i < n; ++i) d += col[i] * x[i];
            const double f = 2 * d / vv;
            for (std::size_t i = k; i < n; ++i) x[i] -= f * col[i];
        };
        for (std::size_t j = k + 1; j < spline_dims; ++j) reflect(a.data() + j * n);
        reflect(b.data());
    }
    // R c = Q^T y: R's diagonal in diag, above it in a.
    std::array<double, spline_dims> c{};
    for (std::size_t k = spline_dims; k-- > 0;) {
        double r = b[k];
        for (std::size_t j = k + 1; j < spline_dims; ++j) r -= a[j * n + k] * c[j];
        c[k] = diag[k] != 0 ? r / diag[k] : 0.0;
    }
    std::vector<double> fit(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double s = static_cast<double>(i) * scale - 1;
        const double past = s > knot ? s - knot : 0.0;
        fit[i] = c[0] + s * (c[1] + s * (c[2] + s * c[3])) + c[4] * past * past * past;
    }
    return fit;
}

}  // namespace

// The residual after the spline trend; its autocorrelation by direct sums, not normalised
// (sum y[i] y[i + lag] / (n - lag)), at lags 1..ceil(n / 3). Scanning lags in order, troughs
// and peaks are strict local minima and maxima; the feature is the first peak that is >= 0
// and at least 0.01 above the last trough before it, reported as lag - 1 (the reference's
// index); 0 when there is none. Lags are computed as the scan needs them: a clear period
// stops the scan early instead of paying n^2 / 3 products.
double periodicity(std::span<const double> z) {
    constexpr double threshold = 0.01;
    const std::size_t n = z.size();
    const std::vector<double> trend = spline_trend(z);
    std::vector<double> r(n);
    for (std::size_t i = 0; i < n; ++i) r[i] = z[i] - trend[i];
    const auto max_lag = static_cast<std::size_t>(std::ceil(static_cast<double>(n) / 3));
    std::vector<double> acf;  // acf[k] = lag k + 1
    acf.reserve(max_lag);
    // Lags are summed in blocks of 8: one pass over r feeds 8 independent sums (each still
    // adds its products in index order, so every value has the bits of a plain loop), which
    // keeps the multiply-adds busy instead of waiting on one sum's additions.
    constexpr std::size_t block = 8;
    const auto lag_value = [&](std::size_t k) {
        while (acf.size() <= k) {
            const std::size_t first = acf.size() + 1;
            const std::size_t count = std::min(block, max_lag - acf.size());
            std::array<double, block> sum{};
            const std::size_t common = n - (first + count - 1);  // i < common: every lag has r[i + lag]
            if (count == block) {
                for (std::size_t i = 0; i < common; ++i) {
                    const double v = r[i];
                    const double* w = r.data() + i + first;
                    for (std::size_t j = 0; j < block; ++j) sum[j] += v * w[j];  // fixed trip count: unrolled
                }
            } else {
                for (std::size_t i = 0; i < common; ++i)
                    for (std::size_t j = 0; j < count; ++j) sum[j] += r[i] * r[i + first + j];
            }
            for (std::size_t j = 0; j < count; ++j) {
                const std::size_t lag = first + j;
                for (std::size_t i = common; i + lag < n; ++i) sum[j] += r[i] * r[i + lag];
                acf.push_back(sum[j] / static_cast<double>(n - lag));
            }
        }
        return acf[k];
    };
    bool have_trough = false;
    double trough = 0;
    for (std::size_t i = 1; i + 1 < max_lag; ++i) {
        const double before = lag_value(i - 1), here = lag_value(i), after = lag_value(i + 1);
        const double slope_in = here - before, slope_out = after - here;
        if (slope_in < 0 && slope_out > 0) {
            have_trough = true;
            trough = here;
        } else if (slope_in > 0 && slope_out < 0) {
            if (!have_trough || here - trough < threshold || here < 0) continue;
            return static_cast<double>(i);
        }
    }
    return 0.0;
}

}  // namespace tsbatch::catch22
