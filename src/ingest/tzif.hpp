#pragma once
// Reads a TZif file (RFC 8536, /usr/share/zoneinfo) into offset rules (internal to the library).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/posix_tz.hpp"

namespace tsbatch::ingest {

/// A zone's UTC offsets over all time: a table of transitions, then a POSIX rule.
struct zone_rules {
    std::vector<std::int64_t> transitions;  ///< UTC seconds, strictly increasing
    std::vector<std::int32_t> offsets;      ///< offset in force from transitions[i] on
    std::int32_t initial_offset = 0;        ///< before the first transition
    std::optional<posix_tz_rule> tail;      ///< after the last transition (or always, without any)

    /// The period holding the UTC second `t`.
    offset_period period_at(std::int64_t t) const;
};

/// Parses the bytes of a TZif file; returns a message in `error` and nullopt when they are
/// not a usable TZif file (truncated, inconsistent, or with leap seconds).
std::optional<zone_rules> parse_tzif(std::string_view bytes, std::string& error);

}  // namespace tsbatch::ingest
