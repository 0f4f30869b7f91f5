#include "algo/params.hpp"

#include <charconv>
#include <cmath>
#include <sstream>

#include "core/time.hpp"

namespace tsbatch {

namespace {

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

std::string number_text(double v) {
    std::ostringstream os;
    os.precision(17);
    os << v;
    return os.str();
}

// A bound as the user would write it.
std::string bound_text(const param_spec& spec, double bound) {
    const auto ms = static_cast<std::int64_t>(bound);
    if (spec.type == param_type::duration) return format_duration(ms);
    if (spec.type == param_type::timestamp) return format_timestamp_param(ms);
    return number_text(bound);
}

void check_range(const param_spec& spec, double v, const std::string& shown) {
    if (spec.min) {
        const bool below = spec.min_exclusive ? v <= *spec.min : v < *spec.min;
        if (below)
            throw param_error(spec.name, "must be " + std::string(spec.min_exclusive ? "> " : ">= ") +
                                             bound_text(spec, *spec.min) + ", got " + shown);
    }
    if (spec.max && v > *spec.max)
        throw param_error(spec.name, "must be <= " + bound_text(spec, *spec.max) + ", got " + shown);
}

bool parse_whole_int64(const std::string& text, std::int64_t& out) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && p == text.data() + text.size() && !text.empty();
}

std::string choice_list_text(const param_spec& spec) {
    std::string list;
    for (const auto& c : spec.choices) list += (list.empty() ? "" : ", ") + c;
    return list;
}

}  // namespace

std::string format_timestamp_param(std::int64_t ms) {
    // Years 0000-9999 only: parse_iso8601 reads four-digit years, and format_iso8601 must
    // not see values near the int64 limits (its day arithmetic would overflow).
    constexpr std::int64_t first_ms = -62'167'219'200'000;  // 0000-01-01T00:00:00Z
    constexpr std::int64_t end_ms = 253'402'300'800'000;    // 10000-01-01T00:00:00Z
    if (ms >= first_ms && ms < end_ms) {
        std::string iso = format_iso8601(ms);
        try {
            if (parse_iso8601(iso) == ms) return iso;
        } catch (const parse_error&) {
        }
    }
    return std::to_string(ms);
}

void check_param_value(const param_spec& spec, const param_value& v) {
    // Numbers read as they are written in a config; texts are quoted (as parse_param does).
    const std::string shown = format_param(spec, v);
    if (const auto* i = std::get_if<std::int64_t>(&v)) check_range(spec, static_cast<double>(*i), shown);
    if (const auto* d = std::get_if<double>(&v)) check_range(spec, *d, shown);
    if (spec.type == param_type::choice) {
        const auto* text = std::get_if<std::string>(&v);
        if (text == nullptr) return;  // the caller reports the wrong type
        for (const auto& c : spec.choices)
            if (c == *text) return;
        throw param_error(spec.name, "must be one of {" + choice_list_text(spec) + "}, got '" + *text + "'");
    }
}

param_value parse_param(const param_spec& spec, std::string_view raw) {
    const std::string text = trim(raw);
    const std::string shown = "'" + text + "'";
    switch (spec.type) {
        case param_type::integer: {
            std::int64_t v = 0;
            if (!parse_whole_int64(text, v)) throw param_error(spec.name, "expected an integer, got " + shown);
            check_range(spec, static_cast<double>(v), shown);
            return v;
        }
        case param_type::number: {
            char* end = nullptr;
            const double v = std::strtod(text.c_str(), &end);
            if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
                throw param_error(spec.name, "expected a finite number, got " + shown);
            check_range(spec, v, shown);
            return v;
        }
        case param_type::boolean:
            if (text == "true" || text == "True" || text == "yes" || text == "on") return true;
            if (text == "false" || text == "False" || text == "no" || text == "off") return false;
            throw param_error(spec.name, "expected true or false, got " + shown);
        case param_type::duration: {
            std::int64_t v = 0;
            try {
                v = parse_duration(text);
            } catch (const parse_error& e) {
                throw param_error(spec.name, e.what());
            }
            check_range(spec, static_cast<double>(v), shown);
            return v;
        }
        case param_type::choice: {
            for (const auto& c : spec.choices)
                if (c == text) return text;
            throw param_error(spec.name, "must be one of {" + choice_list_text(spec) + "}, got " + shown);
        }
        case param_type::string:
            return text;
        case param_type::timestamp: {
            // Plain integers are epoch ms (as input.select.time); anything else is ISO 8601,
            // UTC when it has no zone, so a config means the same on every machine.
            std::int64_t v = 0;
            if (!parse_whole_int64(text, v)) {
                try {
                    v = parse_iso8601(text);
                } catch (const parse_error& e) {
                    throw param_error(spec.name, std::string(e.what()) + " (nor an integer of epoch milliseconds)");
                }
            }
            check_range(spec, static_cast<double>(v), shown);
            return v;
        }
    }
    throw param_error(spec.name, "unsupported parameter type");
}

std::string format_param(const param_spec& spec, const param_value& v) {
    return std::visit(
        [&](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, bool>)
                return x ? "true" : "false";
            else if constexpr (std::is_same_v<T, std::int64_t>) {
                if (spec.type == param_type::duration) return format_duration(x);
                if (spec.type == param_type::timestamp) return format_timestamp_param(x);
                return std::to_string(x);
            } else if constexpr (std::is_same_v<T, double>)
                return number_text(x);
            else
                return x;
        },
        v);
}

}  // namespace tsbatch
