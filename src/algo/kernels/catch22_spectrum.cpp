// Spectral features from one rectangular-window periodogram (the reference calls it Welch
// with a single segment): the power in the lowest fifth of the frequencies
// (low_freq_power) and the frequency below which half the power lies (centroid_freq).
#include <cmath>
#include <vector>

#include "algo/kernels/catch22_kernels.hpp"

namespace tsbatch::catch22 {

// The window is the whole series, zero-padded to nfft = nextpow2(n) (not doubled). The
// one-sided spectrum is |X_k|^2 / n for k <= nfft / 2, doubled except at 0 and nfft / 2,
// then expressed per angular frequency: w_k = 2 pi k / nfft, S(w) = P / (2 pi), with the
// reference's pi literal. area = dw * sum of the first floor((nfft / 2 + 1) / 5) values;
// centroid = the first w_k where the cumulative sum exceeds half the total.
welch_summary welch_rect(std::span<const double> z) {
    const std::size_t n = z.size();
    const std::size_t nfft = next_pow2(n);
    const double m = plain_mean(z);
    std::vector<double> re(nfft, 0.0), im(nfft, 0.0);
    for (std::size_t i = 0; i < n; ++i) re[i] = z[i] - m;
    reference_fft(re, im);

    // The window's squared norm, formed as the reference does (sqrt, then squared).
    const double norm = std::sqrt(static_cast<double>(n));
    const double window_power = norm * norm;
    const double df = 1.0 / static_cast<double>(nfft);
    const std::size_t bins = nfft / 2 + 1;
    const double two_pi = 2 * reference_pi;
    std::vector<double> w(bins), s(bins);
    for (std::size_t i = 0; i < bins; ++i) {
        const double mag = std::hypot(re[i], im[i]);
        double p = (0 + mag * mag) / window_power * 1.0;
        if (i > 0 && i + 1 < bins) p *= 2;
        w[i] = two_pi * (static_cast<double>(i) * df);
        s[i] = p / two_pi;
        if (std::isinf(s[i])) return {0.0, 0.0};
    }
    const double dw = w[1] - w[0];

    welch_summary out{0.0, 0.0};
    double area = 0;
    for (std::size_t i = 0; i < bins / 5; ++i) area += s[i];
    out.low_freq_power = area * dw;

    std::vector<double> cumulative(bins);
    cumulative[0] = s[0];
    for (std::size_t i = 1; i < bins; ++i) cumulative[i] = s[i] + cumulative[i - 1];
    const double half = cumulative[bins - 1] * 0.5;
    for (std::size_t i = 0; i < bins; ++i) {
        if (cumulative[i] > half) {
            out.centroid_freq = w[i];
            break;
        }
    }
    return out;
}

}  // namespace tsbatch::catch22
