// FFT; the contract is in fft.hpp.
//
// The complex transform is the textbook iterative radix-2 decimation in time: a bit-reversal
// permutation, then log2(n) stages of butterflies. The first two stages have trivial twiddles
// (1 and -i) and get their own loops; the others read their twiddles from a per-stage
// contiguous table. Arithmetic is written on the real and imaginary parts: std::complex's
// operator* checks for NaN results and calls a library routine (C99 Annex G), which would
// dominate the butterflies.
//
// The real transform packs the even and odd samples into one complex sequence of n/2 points
// (z_k = x_{2k} + i x_{2k+1}), transforms it, and separates the two spectra E (evens) and O
// (odds) by the symmetry of real transforms: E_k = (Z_k + conj Z_{h-k}) / 2,
// O_k = -i (Z_k - conj Z_{h-k}) / 2, X_k = E_k + w^k O_k with w = exp(-2 pi i / n), and
// X_{h-k} = conj(E_k - w^k O_k). The inverse runs the same steps backwards.
#include "algo/kernels/fft.hpp"

#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace tsbatch {
namespace {

constexpr long double pi_l = 3.141592653589793238462643383279502884L;

// exp(-2 pi i j / n), computed in long double and rounded once.
std::complex<double> unit_root(std::size_t j, std::size_t n) {
    const long double a = -2.0L * pi_l * static_cast<long double>(j) / static_cast<long double>(n);
    return {static_cast<double>(std::cos(a)), static_cast<double>(std::sin(a))};
}

void check_size(std::span<const std::complex<double>> x, std::size_t n, const char* what) {
    if (x.size() != n)
        throw std::invalid_argument(std::string(what) + ": expected " + std::to_string(n) + " values, got " +
                                    std::to_string(x.size()));
}

}  // namespace

bool is_power_of_two(std::size_t n) noexcept { return std::has_single_bit(n); }

std::size_t next_power_of_two(std::size_t n) {
    if (n <= 1) return 1;
    if (n > (std::numeric_limits<std::size_t>::max() >> 1) + 1) throw std::length_error("next_power_of_two: too large");
    return std::bit_ceil(n);
}

fft_plan::fft_plan(std::size_t n) : n_(n) {
    if (!is_power_of_two(n)) throw std::invalid_argument("fft_plan: size " + std::to_string(n) + " is not a power of two");
    if (n > (std::size_t{1} << 32)) throw std::length_error("fft_plan: size above 2^32");
    const int bits = std::countr_zero(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t r = 0;
        for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1u) << (bits - 1 - b);
        if (i < r) {
            swaps_.push_back(static_cast<std::uint32_t>(i));
            swaps_.push_back(static_cast<std::uint32_t>(r));
        }
    }
    twiddles_.reserve(n > 1 ? n - 1 : 0);
    for (std::size_t h = 1; h < n; h *= 2)
        for (std::size_t j = 0; j < h; ++j) twiddles_.push_back(unit_root(j, 2 * h));
}

template <bool Inverse>
void fft_plan::transform(std::complex<double>* x) const noexcept {
    const std::size_t n = n_;
    for (std::size_t s = 0; s < swaps_.size(); s += 2) std::swap(x[swaps_[s]], x[swaps_[s + 1]]);
    // [complex.numbers]: a std::complex<double> is laid out as double[2] (real, imaginary).
    double* a = reinterpret_cast<double*>(x);
    if (n >= 2)  // stage 1: pairs, twiddle 1
        for (std::size_t k = 0; k < 2 * n; k += 4) {
            const double ur = a[k], ui = a[k + 1], vr = a[k + 2], vi = a[k + 3];
            a[k] = ur + vr;
            a[k + 1] = ui + vi;
            a[k + 2] = ur - vr;
            a[k + 3] = ui - vi;
        }
    if (n >= 4)  // stage 2: quads, twiddles 1 and -i (forward) or +i (inverse)
        for (std::size_t k = 0; k < 2 * n; k += 8) {
            double* p = a + k;
            const double x0r = p[0], x0i = p[1], x1r = p[2], x1i = p[3];
            const double x2r = p[4], x2i = p[5], x3r = p[6], x3i = p[7];
            // t = w * x3 with w = -i: (x3i, -x3r); with w = +i: (-x3i, x3r).
            const double tr = Inverse ? -x3i : x3i;
            const double ti = Inverse ? x3r : -x3r;
            p[0] = x0r + x2r;
            p[1] = x0i + x2i;
            p[4] = x0r - x2r;
            p[5] = x0i - x2i;
            p[2] = x1r + tr;
            p[3] = x1i + ti;
            p[6] = x1r - tr;
            p[7] = x1i - ti;
        }
    for (std::size_t h = 4; h < n; h *= 2) {
        const double* w = reinterpret_cast<const double*>(twiddles_.data() + (h - 1));
        for (std::size_t k = 0; k < n; k += 2 * h) {
            double* u = a + 2 * k;
            double* v = a + 2 * (k + h);
            for (std::size_t j = 0; j < h; ++j) {
                const double wr = w[2 * j];
                const double wi = Inverse ? -w[2 * j + 1] : w[2 * j + 1];
                const double vr = v[2 * j], vi = v[2 * j + 1];
                const double tr = wr * vr - wi * vi;
                const double ti = wr * vi + wi * vr;
                const double ur = u[2 * j], ui = u[2 * j + 1];
                u[2 * j] = ur + tr;
                u[2 * j + 1] = ui + ti;
                v[2 * j] = ur - tr;
                v[2 * j + 1] = ui - ti;
            }
        }
    }
    if (Inverse) {
        const double scale = 1.0 / static_cast<double>(n);  // exact: n is a power of two
        for (std::size_t k = 0; k < 2 * n; ++k) a[k] *= scale;
    }
}

