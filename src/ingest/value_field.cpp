#include "ingest/value_field.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace tsbatch::ingest {

bool read_double(std::string_view text, double& value) {
    if (text.size() > 1 && text.front() == '+' && text[1] != '-' && text[1] != '+') text.remove_prefix(1);
    if (text.empty()) return false;
    const char* end = text.data() + text.size();
    const auto [p, ec] = std::from_chars(text.data(), end, value);
    if (p != end) return false;
    if (ec == std::errc::result_out_of_range) {
        // from_chars leaves the value alone on overflow and underflow; strtod (rare path)
        // gives ±HUGE_VAL or the nearest subnormal or 0.
        const std::string copy(text);
        value = std::strtod(copy.c_str(), nullptr);
        return true;
    }
    return ec == std::errc();
}

value_parser::value_parser(bool decimal_comma, const std::vector<std::string>& nan_markers)
    : decimal_comma_(decimal_comma), text_markers_{"", "NaN", "NA", "nan", "null"} {
    for (const std::string& m : nan_markers) {
        double v = 0;
        if (parse_number(m, v) == nullptr && !std::isnan(v))
            number_markers_.push_back(v);
        else
            text_markers_.push_back(m);
    }
}

bool value_parser::is_text_marker(std::string_view text) const {
    for (const std::string& m : text_markers_)
        if (text == m) return true;
    return false;
}

const char* value_parser::parse_number(std::string_view text, double& value) const {
    constexpr const char* not_number = "not a number";
    if (!decimal_comma_ || text.find(',') == std::string_view::npos)
        return read_double(text, value) ? nullptr : not_number;
    // Decimal comma: copy with ',' -> '.' into a small buffer (numbers are short).
    if (text.find('.') != std::string_view::npos) return "number has both ',' and '.' (a thousands separator?)";
    char buf[128];
    if (text.size() > sizeof buf) return "number too long";
    for (std::size_t i = 0; i < text.size(); ++i) buf[i] = text[i] == ',' ? '.' : text[i];
    return read_double({buf, text.size()}, value) ? nullptr : not_number;
}

const char* value_parser::parse(std::string_view text, double& value) const {
    const char* error = parse_number(text, value);
    if (error != nullptr) {
        if (!is_text_marker(text)) return error;
        value = std::numeric_limits<double>::quiet_NaN();
        return nullptr;
    }
    for (double m : number_markers_)
        if (value == m) value = std::numeric_limits<double>::quiet_NaN();
    return std::isinf(value) ? "value is infinite" : nullptr;
}

}  // namespace tsbatch::ingest
