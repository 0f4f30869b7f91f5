// Forecasting features: how much structure the simplest local forecasts leave in their
// residuals (whiten_timescale) and how large those residuals are (forecast_error).
#include <cmath>
#include <vector>

#include "algo/kernels/catch22_kernels.hpp"

namespace tsbatch::catch22 {

// FC_LocalSimple_mean1_tauresrat: forecast each value by the previous one; the first zero of
// the residuals' autocorrelation divided by the series' own first zero. Small values: the
// forecast whitens the series.
double whiten_timescale(std::span<const double> z, std::size_t acf_zero) {
    const std::size_t n = z.size() - 1;
    std::vector<double> res(n);
    for (std::size_t i = 0; i < n; ++i) res[i] = z[i + 1] - z[i];
    const std::size_t res_zero = first_zero(fft_autocorrelation(res), n);
    return static_cast<double>(res_zero) / static_cast<double>(acf_zero);
}

// FC_LocalSimple_mean3_stderr: forecast each value by the mean of the previous three; the
// standard deviation (n - 1) of the residuals.
double forecast_error(std::span<const double> z) {
    const std::size_t n = z.size() - 3;
    std::vector<double> res(n);
    for (std::size_t i = 0; i < n; ++i) res[i] = z[i + 3] - (z[i] + z[i + 1] + z[i + 2]) / 3.0;
    return plain_std(res);
}

}  // namespace tsbatch::catch22
