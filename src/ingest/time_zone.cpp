#include "ingest/time_zone.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>

#include "core/error.hpp"
#include "core/time.hpp"
#include "ingest/tzif.hpp"

namespace tsbatch::ingest {
namespace {

constexpr std::int64_t ms_lo = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t ms_hi = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t max_tzif_bytes = std::size_t{1} << 20;

// "+hh", "+hhmm", "+hh:mm" (or '-'); false when `s` is not such an offset.
bool parse_fixed_offset(std::string_view s, int& minutes) {
    if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return false;
    auto two = [&](std::size_t at, int& v) {
        if (at + 2 > s.size() || std::isdigit(static_cast<unsigned char>(s[at])) == 0 ||
            std::isdigit(static_cast<unsigned char>(s[at + 1])) == 0)
            return false;
        v = (s[at] - '0') * 10 + (s[at + 1] - '0');
        return true;
    };
    int h = 0, m = 0;
    if (!two(1, h)) return false;
    std::size_t at = 3;
    if (at < s.size() && s[at] == ':') ++at;
    if (at < s.size() && !two(at, m)) return false;
    if (at < s.size() && at + 2 != s.size()) return false;
    if (at == s.size() && s.size() != 3) return false;  // "+01:" is not an offset
    if (h > 23 || m > 59) return false;
    minutes = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
    return true;
}

// IANA names are made of letters, digits and - _ + / (e.g. America/Port-au-Prince,
// Etc/GMT+5); refusing anything else keeps a name from reaching outside the zone directory.
bool plausible_zone_name(std::string_view s) {
    if (s.empty() || s.front() == '/' || s.find("..") != std::string_view::npos) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '+' || c == '/';
    });
}

std::string zone_dir() {
    const char* dir = std::getenv("TZDIR");  // read once, when a zone is named
    return dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo";
}

std::string read_small_file(const std::string& path, std::string_view zone) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw usage_error("unknown time zone '" + std::string(zone) + "': cannot read " + path + " (" +
                          std::strerror(errno) + ")");
    std::string bytes(max_tzif_bytes + 1, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > max_tzif_bytes) throw usage_error("time zone file " + path + " is too large to be a TZif file");
    return bytes;
}

}  // namespace

time_zone::time_zone() = default;

time_zone time_zone::fixed(int minutes) {
    time_zone z;
    z.fixed_ms_ = static_cast<std::int64_t>(minutes) * ms_per_minute;
    if (minutes != 0) {
        char buf[16];
        const int a = minutes < 0 ? -minutes : minutes;
        std::snprintf(buf, sizeof buf, "%c%02d:%02d", minutes < 0 ? '-' : '+', a / 60, a % 60);
        z.name_ = buf;
    }
    return z;
}

time_zone time_zone::from_name(std::string_view name) {
    if (name == "UTC" || name == "Z" || name == "utc") return time_zone();
    int minutes = 0;
    if (parse_fixed_offset(name, minutes)) return fixed(minutes);
    if (!plausible_zone_name(name))
        throw usage_error("time zone '" + std::string(name) +
                          "' is neither UTC, an offset such as +01:00, nor an IANA name such as Europe/Paris");
    const std::string path = zone_dir() + "/" + std::string(name);
    const std::string bytes = read_small_file(path, name);
    std::string why;
    auto rules = parse_tzif(bytes, why);
    if (!rules) throw usage_error("time zone '" + std::string(name) + "': " + path + " is unusable: " + why);
    time_zone z;
    z.rules_ = std::make_shared<const zone_rules>(std::move(*rules));
    z.name_ = std::string(name);
    return z;
}

std::int64_t time_zone::offset_ms_at(std::int64_t utc_ms) const {
    if (!rules_) return fixed_ms_;
    return std::int64_t{rules_->period_at(floor_div(utc_ms, ms_per_second)).offset} * ms_per_second;
}

local_time_converter::local_time_converter(time_zone zone) : zone_(std::move(zone)) {
    if (!zone_.rules_) {
        cached_lo_ = ms_lo;
        cached_hi_ = ms_hi;
        cached_offset_ = zone_.fixed_ms_;
    }
}

local_time_result local_time_converter::to_utc(std::int64_t local_ms) {
    if (local_ms >= cached_lo_ && local_ms < cached_hi_) return {local_ms - cached_offset_, local_time_kind::unique};
    return resolve(local_ms);
}

// Offsets never reach a day and changes are further than two days apart, so the offsets a
// day before and a day after bracket every reading of `local_ms`.
local_time_result local_time_converter::resolve(std::int64_t local_ms) {
    const zone_rules& z = *zone_.rules_;
    auto period = [&](std::int64_t utc_ms) { return z.period_at(floor_div(utc_ms, ms_per_second)); };
    auto offset = [&](std::int64_t utc_ms) { return std::int64_t{period(utc_ms).offset} * ms_per_second; };
    const std::int64_t early = offset(local_ms - ms_per_day);
    const std::int64_t late = offset(local_ms + ms_per_day);
    const bool early_fits = offset(local_ms - early) == early;
    const bool late_fits = offset(local_ms - late) == late;
    if (early_fits && late_fits && early != late)
        return {std::min(local_ms - early, local_ms - late), local_time_kind::ambiguous};
    if (!early_fits && !late_fits) return {local_ms - early, local_time_kind::skipped};
    const std::int64_t off = early_fits ? early : late;
    // Cache the stretch of local time that this period maps uniquely.
    const offset_period p = period(local_ms - off);
    auto to_ms = [](std::int64_t s) {
        return s <= ms_lo / ms_per_second ? ms_lo : s >= ms_hi / ms_per_second ? ms_hi : s * ms_per_second;
    };
    const std::int64_t before = p.begin == ms_lo ? off : std::int64_t{z.period_at(p.begin - 1).offset} * ms_per_second;
    const std::int64_t after = p.end == ms_hi ? off : std::int64_t{z.period_at(p.end).offset} * ms_per_second;
    const std::int64_t b = to_ms(p.begin), e = to_ms(p.end);
    cached_lo_ = b == ms_lo ? ms_lo : b + std::max(off, before);
    cached_hi_ = e == ms_hi ? ms_hi : e + std::min(off, after);
    cached_offset_ = off;
    return {local_ms - off, local_time_kind::unique};
}

}  // namespace tsbatch::ingest
