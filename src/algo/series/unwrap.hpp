#pragma once
// `unwrap`: removes the wraps of a phase or angle series (numpy.unwrap), so that jumps larger
// than the discontinuity become continuous. See unwrap.cpp for the exact contract.
#include <array>
#include <optional>

#include "algo/param_fields.hpp"
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

    /// The parameters' declarations: schema, defaults and bounds; fields().read(values) gives
    /// checked parameters (check_unwrap_params included) or throws param_error naming one.
    static const param_fields<unwrap_params>& fields();
};

/// Throws param_error when `p` breaks a constraint (discontinuity <= 0 or not finite).
void check_unwrap_params(const unwrap_params& p);

/// Writes the unwrapped series: the input timestamps, one output point per input point.
/// Throws param_error for invalid `p`; never throws for any series.
void unwrap(series_view in, const unwrap_params& p, series_sink& out);

}  // namespace tsbatch
