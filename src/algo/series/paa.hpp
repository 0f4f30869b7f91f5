#pragma once
// `paa`: Piecewise Aggregate Approximation, one table row of `segments` means per series,
// by equal point counts (classic PAA, fractional boundaries weighted) or by equal durations
// (IKATS's PAA). See paa.cpp for the exact contract. The equal-duration segmentation and the
// NaN-skipping sum are shared with `discretize`.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "algo/param_fields.hpp"
#include "core/series.hpp"
#include "core/table.hpp"

namespace tsbatch {

enum class paa_by { points, time };
inline constexpr std::array paa_by_names{"points", "time"};  // enum order

struct paa_params {
    std::int64_t segments = 1;  ///< >= 1
    paa_by by = paa_by::points;

    /// The parameters' declarations: schema, defaults and bounds; fields().read(values) gives
    /// checked parameters (check_paa_params included) or throws param_error naming one.
    static const param_fields<paa_params>& fields();
};

/// The largest `segments` (and discretize `buckets`) accepted: one table column each.
inline constexpr std::int64_t max_paa_segments = 1'000'000;

/// Throws param_error when `p` breaks a constraint (segments outside [1, max_paa_segments]).
void check_paa_params(const paa_params& p);

/// The columns `paa_1` .. `paa_S` (float64).
std::vector<column_spec> paa_columns(const paa_params& p);

/// Writes the p.segments segment means of `in` to `out` (out.size() == p.segments); NaN for a
/// segment without non-NaN values. Throws param_error for invalid `p`; never throws for any
/// series.
void paa(series_view in, const paa_params& p, std::span<double> out);

/// Sum and count of the non-NaN values of a span (vectorised, one pass).
struct non_nan_sum {
    double sum = 0.0;
    double count = 0.0;
};
non_nan_sum sum_non_nan(std::span<const double> v) noexcept;

/// Splits the time range [first, last] of strictly increasing timestamps into `segments`
/// equal-duration segments: segment k (from 0) is [first + k*D/S, first + (k+1)*D/S) in
/// exact arithmetic, D = last - first, the last one closed at `last`. With D == 0 (one
/// point) every point is in segment 0. Visits the segments in order; each boundary is found
/// by a short scan, then galloping search, from the previous one (O(log) for long segments).
class duration_segmenter {
public:
    duration_segmenter(std::span<const std::int64_t> time, std::uint64_t segments) noexcept;
    /// One past the index of the last point of the next segment (the first call gives
    /// segment 0's end, whose begin is 0).
    std::size_t next_end() noexcept;

private:
    std::span<const std::int64_t> time_;
    std::uint64_t segments_;
    std::uint64_t k_ = 0;       // segments returned so far
    std::uint64_t step_q_ = 0;  // D / S
    std::uint64_t step_r_ = 0;  // D % S
    std::uint64_t q_ = 0;       // floor((k_ + 1) * D / S), kept without multiplying
    std::uint64_t r_ = 0;       // (k_ + 1) * D mod S
    std::size_t pos_ = 0;
};

}  // namespace tsbatch
