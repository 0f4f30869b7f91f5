#pragma once
// Time zones for timestamps written without a zone: UTC, fixed offsets, or IANA zones read
// from the system's TZif files. libstdc++ 12 has no std::chrono::tzdb, so the files are read
// here once, when the zone is named; afterwards a time_zone is immutable and may be shared
// between threads (each thread uses its own local_time_converter).
//
// Local times that a DST change makes ambiguous or nonexistent are resolved as java.time,
// Python's zoneinfo (fold=0) and RFC 9557's "compatible" disambiguation do:
//   * repeated hour (autumn): the earlier instant, i.e. the daylight-time offset;
//   * skipped hour (spring): shifted forward by the length of the gap, i.e. read with the
//     offset in force before the change (02:30 in Paris on the spring day is 01:30Z = 03:30+02).
// The converter says when it resolved one, so a parser can report it instead.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tsbatch::ingest {

struct zone_rules;

class time_zone {
public:
    /// UTC.
    time_zone();

    /// "UTC" (or "Z"), a fixed offset "+01:00" / "-0530" / "+01", or an IANA name such as
    /// "Europe/Paris" read from $TZDIR or else /usr/share/zoneinfo. Throws usage_error for an
    /// unknown or unreadable zone.
    static time_zone from_name(std::string_view name);

    /// A zone `minutes` east of UTC.
    static time_zone fixed(int minutes);

    /// The UTC offset in ms at the UTC instant `utc_ms`.
    std::int64_t offset_ms_at(std::int64_t utc_ms) const;

    bool is_utc() const noexcept { return !rules_ && fixed_ms_ == 0; }
    const std::string& name() const noexcept { return name_; }

private:
    friend class local_time_converter;
    std::shared_ptr<const zone_rules> rules_;  // null for a fixed offset
    std::int64_t fixed_ms_ = 0;
    std::string name_ = "UTC";
};

/// How a local time was mapped to UTC.
enum class local_time_kind { unique, ambiguous, skipped };

struct local_time_result {
    std::int64_t utc_ms;
    local_time_kind kind;
};

/// Converts local wall times ("ms since 1970-01-01 as if the wall clock were UTC") to UTC.
/// Caches the last stretch of local time with one offset, so sorted input costs no search.
class local_time_converter {
public:
    explicit local_time_converter(time_zone zone);
    local_time_result to_utc(std::int64_t local_ms);
    const time_zone& zone() const noexcept { return zone_; }

private:
    local_time_result resolve(std::int64_t local_ms);

    time_zone zone_;
    std::int64_t cached_lo_ = 0;  // local ms [lo, hi) that map uniquely with cached_offset_
    std::int64_t cached_hi_ = 0;
    std::int64_t cached_offset_ = 0;
};

}  // namespace tsbatch::ingest
