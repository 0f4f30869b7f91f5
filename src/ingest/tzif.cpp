#include "ingest/tzif.hpp"

#include <algorithm>
#include <limits>

namespace tsbatch::ingest {
namespace {

// Big-endian reader over the file's bytes; any read past the end sets ok = false.
struct cursor {
    std::string_view s;
    bool ok = true;

    std::string_view take(std::size_t n) {
        if (!ok || s.size() < n) {
            ok = false;
            return {};
        }
        const std::string_view out = s.substr(0, n);
        s.remove_prefix(n);
        return out;
    }
    std::int64_t be(std::size_t n) {
        const std::string_view b = take(n);
        if (!ok) return 0;
        std::uint64_t v = 0;
        for (char c : b) v = (v << 8U) | static_cast<unsigned char>(c);
        if (n < 8 && (v >> (8 * n - 1)) != 0) v |= ~std::uint64_t{0} << (8 * n);  // sign-extend
        return static_cast<std::int64_t>(v);
    }
};

struct header {
    char version = 0;
    std::int64_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

bool read_header(cursor& c, header& h) {
    if (c.take(4) != "TZif") return false;
    const std::string_view v = c.take(1);
    h.version = v.empty() ? 0 : v[0];
    c.take(15);
    h.isutcnt = c.be(4);
    h.isstdcnt = c.be(4);
    h.leapcnt = c.be(4);
    h.timecnt = c.be(4);
    h.typecnt = c.be(4);
    h.charcnt = c.be(4);
    constexpr std::int64_t limit = 1 << 20;
    for (std::int64_t n : {h.isutcnt, h.isstdcnt, h.leapcnt, h.timecnt, h.typecnt, h.charcnt})
        if (n < 0 || n > limit) return false;
    return c.ok;
}

constexpr std::int32_t max_abs_offset = 26 * 3600;

// Reads one data block whose times take `time_size` bytes.
bool read_block(cursor& c, const header& h, std::size_t time_size, zone_rules& z, std::string& error) {
    if (h.typecnt < 1) {
        error = "no local time types";
        return false;
    }
    if (h.leapcnt != 0) {
        error = "it counts leap seconds (a right/ zone); use the zone of the same name without right/";
        return false;
    }
    std::vector<std::int64_t> times(static_cast<std::size_t>(h.timecnt));
    for (auto& t : times) t = c.be(time_size);
    std::vector<std::size_t> type_of(times.size());
    for (auto& i : type_of) i = static_cast<std::size_t>(c.be(1) & 0xFF);
    std::vector<std::int32_t> utoff(static_cast<std::size_t>(h.typecnt));
    for (auto& u : utoff) {
        const std::int64_t off = c.be(4);
        c.take(2);  // isdst, desigidx: not needed to convert times
        if (off <= -max_abs_offset || off >= max_abs_offset) {
            error = "a UTC offset is out of range";
            return false;
        }
        u = static_cast<std::int32_t>(off);
    }
    c.take(static_cast<std::size_t>(h.charcnt + h.isstdcnt + h.isutcnt));
    if (!c.ok) {
        error = "the file is truncated";
        return false;
    }
    for (std::size_t i = 0; i < times.size(); ++i) {
        if (type_of[i] >= utoff.size() || (i > 0 && times[i] <= times[i - 1])) {
            error = "inconsistent transition table";
            return false;
        }
    }
    z.transitions = std::move(times);
    z.offsets.clear();
    for (std::size_t i : type_of) z.offsets.push_back(utoff[i]);
    z.initial_offset = utoff[0];  // RFC 8536: type 0 applies before the first transition
    return true;
}

}  // namespace

offset_period zone_rules::period_at(std::int64_t t) const {
    constexpr auto lo = std::numeric_limits<std::int64_t>::min();
    constexpr auto hi = std::numeric_limits<std::int64_t>::max();
    if (transitions.empty()) return tail ? tail->period_at(t) : offset_period{lo, hi, initial_offset};
    const auto it = std::upper_bound(transitions.begin(), transitions.end(), t);
    if (it == transitions.begin()) return {lo, transitions.front(), initial_offset};
    const auto i = static_cast<std::size_t>(it - transitions.begin()) - 1;
    if (it != transitions.end()) return {transitions[i], *it, offsets[i]};
    if (!tail) return {transitions.back(), hi, offsets.back()};
    offset_period p = tail->period_at(t);
    p.begin = std::max(p.begin, transitions.back());
    return p;
}

std::optional<zone_rules> parse_tzif(std::string_view bytes, std::string& error) {
    cursor c{bytes};
    header h;
    if (!read_header(c, h)) {
        error = "not a TZif file";
        return std::nullopt;
    }
    zone_rules z;
    if (h.version < '2') {
        if (!read_block(c, h, 4, z, error)) return std::nullopt;
        return z;
    }
    // Version 2+: skip the 32-bit block, read the 64-bit one and the footer's POSIX TZ rule.
    c.take(
        static_cast<std::size_t>(h.timecnt * 5 + h.typecnt * 6 + h.charcnt + h.leapcnt * 8 + h.isstdcnt + h.isutcnt));
    if (!c.ok || !read_header(c, h)) {
        error = "the file is truncated";
        return std::nullopt;
    }
    if (!read_block(c, h, 8, z, error)) return std::nullopt;
    if (c.s.size() < 2 || c.s.front() != '\n') {
        error = "the footer is missing";
        return std::nullopt;
    }
    const std::size_t end = c.s.find('\n', 1);
    if (end == std::string_view::npos) {
        error = "the footer is truncated";
        return std::nullopt;
    }
    const std::string_view footer = c.s.substr(1, end - 1);
    if (!footer.empty()) {
        z.tail = parse_posix_tz(footer);
        if (!z.tail) {
            error = "unsupported rule '" + std::string(footer) + "' in the footer";
            return std::nullopt;
        }
    }
    return z;
}

}  // namespace tsbatch::ingest
