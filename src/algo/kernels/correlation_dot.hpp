#pragma once
// The fast form of lag-0 correlation for the common case of a whole matrix of sensors on one
// time grid without missing values (e.g. after resample): Pearson's r of two complete series
// is the dot product of their centred, unit-norm value vectors, and Spearman's rho the same of
// their average ranks. Each series is readied once (O(T)); a tile of pairs is then one dense
// product A Bᵀ of unit vectors, which goes to CBLAS (Debian's OpenBLAS, one thread): the
// O(N^2 T) part runs at the multiply-add rate of a well-kept BLAS (FMA, AVX-512 where the CPU
// has it) instead of an own kernel's.
//
// Which pairs: both series complete (every value finite for Pearson; no NaN for Spearman,
// whose ranks keep infinities in order), of at least max(min_overlap, 2) points, not constant,
// and sharing their time axis (or, aligned by index, their length). Every other pair goes
// through correlate() (correlation.hpp), whose status rules this form reproduces: a constant
// series gives zero_variance, too short too_little_overlap. The values differ from
// correlate()'s in the last bits only (both are within a few ulps times sqrt(T) of the exact r).
//
// Determinism: a BLAS product sums each entry in an order that depends on the whole call
// (the shapes, and where the entry sits: the kernels treat the edges of a product apart), on
// the BLAS build and on the CPU it picks kernels for. So an entry's bits are a function of the
// call's vectors in their order, not of the pair alone. The tile engine
// (algo/dataset/correlation_tiles.hpp) therefore calls unit_dot_block only for whole
// sub-tiles of the global grid of pairs, whose contents do not depend on the rank count: the
// same binary, CPU type and BLAS give the same bits on any rank count.
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
/// The same into `z` (x.size() values, written only where the result is usable).
corr_unit_vector::state make_unit_vector(series_view x, corr_method method, std::size_t min_pairs, std::span<double> z);

/// Where unit_dot_block gathers vectors that are not already rows of one matrix; kept by the
/// caller across calls, so a tile never faults in fresh memory.
struct corr_dot_scratch {
    std::vector<double> a, b;
};

/// out[i * b.size() + j] = r of the usable unit vectors a[i] and b[j] (n values each),
/// clamped to [-1, 1]: one CBLAS product. Vectors that already sit n apart in memory (rows of
/// one matrix) are used in place; others are gathered into `scratch` first. The bits depend
/// on the whole call (see the top of this file).
void unit_dot_block(std::span<const double* const> a, std::span<const double* const> b, std::size_t n,
                    std::span<double> out, corr_dot_scratch& scratch);

/// out[i * a.size() + j] = r of a[i] and a[j]: unit_dot_block(a, a, ...) at half the work (a
/// symmetric product, so out is symmetric bit for bit). Its bits differ from
/// unit_dot_block's on the same vectors; a caller keeps to one of the two for a given tile.
void unit_dot_gram(std::span<const double* const> a, std::size_t n, std::span<double> out, corr_dot_scratch& scratch);

}  // namespace tsbatch
