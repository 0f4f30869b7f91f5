#include "ingest/posix_tz.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

#include "core/time.hpp"

namespace tsbatch::ingest {
namespace {

constexpr std::int64_t seconds_per_day = 86400;

// Reads digits at the front of `s` (at most `max_digits`) into `out`.
bool take_uint(std::string_view& s, int max_digits, int& out) {
    int n = 0;
    out = 0;
    while (n < max_digits && !s.empty() && std::isdigit(static_cast<unsigned char>(s.front())) != 0) {
        out = out * 10 + (s.front() - '0');
        s.remove_prefix(1);
        ++n;
    }
    return n > 0;
}

// [+-]hh[:mm[:ss]] as seconds; hours up to `max_hours` (24 for offsets, 167 for times).
bool take_hms(std::string_view& s, int max_hours, std::int32_t& out) {
    int sign = 1;
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        sign = s.front() == '-' ? -1 : 1;
        s.remove_prefix(1);
    }
    int h = 0, m = 0, sec = 0;
    if (!take_uint(s, 3, h) || h > max_hours) return false;
    if (!s.empty() && s.front() == ':') {
        s.remove_prefix(1);
        if (!take_uint(s, 2, m) || m > 59) return false;
        if (!s.empty() && s.front() == ':') {
            s.remove_prefix(1);
            if (!take_uint(s, 2, sec) || sec > 59) return false;
        }
    }
    out = sign * (h * 3600 + m * 60 + sec);
    return true;
}

// A zone abbreviation: three or more letters, or anything but '>' between '<' and '>'.
bool take_name(std::string_view& s) {
    if (!s.empty() && s.front() == '<') {
        const std::size_t close = s.find('>');
        if (close == std::string_view::npos || close < 2) return false;
        s.remove_prefix(close + 1);
        return true;
    }
    std::size_t n = 0;
    while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n])) != 0) ++n;
    if (n < 3) return false;
    s.remove_prefix(n);
    return true;
}

bool take_change(std::string_view& s, posix_tz_rule::change& c) {
    using kind = posix_tz_rule::change::kind;
    if (s.empty()) return false;
    if (s.front() == 'M') {
        s.remove_prefix(1);
        c.how = kind::month_week_day;
        if (!take_uint(s, 2, c.month) || c.month < 1 || c.month > 12 || s.empty() || s.front() != '.') return false;
        s.remove_prefix(1);
        if (!take_uint(s, 1, c.week) || c.week < 1 || c.week > 5 || s.empty() || s.front() != '.') return false;
        s.remove_prefix(1);
        if (!take_uint(s, 1, c.day) || c.day > 6) return false;
    } else if (s.front() == 'J') {
        s.remove_prefix(1);
        c.how = kind::julian_no_leap;
        if (!take_uint(s, 3, c.day) || c.day < 1 || c.day > 365) return false;
    } else {
        c.how = kind::julian_zero;
        if (!take_uint(s, 3, c.day) || c.day > 365) return false;
    }
    c.time = 7200;
    if (!s.empty() && s.front() == '/') {
        s.remove_prefix(1);
        if (!take_hms(s, 167, c.time)) return false;
    }
    return true;
}

bool is_leap(std::int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, int m) {
    static constexpr unsigned d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

// Days since 1970-01-01 of the change's date in year y.
std::int64_t change_day(const posix_tz_rule::change& c, std::int64_t y) {
    using kind = posix_tz_rule::change::kind;
    const std::int64_t jan1 = days_from_civil(y, 1, 1);
    switch (c.how) {
        case kind::julian_no_leap:
            return jan1 + c.day - 1 + (is_leap(y) && c.day >= 60 ? 1 : 0);
        case kind::julian_zero:
            return jan1 + c.day;
        case kind::month_week_day:
            break;
    }
    const std::int64_t first = days_from_civil(y, static_cast<unsigned>(c.month), 1);
    const auto first_weekday = static_cast<int>(((first % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
    std::int64_t day = 1 + (c.day - first_weekday + 7) % 7 + 7 * (c.week - 1);
    while (day > days_in_month(y, c.month)) day -= 7;
    return first + day - 1;
}

}  // namespace

offset_period posix_tz_rule::period_at(std::int64_t t) const {
    constexpr auto lo = std::numeric_limits<std::int64_t>::min();
    constexpr auto hi = std::numeric_limits<std::int64_t>::max();
    if (!has_dst) return {lo, hi, std_offset};
    struct edge {
        std::int64_t at;
        std::int32_t offset;
    };
    // Changes of the years around t, in UTC: start is given in standard time, end in daylight time.
    const std::int64_t y = civil_from_days(floor_div(t + std_offset, seconds_per_day)).y;
    std::array<edge, 6> edges{};
    for (int k = 0; k < 3; ++k) {
        const std::int64_t yy = y - 1 + k;
        edges[2 * k] = {change_day(start, yy) * seconds_per_day + start.time - std_offset, dst_offset};
        edges[2 * k + 1] = {change_day(end, yy) * seconds_per_day + end.time - dst_offset, std_offset};
    }
    std::stable_sort(edges.begin(), edges.end(), [](const edge& a, const edge& b) { return a.at < b.at; });
    offset_period p{lo, hi, std_offset};
    // Before the first edge of year y-1, the offset is the one the last edge of y-1 sets
    // again (a rule repeats every year).
    p.offset = edges.back().offset;
    for (const edge& e : edges) {
        if (e.at <= t) {
            p.begin = e.at;
            p.offset = e.offset;
        } else {
            p.end = e.at;
            break;
        }
    }
    return p;
}

std::optional<posix_tz_rule> parse_posix_tz(std::string_view s) {
    posix_tz_rule r;
    std::int32_t std_west = 0;
    if (!take_name(s) || !take_hms(s, 24, std_west)) return std::nullopt;
    r.std_offset = -std_west;
    if (s.empty()) return r;
    if (!take_name(s)) return std::nullopt;
    r.has_dst = true;
    r.dst_offset = r.std_offset + 3600;
    if (!s.empty() && s.front() != ',') {
        std::int32_t dst_west = 0;
        if (!take_hms(s, 24, dst_west)) return std::nullopt;
        r.dst_offset = -dst_west;
    }
    if (s.empty()) {
        // No rule: POSIX leaves it to the implementation; glibc uses the US rules.
        r.start = {posix_tz_rule::change::kind::month_week_day, 0, 3, 2, 7200};
        r.end = {posix_tz_rule::change::kind::month_week_day, 0, 11, 1, 7200};
        return r;
    }
    if (s.front() != ',') return std::nullopt;
    s.remove_prefix(1);
    if (!take_change(s, r.start) || s.empty() || s.front() != ',') return std::nullopt;
    s.remove_prefix(1);
    if (!take_change(s, r.end) || !s.empty()) return std::nullopt;
    return r;
}

}  // namespace tsbatch::ingest
