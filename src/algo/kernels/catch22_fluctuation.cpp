// Fluctuation analysis: how the spread of the cumulative sum grows with the window size,
// and where that growth changes slope. rs_range uses the rescaled range of every sample's
// cumulative sum; dfa detrended fluctuation of every second sample's.
#include <algorithm>
#include <cmath>
#include <vector>

#include "algo/kernels/catch22_kernels.hpp"

namespace tsbatch::catch22 {
namespace {

enum class fluctuation { range, dfa };

// Least-squares line y = slope * x + intercept by the normal-equation sums, as the
// reference's helper (its output decides which breakpoint wins, so the same roundings).
void fit_line(const double* x, const double* y, int n, double& slope, double& intercept) noexcept {
    double sx = 0, sxx = 0, sxy = 0, sy = 0;
    for (int i = 0; i < n; ++i) {
        sx += x[i];
        sxx += x[i] * x[i];
        sxy += x[i] * y[i];
        sy += y[i];
    }
    const double den = n * sxx - sx * sx;
    if (den == 0) {
        slope = intercept = 0;
        return;
    }
    slope = (n * sxy - sx * sy) / den;
    intercept = (sy * sxx - sx * sxy) / den;
}

// The L2 norm of the residuals of line (slope, intercept) through points [first, first + n).
double residual_norm(const std::vector<double>& x, const std::vector<double>& y, int first, int n, double slope,
                     double intercept) noexcept {
    double s = 0;
    for (int j = first; j < first + n; ++j) {
        const double r = x[static_cast<std::size_t>(j)] * slope + intercept - y[static_cast<std::size_t>(j)];
        s += r * r;
    }
    return std::sqrt(s);
}

// SC_FluctAnal_2_{rsrangefit,dfa}_50_1_..._logi_prop_r1.
//
// Window sizes: round(exp(x)) for 50 x evenly spaced in [log 5, log(floor(n / 2))], without
// repeats; with fewer than 12 distinct sizes the feature is 0. For each size the cumulative
// sum (of every `lag`-th sample) is cut into whole windows; in each window a least-squares
// line is removed and the window contributes the squared range of the residuals (range) or
// their sum of squares (dfa); F = sqrt(total / windows) or sqrt(total / (windows * size)).
// In log F against log size, every split into two overlapping segments of at least 6 points
// (sharing the split point) is fitted by two lines; the split with the smallest sum of the
// two residual norms wins, and the feature is its proportional position (index + 1) / count.
double fluctuation_breakpoint(std::span<const double> y, int lag, fluctuation how) {
    const int n = static_cast<int>(y.size());
    const double log_lo = std::log(5);
    const double log_hi = std::log(n / 2);
    constexpr int steps = 50;
    const double log_step = (log_hi - log_lo) / (steps - 1);
    std::vector<int> sizes(steps);
    for (int i = 0; i < steps; ++i)
        sizes[static_cast<std::size_t>(i)] = static_cast<int>(std::round(std::exp(log_lo + i * log_step)));
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    const int count = static_cast<int>(sizes.size());
    if (count < 12) return 0.0;

    const int cs_n = n / lag;
    std::vector<double> cs;
    cs.reserve(static_cast<std::size_t>(cs_n));
    double run = y[0];
    cs.push_back(run);
    for (int i = 1; i < cs_n; ++i) cs.push_back(run += y[static_cast<std::size_t>(i * lag)]);

    std::vector<double> log_size(static_cast<std::size_t>(count)), log_f(static_cast<std::size_t>(count));
    for (int s = 0; s < count; ++s) {
        const int t = sizes[static_cast<std::size_t>(s)];
        const int windows = cs_n / t;
        double sx = 0, sxx = 0;
        for (int k = 0; k < t; ++k) {
            const double x = k + 1;
            sx += x;
            sxx += x * x;
        }
        const double den = t * sxx - sx * sx;
        double total = 0;
        for (int w = 0; w < windows; ++w) {
            const double* v = cs.data() + static_cast<std::size_t>(w) * static_cast<std::size_t>(t);
            double sxy = 0, sy = 0;
            for (int k = 0; k < t; ++k) {
                sxy += (k + 1.0) * v[k];
                sy += v[k];
            }
            double slope = 0, intercept = 0;
            if (den != 0) {
                slope = (t * sxy - sx * sy) / den;
                intercept = (sy * sxx - sx * sxy) / den;
            }
            if (how == fluctuation::dfa) {
                for (int k = 0; k < t; ++k) {
                    const double r = v[k] - (slope * (k + 1) + intercept);
                    total += r * r;
                }
            } else {
                double hi = v[0] - (slope * 1 + intercept), lo = hi;
                for (int k = 1; k < t; ++k) {
                    const double r = v[k] - (slope * (k + 1) + intercept);
                    hi = r > hi ? r : hi;
                    lo = r < lo ? r : lo;
                }
                total += (hi - lo) * (hi - lo);
            }
        }
        const double f = how == fluctuation::dfa ? std::sqrt(total / (windows * t)) : std::sqrt(total / windows);
        log_size[static_cast<std::size_t>(s)] = std::log(t);
        log_f[static_cast<std::size_t>(s)] = std::log(f);
    }

    constexpr int min_points = 6;
    std::vector<double> err;
    for (int i = min_points; i < count - min_points + 1; ++i) {
        double m1 = 0, b1 = 0, m2 = 0, b2 = 0;
        fit_line(log_size.data(), log_f.data(), i, m1, b1);
        fit_line(log_size.data() + i - 1, log_f.data() + i - 1, count - i + 1, m2, b2);
        double e = 0;
        e += residual_norm(log_size, log_f, 0, i, m1, b1);
        e += residual_norm(log_size, log_f, i - 1, count - i + 1, m2, b2);
        err.push_back(e);
    }
    double smallest = err[0];
    for (const double e : err) smallest = e < smallest ? e : smallest;
    double best = 0;
    for (std::size_t i = 0; i < err.size(); ++i) {
        if (err[i] == smallest) {
            best = static_cast<double>(i) + min_points - 1;
            break;
        }
    }
    return (best + 1) / count;
}

}  // namespace

double rs_range(std::span<const double> z) {
    return fluctuation_breakpoint(z, 1, fluctuation::range);
}

double dfa(std::span<const double> z) {
    return fluctuation_breakpoint(z, 2, fluctuation::dfa);
}

}  // namespace tsbatch::catch22