void fft_plan::forward(std::span<std::complex<double>> x) const {
    check_size(x, n_, "fft_plan::forward");
    transform<false>(x.data());
}

void fft_plan::inverse(std::span<std::complex<double>> x) const {
    check_size(x, n_, "fft_plan::inverse");
    transform<true>(x.data());
}

real_fft_plan::real_fft_plan(std::size_t n) : n_(n), half_(n >= 2 && is_power_of_two(n) ? n / 2 : 1) {
    if (n < 2 || !is_power_of_two(n))
        throw std::invalid_argument("real_fft_plan: size " + std::to_string(n) + " is not a power of two >= 2");
    twiddles_.reserve(n / 4 + 1);
    for (std::size_t k = 0; k <= n / 4; ++k) twiddles_.push_back(unit_root(k, n));
}

void real_fft_plan::forward(std::span<const double> x, std::span<std::complex<double>> out) const {
    if (x.size() != n_)
        throw std::invalid_argument("real_fft_plan::forward: expected " + std::to_string(n_) + " values, got " +
                                    std::to_string(x.size()));
    check_size(out, spectrum_size(), "real_fft_plan::forward (output)");
    const std::size_t h = n_ / 2;
    for (std::size_t k = 0; k < h; ++k) out[k] = {x[2 * k], x[2 * k + 1]};
    half_.forward(out.first(h));
    const std::complex<double> z0 = out[0];
    out[0] = {z0.real() + z0.imag(), 0.0};
    out[h] = {z0.real() - z0.imag(), 0.0};
    for (std::size_t k = 1; 2 * k <= h; ++k) {
        const std::complex<double> a = out[k], b = out[h - k];
        // E = (a + conj b) / 2, O = -i (a - conj b) / 2.
        const double er = 0.5 * (a.real() + b.real()), ei = 0.5 * (a.imag() - b.imag());
        const double orr = 0.5 * (a.imag() + b.imag()), oi = -0.5 * (a.real() - b.real());
        const double wr = twiddles_[k].real(), wi = twiddles_[k].imag();
        const double tr = wr * orr - wi * oi, ti = wr * oi + wi * orr;  // w^k O
        out[k] = {er + tr, ei + ti};
        out[h - k] = {er - tr, -(ei - ti)};
    }
}

void real_fft_plan::inverse(std::span<std::complex<double>> spectrum, std::span<double> x) const {
    check_size(spectrum, spectrum_size(), "real_fft_plan::inverse");
    if (x.size() != n_)
        throw std::invalid_argument("real_fft_plan::inverse: expected " + std::to_string(n_) + " outputs, got " +
                                    std::to_string(x.size()));
    const std::size_t h = n_ / 2;
    const double x0 = spectrum[0].real(), xh = spectrum[h].real();
    spectrum[0] = {0.5 * (x0 + xh), 0.5 * (x0 - xh)};
    for (std::size_t k = 1; 2 * k <= h; ++k) {
        const std::complex<double> a = spectrum[k], b = spectrum[h - k];
        // E = (a + conj b) / 2, O = conj(w^k) (a - conj b) / 2, Z_k = E + i O.
        const double er = 0.5 * (a.real() + b.real()), ei = 0.5 * (a.imag() - b.imag());
        const double dr = 0.5 * (a.real() - b.real()), di = 0.5 * (a.imag() + b.imag());
        const double wr = twiddles_[k].real(), wi = -twiddles_[k].imag();
        const double orr = wr * dr - wi * di, oi = wr * di + wi * dr;
        // i O = (-oi, orr); Z_{h-k} = conj(E - i O).
        spectrum[k] = {er - oi, ei + orr};
        spectrum[h - k] = {er + oi, -(ei - orr)};
    }
    half_.inverse(spectrum.first(h));
    for (std::size_t k = 0; k < h; ++k) {
        x[2 * k] = spectrum[k].real();
        x[2 * k + 1] = spectrum[k].imag();
    }
}

}  // namespace tsbatch
