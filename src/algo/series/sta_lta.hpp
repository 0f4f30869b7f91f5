#pragma once
// `sta_lta`: the short-term / long-term average ratio of a seismic channel's energy and the
// triggers it sets off, as two outputs: a table of triggers (on/off times, peak ratio) and the
// ratio series. Windows are durations following the timestamps (sliding, `classic`, or
// exponential, `recursive`). See sta_lta.cpp for the exact contract.
#include <array>
#include <cstdint>
#include <vector>

#include "algo/param_fields.hpp"
#include "core/series.hpp"
#include "core/table.hpp"

namespace tsbatch {

enum class sta_lta_method { classic, recursive };
inline constexpr std::array sta_lta_method_names{"classic", "recursive"};  // enum order

struct sta_lta_params {
    std::int64_t sta = 0;  ///< ms, > 0 and < lta
    std::int64_t lta = 0;  ///< ms
    double on = 3.5;       ///< a trigger starts when the ratio rises to >= on
    double off = 1.5;      ///< and ends when it falls below off (0 < off < on)
    sta_lta_method method = sta_lta_method::classic;

    /// The parameters' declarations: schema, defaults and bounds; fields().read(values) gives
    /// checked parameters (check_sta_lta_params included) or throws param_error naming one.
    static const param_fields<sta_lta_params>& fields();
};

/// Throws param_error when `p` breaks a constraint: sta or lta <= 0, sta >= lta (names
/// `sta`), off <= 0 or off >= on (names `off`), on not finite.
void check_sta_lta_params(const sta_lta_params& p);

/// One trigger: from the first ratio point >= on to the first one after it < off.
struct sta_lta_trigger {
    std::int64_t on_time = 0;   ///< ms
    std::int64_t off_time = 0;  ///< ms; the last ratio point of its stretch when not closed
    double peak_ratio = 0.0;    ///< largest ratio from on_time until the trigger ends
    bool closed = false;        ///< the ratio fell below off (not: data ended first)
};

/// The columns of the `triggers` table: on_time, off_time, peak_ratio, closed.
std::vector<column_spec> sta_lta_trigger_columns();

/// Writes the ratio points to `ratio` and appends the triggers, both in time order. Throws
/// param_error for invalid `p`; never throws for any series.
void sta_lta(series_view in, const sta_lta_params& p, series_sink& ratio, std::vector<sta_lta_trigger>& triggers);

}  // namespace tsbatch
