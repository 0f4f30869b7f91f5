#pragma once
// The POSIX TZ rule at the end of a TZif file (RFC 8536 §3.3, e.g. "CET-1CEST,M3.5.0,M10.5.0/3"),
// which gives a zone's offsets after its last listed transition (internal to the library).
#include <cstdint>
#include <optional>
#include <string_view>

namespace tsbatch::ingest {

/// A span of UTC seconds [begin, end) with one offset; begin/end are INT64_MIN/MAX when open.
struct offset_period {
    std::int64_t begin;
    std::int64_t end;
    std::int32_t offset;  ///< seconds east of UTC
};

struct posix_tz_rule {
    /// When daylight time starts or ends, in the local time in force before the change.
    struct change {
        enum class kind { julian_no_leap, julian_zero, month_week_day } how = kind::month_week_day;
        int day = 0;  ///< Jn: 1..365; n: 0..365; M: weekday 0..6 (Sunday = 0)
        int month = 0;
        int week = 0;              ///< 1..5, 5 = last
        std::int32_t time = 7200;  ///< seconds after local midnight, may be negative or > 24 h
    };
    std::int32_t std_offset = 0;  ///< seconds east of UTC (the sign of the TZ string inverted)
    std::int32_t dst_offset = 0;
    bool has_dst = false;
    change start;
    change end;

    /// The period holding the UTC second `t`.
    offset_period period_at(std::int64_t t) const;
};

/// Parses a POSIX TZ string as TZif footers write it; nullopt when it is malformed.
std::optional<posix_tz_rule> parse_posix_tz(std::string_view text);

}  // namespace tsbatch::ingest
