#pragma once
// Quantiles shared by several operators: numpy's interpolation between order statistics
// (scale's robust quartiles, outliers' IQR fences, SAX's empirical breakpoints) and the
// normal quantiles behind SAX's Gaussian breakpoints (sax, motifs).
#include <cstdint>
#include <vector>

namespace tsbatch {

/// numpy's linear interpolation between neighbouring order statistics a <= b at fraction g
/// (numpy.lib.function_base._lerp): the formula switches sides at 0.5 so that g = 1 gives b
/// exactly, which keeps results bit-identical to numpy.percentile.
inline double numpy_lerp(double a, double b, double g) noexcept {
    const double diff = b - a;
    return g >= 0.5 ? b - diff * (1.0 - g) : a + diff * g;
}

/// The standard normal quantile (inverse CDF) at p in (0, 1), to about 1e-15; -inf at 0,
/// +inf at 1, NaN outside [0, 1].
double normal_quantile(double p);

/// The alphabet_size - 1 breakpoints of classic SAX: N(0,1) quantiles at i / alphabet_size,
/// exactly antisymmetric (0 exactly in the middle of an even alphabet).
std::vector<double> sax_gaussian_breakpoints(std::int64_t alphabet_size);

}  // namespace tsbatch
