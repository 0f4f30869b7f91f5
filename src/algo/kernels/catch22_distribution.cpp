// Distribution features: the histogram modes (mode_5, mode_10) and the outlier timing
// (outlier_timing_pos / _neg).
#include <algorithm>
#include <functional>
#include <limits>
#include <queue>

#include "algo/kernels/catch22_kernels.hpp"

namespace tsbatch::catch22 {

// Centre of the fullest of `bins` equal-width bins spanning [min, max]. A value's bin is
// (int)((z - min) / step), the maximum clipped into the last bin; edges are i * step + min.
// Ties average the tied bins' centres. The comparisons start from a count of 0 exactly as the
// reference's do (an empty bin before the first non-empty one joins the tie, then the first
// larger count resets it), which only matters in that the outcome is the same.
double histogram_mode(std::span<const double> z, int bins) {
    double lo = std::numeric_limits<double>::max();
    double hi = -std::numeric_limits<double>::max();
    for (const double v : z) {
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    const double step = (hi - lo) / bins;
    std::vector<int> counts(static_cast<std::size_t>(bins), 0);
    for (const double v : z) {
        int b = static_cast<int>((v - lo) / step);
        b = std::clamp(b, 0, bins - 1);
        ++counts[static_cast<std::size_t>(b)];
    }
    double best = 0;
    int ties = 1;
    double centre_sum = 0;
    for (int i = 0; i < bins; ++i) {
        const double centre = ((i * step + lo) + ((i + 1) * step + lo)) * 0.5;
        const int c = counts[static_cast<std::size_t>(i)];
        if (c > best) {
            best = c;
            ties = 1;
            centre_sum = centre;
        } else if (c == best) {
            ++ties;
            centre_sum += centre;
        }
    }
    return centre_sum / ties;
}

// Outlier timing (DN_OutlierInclude_{p,n}_001_mdrmd): raise a threshold over sign * z in
// steps of 0.01; at each threshold take the median time index (1-based) of the points at or
// above it, scaled to [-1, 1] as index / (n / 2) - 1; the feature is the median of those over
// the thresholds that keep more than 2% of the non-negative points (and more than one
// point). Positive values: the extremes sit late in the series.
//
// Each point is bucketed by the highest threshold it reaches (compared as v >= j * 0.01, the
// reference's exact test, after a first guess from v / 0.01), then the thresholds are swept
// downwards adding each bucket's points to a running median of their indices (two heaps),
// instead of rescanning the series for each of up to 100 * max|z| thresholds.
double outlier_timing(std::span<const double> z, double sign) {
    constexpr double inc = 0.01;
    const std::size_t n = z.size();
    std::vector<double> w(n);
    int non_negative = 0;
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < n; ++i) {
        w[i] = sign * z[i];
        non_negative += w[i] >= 0 ? 1 : 0;
        top = std::max(top, w[i]);
    }
    if (top < inc) return 0.0;
    const int thresholds = static_cast<int>(top / inc + 1);

    // Level of each point: the largest j < thresholds with w >= j * inc, -1 below 0.
    std::vector<int> first(static_cast<std::size_t>(thresholds), -1), next(n, -1),
        at_level(static_cast<std::size_t>(thresholds), 0);
    for (std::size_t i = 0; i < n; ++i) {
        const double v = w[i];
        const double q = v / inc;
        int j = q >= thresholds - 1 ? thresholds - 1 : q < 0 ? -1 : static_cast<int>(q);
        while (j + 1 < thresholds && v >= (j + 1) * inc) ++j;
        while (j >= 0 && v < j * inc) --j;
        if (j < 0) continue;
        next[i] = first[static_cast<std::size_t>(j)];
        first[static_cast<std::size_t>(j)] = static_cast<int>(i);
        ++at_level[static_cast<std::size_t>(j)];
    }
    // Points at or above each threshold.
    std::vector<int> above(static_cast<std::size_t>(thresholds));
    for (int j = thresholds - 1, run = 0; j >= 0; --j)
        above[static_cast<std::size_t>(j)] = run += at_level[static_cast<std::size_t>(j)];

    // Thresholds kept: up to the last one with more than 2% of the non-negative points past
    // the first, and not beyond the first that leaves a single point.
    int last_kept = 0;
    for (int j = 0; j < thresholds; ++j)
        if ((above[static_cast<std::size_t>(j)] - 1) * 100.0 / non_negative > 2) last_kept = j;
    int single = thresholds - 1;
    for (int j = thresholds - 1; j >= 0; --j)
        if (above[static_cast<std::size_t>(j)] == 1) single = j;
    const int trim = std::min(last_kept, single);

    std::priority_queue<double> lower;                                             // max-heap
    std::priority_queue<double, std::vector<double>, std::greater<double>> upper;  // min-heap
    const double half_n = static_cast<double>(n) / 2;
    std::vector<double> timing(static_cast<std::size_t>(trim) + 1);
    for (int j = thresholds - 1; j >= 0; --j) {
        for (int i = first[static_cast<std::size_t>(j)]; i != -1; i = next[static_cast<std::size_t>(i)]) {
            const double index = i + 1.0;
            if (lower.empty() || index <= lower.top())
                lower.push(index);
            else
                upper.push(index);
            if (lower.size() > upper.size() + 1) {
                upper.push(lower.top());
                lower.pop();
            } else if (upper.size() > lower.size()) {
                lower.push(upper.top());
                upper.pop();
            }
        }
        if (j > trim) continue;
        if (lower.empty()) return std::numeric_limits<double>::quiet_NaN();  // unreachable: kept thresholds hold points
        const double med = lower.size() > upper.size() ? lower.top() : (upper.top() + lower.top()) / 2.0;
        timing[static_cast<std::size_t>(j)] = med / half_n - 1;
    }
    return median_of(std::move(timing));
}

}  // namespace tsbatch::catch22
