#pragma once
// A small, self-contained FFT for the sliding dot products of pattern_search (and anything
// else that convolves): complex transforms of power-of-two sizes, iterative radix-2 with
// precomputed twiddles, and real transforms of even power-of-two sizes computed through a
// complex transform of half the size (twice as fast as transforming a zero imaginary part).
// No external library: results depend only on the input and the size, on any machine with
// IEEE doubles (no threads, no run-time SIMD dispatch, no planner that measures).
//
// Conventions (numpy.fft's):
// - forward: X_k = sum_{j<n} x_j exp(-2 pi i jk/n), unnormalised;
// - inverse: x_j = (1/n) sum_{k<n} X_k exp(+2 pi i jk/n), so inverse(forward(x)) == x up to
//   rounding.
// - real forward: the n/2 + 1 values X_0..X_{n/2} of the transform of a real x (the others
//   are their conjugates: X_{n-k} = conj(X_k)); real inverse: the real x of such a half
//   spectrum (the imaginary parts of X_0 and X_{n/2} are ignored, as a real x has none).
//
// Accuracy: twiddles are computed once per plan in long double and rounded to double, so each
// is within half an ulp of exp(-2 pi i k/n); a transform's error is then about
// eps * log2(n) * ||x||_2 (the classical bound for radix-2 Cooley-Tukey), spread over all
// outputs. Small outputs next to large ones therefore carry the large ones' absolute error:
// callers that need small values accurately (pattern_search) bound that error themselves.
//
// Plans are immutable once built, so one plan may be shared by threads; the transforms work
// in place on the caller's buffers and allocate nothing.
//
// Why not FFTW (measured 2026-12-06 with Debian's libfftw3 3.3.10, r2c/c2r plans cached per
// size, on the 2-core AVX-512 VM of BENCHMARKS.md, shared, load 1-5). FFTW's transforms are
// 2-3x faster: a forward transform, product and inverse of 512 real points (the overlap-save
// block of a pattern of 100) take 1.5 us with FFTW_ESTIMATE against 4.2 us here (16384 points:
// 106 against 231 us). But MASS spends most of its time outside the FFT (window statistics,
// distances, top-k): the pattern_search kernel on 10 M points is 15-18 % faster with FFTW (0.25
// against 0.30 s, alike for series of 1,000, 10,000 and 100,000 points, since the block stays
// 512 points), and a whole `tsbatch run` of bench/dataset.sh's pattern_search (1,000 series x
// 10,000 points, 1 rank, 100 alternated runs) 8-11 % on the step and 6 % on the process (0.75
// against 0.80 s best, 0.99 against 1.06 s median). For that, FFTW would bring a GPL-2+ library
// into the binary and the container, results whose last bits depend on the CPU (FFTW picks its
// SIMD codelets at run time), and with FFTW_MEASURE plans that can differ between ranks (so
// bits that depend on the rank count) and 0.2 s of planning per size and rank. The two are as
// accurate: the worst error of a block's dot products is 0.03-0.1 eps log2(N) |x| |q| for both
// (N = 64..65536), and the distance profiles differed by at most 1.3e-12 relative.
#include <complex>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tsbatch {

/// True for 1, 2, 4, 8, ...
bool is_power_of_two(std::size_t n) noexcept;

/// The smallest power of two >= max(n, 1). Throws std::length_error when there is none.
std::size_t next_power_of_two(std::size_t n);

/// Complex FFT of one power-of-two size.
class fft_plan {
public:
    /// n: a power of two >= 1 (throws std::invalid_argument otherwise, and std::length_error
    /// beyond 2^32 points).
    explicit fft_plan(std::size_t n);

    std::size_t size() const noexcept { return n_; }

    /// In place: x (size() values) becomes its forward transform.
    void forward(std::span<std::complex<double>> x) const;
    /// In place: x becomes its inverse transform, scaled by 1/size().
    void inverse(std::span<std::complex<double>> x) const;

private:
    template <bool Inverse>
    void transform(std::complex<double>* x) const noexcept;

    std::size_t n_;
    // Pairs (i, j), i < j, to swap for the bit-reversal permutation.
    std::vector<std::uint32_t> swaps_;
    // Twiddles of every stage, contiguous per stage: the stage that combines halves of h points
    // uses entries [h - 1, 2h - 1): exp(-2 pi i j / (2h)) for j < h. n - 1 values in all, so
    // each stage reads its twiddles sequentially instead of at a stride.
    std::vector<std::complex<double>> twiddles_;
};

/// Real FFT of one even power-of-two size n, through a complex FFT of n/2 points.
class real_fft_plan {
public:
    /// n: a power of two >= 2 (throws std::invalid_argument otherwise).
    explicit real_fft_plan(std::size_t n);

    std::size_t size() const noexcept { return n_; }
    /// Values of a half spectrum: n/2 + 1.
    std::size_t spectrum_size() const noexcept { return n_ / 2 + 1; }

    /// out (spectrum_size() values) = X_0..X_{n/2} of the real x (size() values).
    void forward(std::span<const double> x, std::span<std::complex<double>> out) const;
    /// x (size() values) = the real inverse (scaled by 1/n) of the half spectrum `spectrum`
    /// (spectrum_size() values), which is overwritten: it serves as the work area.
    void inverse(std::span<std::complex<double>> spectrum, std::span<double> x) const;

private:
    std::size_t n_;
    fft_plan half_;
    // exp(-2 pi i k / n) for k <= n/4: the twiddles that split the half-size transform of the
    // even/odd interleaving into the real spectrum.
    std::vector<std::complex<double>> twiddles_;
};

}  // namespace tsbatch
