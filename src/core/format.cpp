#include "core/format.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace tsbatch {

std::string format_human_count(double v) {
    if (!(v > 0)) v = 0;  // also catches NaN
    char buf[32];
    if (v < 999.5) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return buf;
    }
    static constexpr std::array<char, 6> units{'k', 'M', 'G', 'T', 'P', 'E'};
    std::size_t u = 0;
    double scaled = v / 1e3;
    // Move up a unit when rounding to one decimal would print "1000.0k".
    while (scaled >= 999.95 && u + 1 < units.size()) {
        scaled /= 1e3;
        ++u;
    }
    std::snprintf(buf, sizeof buf, "%.1f%c", scaled, units[u]);
    return buf;
}

std::string format_hms(std::int64_t seconds) {
    seconds = std::max<std::int64_t>(seconds, 0);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
    return buf;
}

std::string format_grouped_count(std::uint64_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string plural(std::uint64_t n, std::string_view one, std::string_view many, bool grouped) {
    std::string s = grouped ? format_grouped_count(n) : std::to_string(n);
    s += ' ';
    s += n == 1 ? one : many;
    return s;
}

}  // namespace tsbatch
