#include "ingest/time_field.hpp"

#include "core/time.hpp"

namespace tsbatch::ingest {
namespace {

// 128-bit integers hold 34 decimal digits times 1000 exactly (GCC and Clang both have them).
__extension__ typedef __int128 wide_int;

constexpr const char* not_iso = "not an ISO 8601 timestamp (e.g. 2015-01-01T12:00:00Z)";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Reads exactly `n` digits at `at`; false when they are not all digits or run past the end.
bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (!is_digit(s[i])) return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

bool valid_date(int y, int m, int d) {
    static constexpr int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return false;
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

// The zone suffix at `pos`: Z, or ±hh, ±hhmm, ±hh:mm. Sets the offset in minutes.
bool parse_zone(std::string_view s, std::size_t pos, int& minutes) {
    if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
        minutes = 0;
        return true;
    }
    if (s[pos] != '+' && s[pos] != '-') return false;
    int h = 0, m = 0;
    if (!digits(s, pos + 1, 2, h)) return false;
    std::size_t p = pos + 3;
    if (p < s.size() && s[p] == ':') ++p;
    if (p < s.size() && (!digits(s, p, 2, m) || p + 2 != s.size())) return false;
    if (p == s.size() && p != pos + 3) return false;  // "+01:" has no minutes
    if (h > 23 || m > 59) return false;
    minutes = (s[pos] == '-' ? -1 : 1) * (h * 60 + m);
    return true;
}

}  // namespace

std::optional<time_format> time_format_from_name(std::string_view name) {
    if (name == "auto") return time_format::auto_detect;
    if (name == "iso8601" || name == "iso") return time_format::iso8601;
    if (name == "epoch_s" || name == "s") return time_format::epoch_s;
    if (name == "epoch_ms" || name == "ms") return time_format::epoch_ms;
    return std::nullopt;
}

const char* parse_iso8601_fields(std::string_view s, std::int64_t& ms, bool& has_zone) {
    int y = 0, mo = 0, d = 0;
    if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 0, 4, y) || !digits(s, 5, 2, mo) ||
        !digits(s, 8, 2, d))
        return not_iso;
    if (!valid_date(y, mo, d)) return "invalid date";
    std::size_t pos = 10;
    int h = 0, mi = 0, sec = 0;
    std::int64_t frac_ms = 0;
    if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
        if (!digits(s, pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, mi))
            return not_iso;
        pos += 6;
        if (pos < s.size() && s[pos] == ':') {
            if (!digits(s, pos + 1, 2, sec)) return not_iso;
            pos += 3;
            if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
                const std::size_t first = ++pos;
                std::int64_t scale = 100;
                for (; pos < s.size() && is_digit(s[pos]); ++pos, scale /= 10) frac_ms += (s[pos] - '0') * scale;
                if (pos == first) return not_iso;
            }
        }
        // 24:00 and a leap second :60 are accepted as core parse_iso8601 does (next day / minute).
        if (h > 24 || mi > 59 || sec > 60 || (h == 24 && (mi != 0 || sec != 0 || frac_ms != 0)))
            return "invalid time of day";
    }
    int offset = 0;
    has_zone = pos < s.size();
    if (has_zone && !parse_zone(s, pos, offset)) return not_iso;
    const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    ms = days * ms_per_day + h * ms_per_hour + mi * ms_per_minute + sec * ms_per_second + frac_ms -
         std::int64_t{offset} * ms_per_minute;
    return nullptr;
}

const char* parse_epoch(std::string_view s, std::int64_t unit_ms, std::int64_t& ms) {
    // Exact: the digits form an integer mantissa with a decimal exponent, so 0.1 s is 100 ms
    // (a double would give 100.00000000000001 and rounding questions).
    constexpr const char* not_number = "not a number of seconds or milliseconds";
    std::size_t i = 0;
    bool negative = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
    wide_int mantissa = 0;
    int significant = 0, exponent = 0;
    bool any_digit = false;
    auto take_digits = [&](bool fraction) {
        for (; i < s.size() && is_digit(s[i]); ++i) {
            any_digit = true;
            if (mantissa == 0 && s[i] == '0') {
                if (fraction) --exponent;
                continue;
            }
            if (significant < 34) {  // 10^34 * 1000 fits an __int128
                mantissa = mantissa * 10 + (s[i] - '0');
                ++significant;
                if (fraction) --exponent;
            } else if (!fraction) {
                ++exponent;  // digits past 34 only scale the integer part
            }
        }
    };
    take_digits(false);
    if (i < s.size() && s[i] == '.') {
        ++i;
        take_digits(true);
    }
    if (!any_digit) return not_number;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        int esign = 1, e = 0, n = 0;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) esign = s[i++] == '-' ? -1 : 1;
        for (; i < s.size() && is_digit(s[i]); ++i, ++n) e = e < 10000 ? e * 10 + (s[i] - '0') : e;
        if (n == 0) return not_number;
        exponent += esign * e;
    }
    if (i != s.size()) return not_number;
    constexpr const char* too_far = "timestamp out of range (beyond ±2^62 ms)";
    wide_int v = mantissa * unit_ms;
    if (negative) v = -v;
    for (; exponent > 0; --exponent) {
        v *= 10;
        if (v > max_abs_time_ms || v < -max_abs_time_ms) return too_far;
    }
    for (; exponent < 0 && v != 0; ++exponent) v = v >= 0 ? v / 10 : (v - 9) / 10;  // floor
    if (v > max_abs_time_ms || v < -max_abs_time_ms) return too_far;
    ms = static_cast<std::int64_t>(v);
    return nullptr;
}

time_parser::time_parser(time_format format, const time_zone& zone, dst_policy dst)
    : format_(format), local_(zone), zone_is_utc_(zone.is_utc()), dst_(dst) {}

const char* time_parser::parse_iso(std::string_view text, std::int64_t& ms) {
    bool has_zone = false;
    if (const char* e = parse_iso8601_fields(text, ms, has_zone)) return e;
    if (has_zone || zone_is_utc_) return nullptr;
    const local_time_result r = local_.to_utc(ms);
    if (dst_ == dst_policy::error && r.kind == local_time_kind::ambiguous)
        return "local time occurs twice (DST ends); write it with its UTC offset";
    if (dst_ == dst_policy::error && r.kind == local_time_kind::skipped)
        return "local time does not exist (skipped when DST starts)";
    ms = r.utc_ms;
    return nullptr;
}

const char* time_parser::parse_auto(std::string_view text, std::int64_t& ms) {
    if (text.size() >= 10 && text[4] == '-') return parse_iso(text, ms);
    std::int64_t seconds_read = 0;
    if (const char* e = parse_epoch(text, 1, seconds_read)) return e;
    if (seconds_read > -opentsdb_seconds_limit && seconds_read < opentsdb_seconds_limit)
        return parse_epoch(text, ms_per_second, ms);
    ms = seconds_read;
    return nullptr;
}

const char* time_parser::parse(std::string_view text, std::int64_t& ms) {
    if (text.empty()) return "empty timestamp";
    switch (format_) {
        case time_format::iso8601:
            return parse_iso(text, ms);
        case time_format::epoch_s:
            return parse_epoch(text, ms_per_second, ms);
        case time_format::epoch_ms:
            return parse_epoch(text, 1, ms);
        case time_format::auto_detect:
            return parse_auto(text, ms);
    }
    return "unknown time format";
}

}  // namespace tsbatch::ingest
