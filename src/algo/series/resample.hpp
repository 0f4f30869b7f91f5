#pragma once
// `resample`: aggregates a series onto a regular grid of buckets (down-sampling) and
// optionally fills empty buckets from the surrounding points (up-sampling, small holes).
// See resample.cpp for the exact contract.
#include <array>
#include <cstdint>
#include <optional>

#include "algo/param_fields.hpp"
#include "core/series.hpp"

namespace tsbatch {

enum class resample_aggregation { mean, min, max, median, sum, count, first, last, std };
enum class resample_label { start, mid, end };
enum class resample_fill { none, linear, previous, next };
enum class resample_origin { epoch, first };
// Their names, in enum order (the parameter choices).
inline constexpr std::array resample_aggregation_names{"mean",  "min",   "max",  "median", "sum",
                                                       "count", "first", "last", "std"};
inline constexpr std::array resample_label_names{"start", "mid", "end"};
inline constexpr std::array resample_fill_names{"none", "linear", "previous", "next"};
inline constexpr std::array resample_origin_names{"epoch", "first"};

struct resample_params {
    std::int64_t period = 0;  ///< ms, > 0
    resample_aggregation aggregation = resample_aggregation::mean;
    resample_label label = resample_label::start;
    resample_fill fill = resample_fill::none;
    std::optional<std::int64_t> max_gap;  ///< ms, > 0; absent: 2 * period
    resample_origin origin = resample_origin::epoch;

    /// max_gap, or its default 2 * period (saturating).
    std::int64_t effective_max_gap() const noexcept;

    /// The parameters' declarations: schema, defaults and bounds; fields().read(values) gives
    /// checked parameters (check_resample_params included) or throws param_error naming one.
    static const param_fields<resample_params>& fields();
};

/// Throws param_error when `p` breaks a constraint (period <= 0, max_gap <= 0).
void check_resample_params(const resample_params& p);

/// Resamples `in` into `out` (one point per occupied bucket, plus filled empty buckets).
/// Throws param_error for invalid `p`; never throws for any series.
void resample(series_view in, const resample_params& p, series_sink& out);

}  // namespace tsbatch
