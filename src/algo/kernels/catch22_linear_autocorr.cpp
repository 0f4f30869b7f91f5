// Features of the linear autocorrelation: its 1/e crossing (acf_timescale), its first local
// minimum (acf_first_min), the first minimum of the Gaussian auto-mutual information
// (ami_timescale) and the embedding distance distribution (embedding_dist).
#include <cmath>
#include <vector>

#include "algo/kernels/catch22_kernels.hpp"

namespace tsbatch::catch22 {

// CO_f1ecac: the first lag where the autocorrelation falls below 1/e, linearly interpolated
// between that lag and the previous one; n when it never does (within n - 1 lags).
double acf_timescale(std::span<const double> acf, std::size_t n) noexcept {
    const double threshold = 1.0 / std::exp(1.0);
    for (std::size_t i = 0; i + 2 < n; ++i) {
        if (acf[i + 1] < threshold) {
            const double slope = acf[i + 1] - acf[i];
            const double rise = threshold - acf[i];
            return static_cast<double>(i) + rise / slope;
        }
    }
    return static_cast<double>(n);
}

// CO_FirstMin_ac: the first lag whose autocorrelation is below both neighbours; n if none.
double acf_first_min(std::span<const double> acf, std::size_t n) noexcept {
    for (std::size_t i = 1; i + 1 < n; ++i)
        if (acf[i] < acf[i - 1] && acf[i] < acf[i + 1]) return static_cast<double>(i);
    return static_cast<double>(n);
}

namespace {

// Pearson correlation of z[0, n - lag) with z[lag, n), each part around its own mean, the
// three sums in one left-to-right pass.
double lagged_correlation(std::span<const double> z, std::size_t lag) noexcept {
    const std::size_t m = z.size() - lag;
    const auto x = z.first(m);
    const auto y = z.subspan(lag, m);
    const double mx = plain_mean(x), my = plain_mean(y);
    double num = 0, dx = 0, dy = 0;
    for (std::size_t i = 0; i < m; ++i) {
        num += (x[i] - mx) * (y[i] - my);
        dx += (x[i] - mx) * (x[i] - mx);
        dy += (y[i] - my) * (y[i] - my);
    }
    return num / std::sqrt(dx * dy);
}

// Mutual information of a bivariate Gaussian with correlation r.
double gaussian_ami(double r) noexcept {
    return -0.5 * std::log(1.0 - r * r);
}

}  // namespace

// IN_AutoMutualInfoStats_40_gaussian_fmmi: over lags 1..min(40, (n + 1) / 2), the first lag
// whose Gaussian AMI is a strict local minimum, reported as lag - 1 (the reference's
// indexing); the largest lag when there is none.
double ami_timescale(std::span<const double> z) noexcept {
    const std::size_t n = z.size();
    const std::size_t max_lag = std::min<std::size_t>(40, (n + 1) / 2);
    if (max_lag < 3) return static_cast<double>(max_lag);
    double prev = gaussian_ami(lagged_correlation(z, 1));
    double curr = gaussian_ami(lagged_correlation(z, 2));
    for (std::size_t i = 1; i + 1 < max_lag; ++i) {
        const double next = gaussian_ami(lagged_correlation(z, i + 2));
        if (curr < prev && curr < next) return static_cast<double>(i);
        prev = curr;
        curr = next;
    }
    return static_cast<double>(max_lag);
}

// CO_Embed2_Dist_tau_d_expfit_meandiff: embed z in two dimensions with delay tau (the first
// zero of the autocorrelation, at most n / 10), take the distances between successive
// embedded points, histogram them (bin count by the Scott-like rule the reference uses:
// ceil(range / (3.5 sd / m^(1/3)))) and return the mean absolute difference between the
// histogram's densities and an exponential density with the distances' mean, evaluated at
// the bin centres. 0 when the distances hardly vary (sd < 0.001).
double embedding_dist(std::span<const double> z, std::size_t acf_zero) {
    const std::size_t n = z.size();
    std::size_t tau = acf_zero;
    if (static_cast<double>(tau) > static_cast<double>(n) / 10)
        tau = static_cast<std::size_t>(std::floor(static_cast<double>(n) / 10));
    const std::size_t m = n - tau - 1;
    std::vector<double> d(m);
    for (std::size_t i = 0; i < m; ++i) {
        const double a = z[i + 1] - z[i];
        const double b = z[i + tau] - z[i + tau + 1];
        d[i] = std::sqrt(a * a + b * b);
    }
    const double mean_d = plain_mean(d);
    const double sd = plain_std(d);
    if (sd < 0.001) return 0.0;
    double lo = d[0], hi = d[0];
    for (const double v : d) {
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    const int bins = static_cast<int>(std::ceil((hi - lo) / (3.5 * sd / std::pow(static_cast<double>(m), 1 / 3.))));
    if (bins <= 0) return 0.0;
    const double step = (hi - lo) / bins;
    std::vector<int> counts(static_cast<std::size_t>(bins), 0);
    for (const double v : d) {
        int b = static_cast<int>((v - lo) / step);
        b = b < 0 ? 0 : b >= bins ? bins - 1 : b;
        ++counts[static_cast<std::size_t>(b)];
    }
    double sum = 0;
    for (int i = 0; i < bins; ++i) {
        const double left = i * step + lo, right = (i + 1) * step + lo;
        const double density = static_cast<double>(counts[static_cast<std::size_t>(i)]) / static_cast<double>(m);
        double expected = std::exp(-(left + right) * 0.5 / mean_d) / mean_d;
        if (expected < 0) expected = 0;
        sum += std::fabs(density - expected);
    }
    return sum / bins;
}

}  // namespace tsbatch::catch22
