#pragma once
// `rolling`: a moving-window aggregation (mean, sum, min, max, std, median) over a window of
// a number of points or of a duration, labelled at its left end, centre or right end. See
// rolling.cpp for the exact contract.
#include <array>
#include <cstdint>
#include <string_view>

#include "algo/param_fields.hpp"
#include "core/series.hpp"

namespace tsbatch {

enum class rolling_aggregation { mean, sum, min, max, std, median };
enum class rolling_align { left, center, right };
// Their names, in enum order (the parameter choices).
inline constexpr std::array rolling_aggregation_names{"mean", "sum", "min", "max", "std", "median"};
inline constexpr std::array rolling_align_names{"left", "center", "right"};

/// A window as written in the `window` parameter: exactly one member is > 0.
struct rolling_window {
    std::int64_t points = 0;  ///< a window of this many consecutive points
    std::int64_t ms = 0;      ///< a window of this duration, following the timestamps
};

struct rolling_params {
    rolling_window window;
    rolling_aggregation aggregation = rolling_aggregation::mean;
    rolling_align align = rolling_align::right;
    std::int64_t min_points = 0;  ///< 0: the default (window.points, or 1 for a duration window)

    /// The parameters' declarations: schema, defaults and bounds; fields().read(values) gives
    /// checked parameters (check_rolling_params included) or throws param_error naming one.
    static const param_fields<rolling_params>& fields();
};

/// Parses `12` (digits only: points) or a duration (`1h`, `PT15M`); throws param_error
/// naming `window` for anything else, zero or a negative value.
rolling_window parse_rolling_window(std::string_view text);

/// Throws param_error when `p` breaks a constraint (no window or two, min_points < 0, or
/// min_points > window for a point window).
void check_rolling_params(const rolling_params& p);

/// min_points with its default applied.
std::int64_t effective_min_points(const rolling_params& p) noexcept;

/// Writes the rolling aggregate, one point per emitted label at the label's own timestamp
/// (see rolling.cpp for which labels are emitted). Throws param_error for invalid `p`; never
/// throws for any series.
void rolling(series_view in, const rolling_params& p, series_sink& out);

}  // namespace tsbatch
