#include "algo/kernels/quantiles.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>

namespace tsbatch {
namespace {

// Rational approximation of the normal quantile for p <= 1/2 (P. J. Acklam, relative error
// < 1.2e-9).
double acklam_quantile(double p) {
    static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                                   1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                   6.680131188771972e+01, -1.328068155288572e+01};
    static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                   -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                   3.754408661907416e+00};
    constexpr double p_low = 0.02425;
    auto tail = [&](double q) {
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    };
    if (p < p_low) return tail(std::sqrt(-2.0 * std::log(p)));
    const double q = p - 0.5;
    const double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

}  // namespace

double normal_quantile(double p) {
    if (!(p > 0.0 && p < 1.0)) {
        if (p == 0.0) return -std::numeric_limits<double>::infinity();
        if (p == 1.0) return std::numeric_limits<double>::infinity();
        return std::numeric_limits<double>::quiet_NaN();
    }
    // The upper half by symmetry: 1 - p is exact there, while Phi(x) near 1 would lose the
    // tail's digits in the refinement below.
    if (p > 0.5) return -normal_quantile(1.0 - p);
    // One Halley step on Phi(x) - p takes Acklam's 1e-9 to the accuracy of erfc.
    double x = acklam_quantile(p);
    const double e = 0.5 * std::erfc(-x * std::numbers::sqrt2 / 2.0) - p;
    const double u = e * std::sqrt(2.0 * std::numbers::pi) * std::exp(x * x / 2.0);
    x -= u / (1.0 + x * u / 2.0);
    return x;
}

std::vector<double> sax_gaussian_breakpoints(std::int64_t alphabet_size) {
    const auto a = static_cast<std::size_t>(alphabet_size);
    std::vector<double> bp(a > 0 ? a - 1 : 0);
    // The lower half from p = i/a <= 1/2 (where p is most precise), mirrored for the upper.
    for (std::size_t i = 1; 2 * i <= a; ++i) {
        const double q = 2 * i == a ? 0.0 : normal_quantile(static_cast<double>(i) / static_cast<double>(a));
        bp[i - 1] = q;
        bp[a - i - 1] = -q;
    }
    return bp;
}

}  // namespace tsbatch
