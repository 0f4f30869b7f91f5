// Nonlinear lag features: the histogram auto-mutual information at lag 2 (ami2) and the
// time-reversal asymmetry statistic (trev).
#include <array>
#include <cmath>

#include "algo/kernels/catch22_kernels.hpp"

namespace tsbatch::catch22 {

// CO_HistogramAMI_even_2_5: mutual information (nats) between z[t] and z[t + 2] from a joint
// histogram of 5 x 5 equal bins over [min - 0.1, max + 0.1]. A value's bin is the first edge
// it is strictly below (edges min + step * i - 0.1), as the reference assigns them, so values
// on an edge land where the reference puts them.
double ami2(std::span<const double> z) {
    constexpr int lag = 2, bins = 5;
    const std::size_t n = z.size();
    double lo = z[0], hi = z[0];
    for (const double v : z) {
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    const double step = (hi - lo + 0.2) / bins;
    std::array<double, bins + 1> edges{};
    for (int i = 0; i <= bins; ++i) edges[static_cast<std::size_t>(i)] = lo + step * i - 0.1;
    const auto bin_of = [&](double v) {
        for (int j = 0; j <= bins; ++j)
            if (v < edges[static_cast<std::size_t>(j)]) return j;
        return 0;
    };
    // joint[a][b]: pairs whose later value is in bin a + 1 and earlier value in bin b + 1 (the
    // reference's layout, which fixes the order of the sums below).
    std::array<std::array<double, bins>, bins> joint{};
    int total = 0;
    for (std::size_t i = 0; i + lag < n; ++i) {
        const int b1 = bin_of(z[i]), b2 = bin_of(z[i + lag]);
        if (b1 >= 1 && b1 <= bins && b2 >= 1 && b2 <= bins) {
            joint[static_cast<std::size_t>(b2 - 1)][static_cast<std::size_t>(b1 - 1)] += 1;
            ++total;
        }
    }
    std::array<double, bins> pa{}, pb{};
    for (auto& row : joint)
        for (double& p : row) p /= total;
    for (int a = 0; a < bins; ++a)
        for (int b = 0; b < bins; ++b) {
            pa[static_cast<std::size_t>(a)] += joint[static_cast<std::size_t>(a)][static_cast<std::size_t>(b)];
            pb[static_cast<std::size_t>(b)] += joint[static_cast<std::size_t>(a)][static_cast<std::size_t>(b)];
        }
    double ami = 0;
    for (int a = 0; a < bins; ++a)
        for (int b = 0; b < bins; ++b) {
            const double p = joint[static_cast<std::size_t>(a)][static_cast<std::size_t>(b)];
            if (p > 0) ami += p * std::log(p / (pb[static_cast<std::size_t>(b)] * pa[static_cast<std::size_t>(a)]));
        }
    return ami;
}

// CO_trev_1_num: mean of the cubed increments, (z[t+1] - z[t])^3. Zero for a series that
// looks the same reversed in time. pow(x, 3) as the reference (x * x * x rounds differently).
double trev(std::span<const double> z) noexcept {
    double sum = 0;
    for (std::size_t i = 0; i + 1 < z.size(); ++i) sum += std::pow(z[i + 1] - z[i], 3);
    return sum / static_cast<double>(z.size() - 1);
}

}  // namespace tsbatch::catch22
