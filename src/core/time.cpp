#include "core/time.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace tsbatch {
namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Parses a non-negative decimal number (digits with an optional fraction) at the front of
// `s`, advancing it. Returns false when there is no digit.
bool take_number(std::string_view& s, double& out) {
    std::size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) != 0 || s[i] == '.')) ++i;
    if (i == 0) return false;
    const std::string num(s.substr(0, i));
    char* end = nullptr;
    out = std::strtod(num.c_str(), &end);
    if (end != num.c_str() + num.size()) return false;
    s.remove_prefix(i);
    return true;
}

std::int64_t to_whole_ms(double ms, std::string_view text) {
    if (!std::isfinite(ms) || ms > 9.0e15) throw parse_error("duration " + quoted(text) + " is too large");
    const double r = std::round(ms);
    if (std::fabs(ms - r) > 1e-6) throw parse_error("duration " + quoted(text) + " is not a whole number of milliseconds");
    return static_cast<std::int64_t>(r);
}

std::int64_t parse_iso_duration(std::string_view text) {
    std::string_view s = text.substr(1);  // after 'P'
    bool in_time = false;
    bool any = false;
    double total = 0;
    while (!s.empty()) {
        if (s.front() == 'T') {
            if (in_time) throw parse_error("duration " + quoted(text) + " has two 'T'");
            in_time = true;
            s.remove_prefix(1);
            continue;
        }
        double v = 0;
        if (!take_number(s, v) || s.empty())
            throw parse_error("duration " + quoted(text) + " is not ISO 8601 (expected e.g. PT15M, P1D)");
        const char unit = s.front();
        s.remove_prefix(1);
        double scale = 0;
        if (!in_time) {
            if (unit == 'W') scale = ms_per_week;
            else if (unit == 'D') scale = ms_per_day;
            else if (unit == 'Y' || unit == 'M')
                throw parse_error("duration " + quoted(text) +
                                  ": months and years depend on the calendar and are not allowed here");
        } else {
            if (unit == 'H') scale = ms_per_hour;
            else if (unit == 'M') scale = ms_per_minute;
            else if (unit == 'S') scale = ms_per_second;
        }
        if (scale == 0) throw parse_error("duration " + quoted(text) + " has an unknown unit '" + std::string(1, unit) + "'");
        total += v * scale;
        any = true;
    }
    if (!any) throw parse_error("duration " + quoted(text) + " is empty");
    return to_whole_ms(total, text);
}

int parse_int(std::string_view s, std::string_view whole) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        throw parse_error("timestamp " + quoted(whole) + " is not ISO 8601");
    return v;
}

}  // namespace

std::int64_t parse_duration(std::string_view text) {
    std::string_view s = text;
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
    if (s.empty()) throw parse_error("empty duration");
    if (s.front() == 'P') return parse_iso_duration(s);
    double v = 0;
    std::string_view rest = s;
    if (!take_number(rest, v))
        throw parse_error("duration " + quoted(text) + " must be a number with a unit: ms, s, min, h, d, w (e.g. 15min)");
    double scale = 0;
    if (rest == "ms") scale = 1;
    else if (rest == "s") scale = ms_per_second;
    else if (rest == "min" || rest == "m") scale = ms_per_minute;
    else if (rest == "h") scale = ms_per_hour;
    else if (rest == "d") scale = ms_per_day;
    else if (rest == "w") scale = ms_per_week;
    else if (rest.empty())
        throw parse_error("duration " + quoted(text) + " has no unit: write e.g. " + std::string(s) + "ms or " +
                          std::string(s) + "s");
    else if (rest == "M" || rest == "mo" || rest == "y" || rest == "Y")
        throw parse_error("duration " + quoted(text) + ": months and years depend on the calendar and are not allowed here");
    else
        throw parse_error("duration " + quoted(text) + " has an unknown unit '" + std::string(rest) +
                          "' (use ms, s, min, h, d, w)");
    return to_whole_ms(v * scale, text);
}

