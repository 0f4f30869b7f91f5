#pragma once
// The feature kernels behind compute_catch22 (catch22.hpp), one family per file. Internal:
// every kernel takes the z-scored series (mean 0, sd 1 with n - 1, at least 10 finite values,
// not constant) and what earlier kernels already computed, so the driver (catch22.cpp)
// computes the shared pieces (the autocorrelation, its first zero) once.
//
// The reference does everything in double precision with plain left-to-right sums; so do
// these kernels wherever the order of a sum can move a result across a threshold.
#include <cstddef>
#include <span>
#include <vector>

namespace tsbatch::catch22 {

/// The reference's value of pi: its FFT twiddles and spectrum use this literal, not M_PI.
inline constexpr double reference_pi = 3.14159265359;

/// Plain left-to-right mean.
double plain_mean(std::span<const double> y) noexcept;
/// Standard deviation with n - 1 around plain_mean.
double plain_std(std::span<const double> y) noexcept;
/// Median of a copy of `y` (the mean of the two middle values for an even count).
double median_of(std::vector<double> y);

// catch22_acf.cpp
/// The biased autocorrelation of `y` at every lag 0..2*nextpow2(n)-1, normalised by lag 0,
/// computed through the FFT as the reference does (mean removed, zero-padded, forward
/// transform, |X|^2, forward transform again), with the same twiddles and butterflies so
/// that values agree to the last bit. Lags >= n are the circular padding, not used.
std::vector<double> fft_autocorrelation(std::span<const double> y);
/// The first lag whose autocorrelation is <= 0, at most `max_lag`.
std::size_t first_zero(std::span<const double> acf, std::size_t max_lag) noexcept;
/// The forward complex FFT of re + i im (size a power of two) with the reference's twiddles.
void reference_fft(std::span<double> re, std::span<double> im);
/// 1, 2, 4, ...: the smallest power of two >= n (n >= 1).
std::size_t next_pow2(std::size_t n) noexcept;

// catch22_distribution.cpp
double histogram_mode(std::span<const double> z, int bins);
double outlier_timing(std::span<const double> z, double sign);

// catch22_linear_autocorr.cpp
double acf_timescale(std::span<const double> acf, std::size_t n) noexcept;
double acf_first_min(std::span<const double> acf, std::size_t n) noexcept;
double ami_timescale(std::span<const double> z) noexcept;
double embedding_dist(std::span<const double> z, std::size_t acf_zero);

// catch22_nonlinear.cpp
double ami2(std::span<const double> z);
double trev(std::span<const double> z) noexcept;

// catch22_forecast.cpp
double whiten_timescale(std::span<const double> z, std::size_t acf_zero);
double forecast_error(std::span<const double> z);

// catch22_symbolic.cpp
double high_fluctuation(std::span<const double> z) noexcept;
double stretch_decreasing(std::span<const double> z) noexcept;
double stretch_high(std::span<const double> z) noexcept;
double entropy_pairs(std::span<const double> z);
double transition_variance(std::span<const double> z, std::size_t acf_zero);

// catch22_fluctuation.cpp
double rs_range(std::span<const double> z);
double dfa(std::span<const double> z);

// catch22_spectrum.cpp
struct welch_summary {
    double low_freq_power;
    double centroid_freq;
};
welch_summary welch_rect(std::span<const double> z);

// catch22_periodicity.cpp
double periodicity(std::span<const double> z);

}  // namespace tsbatch::catch22
