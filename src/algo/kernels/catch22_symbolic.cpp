// Symbolic features: the series reduced to a few symbols (signs of increments, above/below
// the mean, three quantile levels) and summarised by runs, pair entropies and transitions.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "algo/kernels/catch22_kernels.hpp"

namespace tsbatch::catch22 {
namespace {

// The longest run between two "breaks" by the reference's rule: over codes c[0..m), a break
// is every index where `is_break` holds, and also the last index; a run is the distance
// i - (previous break), starting from 0. This undercounts a run by one next to a break at the
// start and counts the last index as a break, which is part of the features' definition now.
template <class Code>
double longest_stretch(std::size_t m, Code&& is_break) {
    std::size_t longest = 0, last = 0;
    for (std::size_t i = 0; i < m; ++i) {
        if (is_break(i) || i + 1 == m) {
            longest = std::max(longest, i - last);
            last = i;
        }
    }
    return static_cast<double>(longest);
}

// Quantile with linear interpolation between order statistics at positions n * p - 0.5
// (MATLAB's definition), clamped to the extremes outside [0.5 / n, 1 - 0.5 / n]. `sorted` is
// ascending.
double matlab_quantile(const std::vector<double>& sorted, double p) {
    const std::size_t n = sorted.size();
    const double q = 0.5 / static_cast<double>(n);
    if (p < q) return sorted.front();
    if (p > 1 - q) return sorted.back();
    const double pos = static_cast<double>(n) * p - 0.5;
    const auto left = static_cast<std::size_t>(std::floor(pos));
    const auto right = static_cast<std::size_t>(std::ceil(pos));
    // At an exact order statistic left == right and this is 0 * 0 / 0, NaN, as in the
    // reference; positions n / 3 - 0.5 and 2n / 3 - 0.5 are never integers, so the three
    // levels below never meet it.
    return sorted[left] + (pos - static_cast<double>(left)) * (sorted[right] - sorted[left]) /
                              static_cast<double>(static_cast<int>(right) - static_cast<int>(left));
}

// Labels 1..3: the value's tercile by the quantiles at 0, 1/3, 2/3, 1 (the probabilities
// built by repeated addition, as the reference's linspace), the lowest edge lowered by 1 so
// the minimum falls in the first level.
std::vector<int> three_levels(std::span<const double> y) {
    std::vector<double> sorted(y.begin(), y.end());
    std::sort(sorted.begin(), sorted.end());
    std::array<double, 4> edge{};
    double p = 0;
    const double step = 1.0 / 3;
    for (double& e : edge) {
        e = matlab_quantile(sorted, p);
        p += step;
    }
    edge[0] -= 1;
    std::vector<int> label(y.size(), 0);
    for (std::size_t j = 0; j < y.size(); ++j)
        for (int g = 0; g < 3; ++g)
            if (y[j] > edge[static_cast<std::size_t>(g)] && y[j] <= edge[static_cast<std::size_t>(g) + 1])
                label[j] = g + 1;
    return label;
}

}  // namespace

// MD_hrv_classic_pnn40: the fraction of increments larger than 0.04 in magnitude (the
// reference's test |dz| * 1000 > 40, from heart-rate variability's pNN40).
double high_fluctuation(std::span<const double> z) noexcept {
    double count = 0;
    for (std::size_t i = 0; i + 1 < z.size(); ++i)
        if (std::fabs(z[i + 1] - z[i]) * 1000 > 40) count += 1;
    return count / static_cast<double>(z.size() - 1);
}

// SB_BinaryStats_diff_longstretch0: the longest run of decreases (an increment of exactly 0
// counts as an increase).
double stretch_decreasing(std::span<const double> z) noexcept {
    return longest_stretch(z.size() - 1, [&](std::size_t i) { return !(z[i + 1] - z[i] < 0); });
}

// SB_BinaryStats_mean_longstretch1: the longest run above the mean, over the first n - 1
// values (the reference leaves the last one out).
double stretch_high(std::span<const double> z) noexcept {
    const double m = plain_mean(z);
    return longest_stretch(z.size() - 1, [&](std::size_t i) { return z[i] - m <= 0; });
}

// SB_MotifThree_quantile_hh: Shannon entropy (nats) of successive pairs of tercile labels,
// the pair probabilities over the n - 1 pairs, summed row by row.
double entropy_pairs(std::span<const double> z) {
    const std::vector<int> label = three_levels(z);
    std::array<std::array<double, 3>, 3> count{};
    for (std::size_t i = 0; i + 1 < z.size(); ++i) {
        if (label[i] < 1 || label[i + 1] < 1) continue;
        count[static_cast<std::size_t>(label[i] - 1)][static_cast<std::size_t>(label[i + 1] - 1)] += 1;
    }
    const double pairs = static_cast<double>(z.size()) - 1.0;
    double h = 0;
    for (const auto& row : count) {
        double f = 0;
        for (const double c : row) {
            const double p = c / pairs;
            if (p > 0) f += p * std::log(p);
        }
        h += -1 * f;
    }
    return h;
}

// SB_TransitionMatrix_3ac_sumdiagcov: downsample z by its first autocorrelation zero, label
// the result by terciles, estimate the 3 x 3 transition probabilities, and return the trace
// of the covariance matrix of its columns (each column's variance over its 3 entries, n - 1).
double transition_variance(std::span<const double> z, std::size_t acf_zero) {
    const std::size_t tau = acf_zero;
    if (tau == 0) return std::numeric_limits<double>::quiet_NaN();  // unreachable: lag 0's autocorrelation is 1
    const std::size_t m = (z.size() - 1) / tau + 1;
    std::vector<double> down(m);
    for (std::size_t i = 0; i < m; ++i) down[i] = z[i * tau];
    const std::vector<int> label = three_levels(down);
    std::array<std::array<double, 3>, 3> t{};
    for (std::size_t i = 0; i + 1 < m; ++i) {
        if (label[i] < 1 || label[i + 1] < 1) continue;
        t[static_cast<std::size_t>(label[i] - 1)][static_cast<std::size_t>(label[i + 1] - 1)] += 1;
    }
    for (auto& row : t)
        for (double& v : row) v /= static_cast<double>(static_cast<int>(m) - 1);
    double trace = 0;
    for (std::size_t c = 0; c < 3; ++c) {
        const double mean = (((0.0 + t[0][c]) + t[1][c]) + t[2][c]) / 3;
        double var = 0;
        for (std::size_t r = 0; r < 3; ++r) var += (t[r][c] - mean) * (t[r][c] - mean);
        trace += var / 2;
    }
    return trace;
}

}  // namespace tsbatch::catch22
