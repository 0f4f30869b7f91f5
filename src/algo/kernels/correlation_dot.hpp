#pragma once
// The fast form of lag-0 correlation for the common case of a whole matrix of sensors on one
// time grid without missing values (e.g. after resample): Pearson's r of two complete series
// is the dot product of their centred, unit-norm value vectors, and Spearman's rho the same of
// their average ranks. Each series is readied once (O(T)), each pair is then one dot product,
// computed a tile of pairs at a time with register blocking: the O(N^2 T) part runs at the
// speed of the multiply-adds instead of two passes and a merge per pair.
//
// Which pairs: both series complete (every value finite for Pearson; no NaN for Spearman,
// whose ranks keep infinities in order), of at least max(min_overlap, 2) points, not constant,
// and sharing their time axis (or, aligned by index, their length). Every other pair goes
// through correlate() (correlation.hpp), whose status rules this form reproduces: a constant
// series gives zero_variance, too short too_little_overlap. The values differ from
// correlate()'s in the last bits only (both are within a few ulps times sqrt(T) of the exact r).
//
// Determinism: r(a, b) is a fixed sequence of operations on the two vectors: four lanes (lane
// l sums the products at t = l mod 4) summed in t order, the n mod 4 tail added to lane 0,
// then (lane 0 + lane 1) + (lane 2 + lane 3), clamped to [-1, 1]. The blocked kernels keep
// exactly that sequence per pair (they only interleave pairs and cut t into cache-sized pieces
// whose lane sums carry over), so any tiling and any rank count give the same bits, and
// r(a, b) == r(b, a). The lanes are two SSE2 vectors on any x86-64 (or NEON) and one AVX2
// vector where the CPU has AVX2 (chosen at run time); without FMA a product is rounded before
// it is added on both, so the two give the same bits, also in one job over mixed nodes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "algo/kernels/correlation.hpp"
#include "core/series.hpp"

namespace tsbatch {

/// A series readied for the dot-product form.
struct corr_unit_vector {
    enum class state : std::uint8_t {
        usable,    ///< z holds the centred unit vector
        constant,  ///< complete but all values equal: zero_variance with any partner
        other,     ///< missing values, too short, or sums out of range: correlate() decides
    };
    state st = state::other;
    std::vector<double> z;
};

/// Readies `x` for `method` (Pearson: values; Spearman: average ranks). `min_pairs` is
/// max(min_overlap, 2): a shorter series is `other`.
corr_unit_vector make_unit_vector(series_view x, corr_method method, std::size_t min_pairs);

/// r of two usable unit vectors of length n (see the header comment for the exact order).
double unit_dot(const double* a, const double* b, std::size_t n) noexcept;

/// Which blocked kernel unit_dot_block runs: the best the CPU has, or one named (tests).
enum class dot_kernel { automatic, portable, avx2 };

/// Whether this CPU runs the AVX2 kernel.
bool unit_dot_has_avx2() noexcept;

/// out[i * b.size() + j] = unit_dot(a[i], b[j], n), bit for bit.
void unit_dot_block(std::span<const double* const> a, std::span<const double* const> b, std::size_t n,
                    std::span<double> out, dot_kernel kernel = dot_kernel::automatic);

}  // namespace tsbatch
