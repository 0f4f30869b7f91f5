#pragma once
// `quality_stats`: one table row per series describing its values (count, NaN, min, max,
// mean, variance) and its sampling (modal period, gaps). The kernels are exposed so tests and
// benchmarks can call them without the registry; `compute_value_moments` and
// `compute_value_range` are shared with `scale`.
#include <cstdint>
#include <span>
#include <vector>

#include "core/series.hpp"
#include "core/table.hpp"

namespace tsbatch {

/// Moments of the non-NaN values of a span, computed in one pass over memory (shifted sums
/// per cache-sized block, blocks merged with Chan's formula; ~1e-16 relative typically).
struct value_moments {
    std::int64_t count = 0;   ///< non-NaN values
    std::int64_t nb_nan = 0;  ///< NaN values
    double min = 0.0;         ///< NaN when count == 0
    double max = 0.0;         ///< NaN when count == 0
    double mean = 0.0;        ///< NaN when count == 0; exactly min when min == max
    double m2 = 0.0;          ///< sum of squared deviations from the mean; exactly 0 when min == max

    /// m2 / (count - ddof); NaN when count <= ddof.
    double variance(int ddof = 0) const noexcept;
};

/// Moments of the non-NaN values of `v`.
value_moments compute_value_moments(std::span<const double> v);

/// Extremes of the non-NaN values of a span: one vectorised pass, cheaper than the moments.
struct value_range {
    std::int64_t count = 0;  ///< non-NaN values
    double min = 0.0;        ///< NaN when count == 0
    double max = 0.0;        ///< NaN when count == 0
};

/// Count, min and max of the non-NaN values of `v`.
value_range compute_value_range(std::span<const double> v);

/// One row of the `quality_stats` table (see quality_stats.cpp for every edge case).
struct quality_stats_result {
    std::int64_t nb_points = 0;
    std::int64_t nb_nan = 0;
    std::int64_t start = 0;  ///< ms, first timestamp
    std::int64_t end = 0;    ///< ms, last timestamp
    double min = 0.0;
    double max = 0.0;
    double mean = 0.0;
    double variance = 0.0;  ///< population variance of the non-NaN values
    double std = 0.0;
    std::int64_t ref_period = 0;  ///< modal time step (ms), ties -> the smaller step
    std::int64_t min_period = 0;
    std::int64_t max_period = 0;
    double mean_period = 0.0;
    std::int64_t nb_gaps = 0;      ///< steps > gap_factor * ref_period
    std::int64_t longest_gap = 0;  ///< largest step counted as a gap, 0 without gaps
};

/// Statistics of one series. `gap_factor` must be > 0 (throws param_error otherwise).
quality_stats_result compute_quality_stats(series_view s, double gap_factor);

/// The columns of the `quality_stats` table, in output order.
const std::vector<column_spec>& quality_stats_columns();

/// Writes `r` as one row with the columns of quality_stats_columns().
void write_quality_stats_row(const quality_stats_result& r, row_sink& row);

}  // namespace tsbatch
