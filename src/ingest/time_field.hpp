#pragma once
// Timestamps in input fields: ISO 8601 (a fast parser for the fixed layouts, the same grammar
// as core parse_iso8601), epoch seconds (may be fractional) and epoch milliseconds.
// Every result is int64 ms UTC within ±2^62 (the staged format's range); sub-millisecond
// digits are dropped towards the past (floor), as pandas' floor to ms does.
#include <cstdint>
#include <optional>
#include <string_view>

#include "ingest/time_zone.hpp"

namespace tsbatch::ingest {

enum class time_format {
    auto_detect,  ///< per field: ISO 8601 when it has a '-' at index 4, else epoch s or ms as OpenTSDB decides
    iso8601,
    epoch_s,
    epoch_ms,
};

/// "auto", "iso8601" (or "iso"), "epoch_s" (or "s"), "epoch_ms" (or "ms").
std::optional<time_format> time_format_from_name(std::string_view name);

/// What to do with a local time that a DST change repeats or skips (see time_zone.hpp).
enum class dst_policy {
    compatible,  ///< earlier instant for a repeated time, shifted forward for a skipped one
    error,       ///< report the field
};

constexpr std::int64_t max_abs_time_ms = std::int64_t{1} << 62;

/// OpenTSDB's rule (reference/opentsdb.md 1.4): |t| below 2^32 counts seconds, above it ms.
constexpr std::int64_t opentsdb_seconds_limit = std::int64_t{1} << 32;

/// Reads ISO 8601 `YYYY-MM-DD[(T|t| )hh:mm[:ss[(.|,)f...]]][Z|z|±hh[[:]mm]]`. Returns nullptr
/// and sets `ms` (the wall time read as if it were UTC) and `has_zone` (then `ms` is already
/// UTC), or returns what is wrong.
const char* parse_iso8601_fields(std::string_view text, std::int64_t& ms, bool& has_zone);

/// Reads a decimal number of `unit_ms` ms (1000 for seconds, 1 for ms): sign, digits,
/// fraction and exponent allowed, converted exactly. Returns nullptr or what is wrong.
const char* parse_epoch(std::string_view text, std::int64_t unit_ms, std::int64_t& ms);

/// Parses the time fields of one input, holding the zone conversion cache. Not thread-safe:
/// one per parser.
class time_parser {
public:
    time_parser(time_format format, const time_zone& zone, dst_policy dst = dst_policy::compatible);
    /// Returns nullptr and sets `ms`, or returns what is wrong with `text`.
    const char* parse(std::string_view text, std::int64_t& ms);

private:
    const char* parse_iso(std::string_view text, std::int64_t& ms);
    const char* parse_auto(std::string_view text, std::int64_t& ms);

    time_format format_;
    local_time_converter local_;
    bool zone_is_utc_;
    dst_policy dst_;
};

}  // namespace tsbatch::ingest
