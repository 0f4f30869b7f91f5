#pragma once
// `slope`: the rate of change between consecutive points, (v[i+1] - v[i]) / (t[i+1] - t[i]),
// expressed per `per` and placed at t[i]. See slope.cpp for the exact contract.
#include <cstdint>

#include "algo/param_fields.hpp"
#include "core/series.hpp"

namespace tsbatch {

struct slope_params {
    std::int64_t per = 1000;  ///< ms, > 0: the output is value change per this duration

    /// The parameters' declarations: schema, defaults and bounds; fields().read(values) gives
    /// checked parameters (check_slope_params included) or throws param_error naming one.
    static const param_fields<slope_params>& fields();
};

/// Throws param_error when `p` breaks a constraint (per <= 0).
void check_slope_params(const slope_params& p);

/// Writes size() - 1 points (none for fewer than two): point i at t[i] with value
/// (v[i+1] - v[i]) / (t[i+1] - t[i]) * per. Throws param_error for invalid `p`; never throws
/// for any series.
void slope(series_view in, const slope_params& p, series_sink& out);

}  // namespace tsbatch
