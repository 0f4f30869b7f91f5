#pragma once
// `unwrap`: removes the wraps of a phase or angle series (numpy.unwrap), so that jumps larger
// than the discontinuity become continuous. See unwrap.cpp for the exact contract.
#include <array>
#include <optional>

#include "algo/params.hpp"
#include "core/series.hpp"

namespace tsbatch {

enum class unwrap_unit { radians, degrees };
inline constexpr std::array unwrap_unit_names{"radians", "degrees"};  // enum order

struct unwrap_params {
    unwrap_unit unit = unwrap_unit::radians;
    std::optional<double> discontinuity;  ///< > 0; absent: half a period (pi or 180)

    /// 2 pi for radians, 360 for degrees.
    double period() const noexcept;
    /// discontinuity, or its default period() / 2.
    double effective_discontinuity() const noexcept;
};

/// Reads and checks the operator's parameters; throws param_error naming the parameter.
unwrap_params unwrap_params_from(const param_values& values);

/// Throws param_error when `p` breaks a constraint (discontinuity <= 0 or not finite).
void check_unwrap_params(const unwrap_params& p);

/// Writes the unwrapped series: the input timestamps, one output point per input point.
/// Throws param_error for invalid `p`; never throws for any series.
void unwrap(series_view in, const unwrap_params& p, series_sink& out);

}  // namespace tsbatch
