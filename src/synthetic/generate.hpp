#pragma once
// Synthetic sensor data for demos, tests and benchmarks (`tsbatch generate`). Deterministic
// by seed and by series index alone, so any rank can generate any series and the file is
// identical for every rank count.
#include <cstdint>
#include <vector>

#include "core/series.hpp"

namespace tsbatch {

struct generate_options {
    std::uint64_t series = 100;        ///< number of series
    std::uint64_t mean_points = 1000;  ///< mean points per series; the total is series * mean_points
    std::uint64_t seed = 1;
    std::int64_t start_ms = 1420070400000;  ///< 2015-01-01T00:00:00Z: earliest series start
    /// A deliberately skewed set for balancing tests: when > 0, the first `heavy_series`
    /// series get `heavy_factor` times the points of each of the others, which all get the
    /// same share (instead of the usual log-normal spread). Side by side at the start of the
    /// file, they defeat any split by series count.
    std::uint64_t heavy_series = 0;
    double heavy_factor = 100;
};

/// Point count of every series: skewed (a few very long, many short, or the heavy_series
/// layout), at least 1 each when mean_points >= 1, summing exactly to series * mean_points.
std::vector<std::uint64_t> plan_series_lengths(const generate_options& opt);

/// Metric, tags and id of series `index` (unique per index).
series_meta generated_meta(const generate_options& opt, std::uint64_t index);

/// Appends series `index` with `length` points to `out`. The points depend only on `opt.seed`,
/// `opt.start_ms`, `index` and `length`. Callers appending many series to one batch should reserve
/// `out.time`/`out.value` for their total first (growth is geometric otherwise).
void generate_series(const generate_options& opt, std::uint64_t index, std::uint64_t length, series_batch& out);

}  // namespace tsbatch