std::string format_duration(std::int64_t ms) {
    struct unit { std::int64_t size; const char* name; };
    static constexpr unit units[] = {{ms_per_week, "w"},   {ms_per_day, "d"},      {ms_per_hour, "h"},
                                     {ms_per_minute, "min"}, {ms_per_second, "s"}};
    if (ms != 0)
        for (const auto& u : units)
            if (ms % u.size == 0) return std::to_string(ms / u.size) + u.name;
    return std::to_string(ms) + "ms";
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t parse_iso8601(std::string_view text, int default_offset_minutes) {
    const std::string_view s = text;
    auto bad = [&]() { return parse_error("timestamp " + quoted(text) + " is not ISO 8601 (e.g. 2015-01-01T12:00:00Z)"); };
    auto digits = [&](std::size_t pos, std::size_t n) {
        if (pos + n > s.size()) throw bad();
        for (std::size_t i = pos; i < pos + n; ++i)
            if (std::isdigit(static_cast<unsigned char>(s[i])) == 0) throw bad();
        return parse_int(s.substr(pos, n), text);
    };
    if (s.size() < 10 || s[4] != '-' || s[7] != '-') throw bad();
    const int y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2);
    if (mo < 1 || mo > 12 || d < 1 || d > 31) throw parse_error("timestamp " + quoted(text) + " has an invalid date");
    static constexpr int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        throw parse_error("timestamp " + quoted(text) + " has an invalid date");
    std::size_t pos = 10;
    int h = 0, mi = 0, sec = 0;
    std::int64_t frac_ms = 0;
    if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
        h = digits(pos + 1, 2);
        if (pos + 3 >= s.size() || s[pos + 3] != ':') throw bad();
        mi = digits(pos + 4, 2);
        pos += 6;
        if (pos < s.size() && s[pos] == ':') {
            sec = digits(pos + 1, 2);
            pos += 3;
            if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
                ++pos;
                std::size_t n = 0;
                std::int64_t scale = 100;
                while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])) != 0) {
                    if (n < 3) frac_ms += (s[pos] - '0') * scale;
                    scale /= 10;
                    ++n;
                    ++pos;
                }
                if (n == 0) throw bad();
            }
        }
        if (h > 24 || mi > 59 || sec > 60 || (h == 24 && (mi != 0 || sec != 0 || frac_ms != 0)))
            throw parse_error("timestamp " + quoted(text) + " has an invalid time of day");
    }
    int offset = default_offset_minutes;
    if (pos < s.size()) {
        if (s[pos] == 'Z' && pos + 1 == s.size()) {
            offset = 0;
        } else if (s[pos] == '+' || s[pos] == '-') {
            const int sign = s[pos] == '-' ? -1 : 1;
            const int oh = digits(pos + 1, 2);
            std::size_t p = pos + 3;
            if (p < s.size() && s[p] == ':') ++p;
            const int om = p < s.size() ? digits(p, 2) : 0;
            if (p < s.size() && p + 2 != s.size()) throw bad();
            offset = sign * (oh * 60 + om);
        } else {
            throw bad();
        }
    }
    const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    return days * ms_per_day + h * ms_per_hour + mi * ms_per_minute + sec * ms_per_second + frac_ms -
           static_cast<std::int64_t>(offset) * ms_per_minute;
}

civil_date civil_from_days(std::int64_t days) noexcept {
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

std::string format_iso8601(std::int64_t ms) {
    const std::int64_t days = floor_div(ms, ms_per_day);
    // ms % ms_per_day, made non-negative: days * ms_per_day would overflow near INT64_MIN.
    std::int64_t rem = ms % ms_per_day;
    if (rem < 0) rem += ms_per_day;
    const civil_date c = civil_from_days(days);
    const auto h = rem / ms_per_hour;
    rem %= ms_per_hour;
    const auto mi = rem / ms_per_minute;
    rem %= ms_per_minute;
    const auto sec = rem / ms_per_second;
    const auto frac = rem % ms_per_second;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(c.y), c.m, c.d,
                  static_cast<long long>(h), static_cast<long long>(mi), static_cast<long long>(sec),
                  static_cast<long long>(frac));
    return buf;
}

}  // namespace tsbatch
