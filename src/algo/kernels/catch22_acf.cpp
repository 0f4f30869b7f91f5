// The autocorrelation catch22's features share, by the reference's own FFT.
//
// Why not algo/kernels/fft.hpp: that FFT's twiddles are correctly rounded exp(-2 pi i k/n),
// while the reference builds them from the literal 3.14159265359 (7e-13 short of pi) and
// glibc's sin/cos. The resulting autocorrelations differ by ~1e-13, which is harmless for
// the continuous features but decides the discrete ones whenever a value sits near a
// threshold: the first zero crossing (a lag, then used as an embedding delay, a downsampling
// step, a ratio) and the first local minimum. Reproducing the reference's transform makes
// those lags identical rather than nearly always identical.
//
// The transform itself is the textbook radix-2 decimation in time: X_k = E_k + w^k O_k and
// X_{k+m/2} = E_k - w^k O_k with t = w * O computed as (wr*or - wi*oi, wr*oi + wi*or). Any
// schedule of those butterflies (recursive, iterative after a bit-reversal permutation)
// yields the same bits, since each sub-transform is the same sequence of the same roundings.
#include <cmath>
#include <map>
#include <utility>

#include "algo/kernels/catch22_kernels.hpp"

namespace tsbatch::catch22 {
namespace {

// w[k] = exp(-2 pi i k / n) for k < n/2, as the reference forms it: the angle is
// pi * (2k) / n with its literal pi, and cexp of a purely imaginary argument is (cos, sin).
// Computing the table costs n/2 sin/cos pairs, more than a transform, so each thread keeps
// the tables of the sizes it has seen (a few: sizes are powers of two).
const std::pair<std::vector<double>, std::vector<double>>& twiddles(std::size_t n) {
    thread_local std::map<std::size_t, std::pair<std::vector<double>, std::vector<double>>> cache;
    auto it = cache.find(n);
    if (it != cache.end()) return it->second;
    std::vector<double> wr(n / 2), wi(n / 2);
    for (std::size_t k = 0; k < n / 2; ++k) {
        const double angle = -(reference_pi * static_cast<double>(2 * k) / static_cast<double>(n));
        wr[k] = std::cos(angle);
        wi[k] = std::sin(angle);
    }
    return cache.emplace(n, std::make_pair(std::move(wr), std::move(wi))).first->second;
}

}  // namespace

std::size_t next_pow2(std::size_t n) noexcept {
    std::size_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

void reference_fft(std::span<double> re, std::span<double> im) {
    const std::size_t n = re.size();
    if (n < 2) return;
    // Bit-reversal permutation: afterwards each run of m values is the input of one
    // sub-transform of size m, in the order the butterflies below expect.
    for (std::size_t i = 1, j = 0; i < n; ++i) {
        std::size_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            std::swap(re[i], re[j]);
            std::swap(im[i], im[j]);
        }
    }
    const auto& [wr, wi] = twiddles(n);
    for (std::size_t m = 2; m <= n; m <<= 1) {
        const std::size_t half = m / 2;
        const std::size_t stride = n / m;  // w of the size-m transform = w of size n at k * stride
        for (std::size_t start = 0; start < n; start += m) {
            for (std::size_t k = 0; k < half; ++k) {
                const double c = wr[k * stride], s = wi[k * stride];
                const std::size_t e = start + k, o = e + half;
                const double tr = c * re[o] - s * im[o];
                const double ti = c * im[o] + s * re[o];
                const double er = re[e], ei = im[e];
                re[e] = er + tr;
                im[e] = ei + ti;
                re[o] = er - tr;
                im[o] = ei - ti;
            }
        }
    }
}

std::vector<double> fft_autocorrelation(std::span<const double> y) {
    const std::size_t n = y.size();
    const std::size_t size = 2 * next_pow2(n);
    const double m = plain_mean(y);
    std::vector<double> re(size, 0.0), im(size, 0.0);
    for (std::size_t i = 0; i < n; ++i) re[i] = y[i] - m;
    reference_fft(re, im);
    // X * conj(X): the real part a*a - b*(-b) is a*a + b*b exactly; the imaginary part
    // a*(-b) + b*a is exactly 0.
    for (std::size_t i = 0; i < size; ++i) {
        re[i] = re[i] * re[i] + im[i] * im[i];
        im[i] = 0.0;
    }
    // A second forward transform (the power spectrum is real and even, so forward and
    // inverse agree up to the scale, which the normalisation by lag 0 removes).
    reference_fft(re, im);
    // Complex division by lag 0 as the reference writes it; its imaginary part is 0, but the
    // quotient (a*c)/(c*c) is not always a/c to the last bit.
    const double c = re[0], d = im[0];
    const double den = c * c + d * d;
    std::vector<double> acf(size);
    for (std::size_t i = 0; i < size; ++i) acf[i] = (re[i] * c + im[i] * d) / den;
    return acf;
}

std::size_t first_zero(std::span<const double> acf, std::size_t max_lag) noexcept {
    std::size_t lag = 0;
    while (lag < max_lag && acf[lag] > 0) ++lag;
    return lag;
}

}  // namespace tsbatch::catch22
