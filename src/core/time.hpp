#pragma once
// Timestamps and durations (DESIGN §4): int64 milliseconds since 1970-01-01T00:00:00Z.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tsbatch {

/// Thrown by the parsers below; callers add the key, file or line it came from.
class parse_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

constexpr std::int64_t ms_per_second = 1000;
constexpr std::int64_t ms_per_minute = 60 * ms_per_second;
constexpr std::int64_t ms_per_hour = 60 * ms_per_minute;
constexpr std::int64_t ms_per_day = 24 * ms_per_hour;
constexpr std::int64_t ms_per_week = 7 * ms_per_day;

/// Parses `500ms`, `30s`, `15min`, `1h`, `1d`, `1w` (also fractional, e.g. `1.5h`, when the
/// result is a whole number of ms) or ISO 8601 `PT15M`, `P1DT12H`, `P2W`. Months and years
/// depend on the calendar and are refused.
std::int64_t parse_duration(std::string_view text);

/// Formats a duration with the largest unit that represents it exactly (`15min`, `1500ms`).
std::string format_duration(std::int64_t ms);

/// Parses ISO 8601 `2015-01-01`, `2015-01-01T12:00`, `2015-01-01T12:00:00.250`, with an optional
/// `Z` or `+hh:mm`/`-hhmm` zone (space also accepted instead of `T`). A time without zone is
/// UTC shifted by `default_offset_minutes`, the offset of the --timezone option.
std::int64_t parse_iso8601(std::string_view text, int default_offset_minutes = 0);

/// Formats as `2015-01-01T00:00:00.000Z` (proleptic Gregorian, works before 1970).
std::string format_iso8601(std::int64_t ms);

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept;

/// A proleptic Gregorian date: year, month 1-12, day 1-31.
struct civil_date {
    std::int64_t y;
    unsigned m, d;
};

/// The date `days` after 1970-01-01 (H. Hinnant's civil_from_days, the inverse of
/// days_from_civil).
civil_date civil_from_days(std::int64_t days) noexcept;

/// Floor division and modulo for negative timestamps (C++ `/` truncates toward zero).
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace tsbatch
