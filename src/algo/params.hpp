#pragma once
// Operator parameters: a schema per parameter (what `tsbatch catalogue` prints and what the
// config validator checks before any data is read) and the typed values a step receives.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/enum_names.hpp"
#include "core/error.hpp"

namespace tsbatch {

enum class param_type {
    integer,  ///< int64
    number,   ///< double
    boolean,
    duration,  ///< int64 milliseconds; written `15min`, `PT15M`, ...
    choice,    ///< one string of `choices`
    string,
    timestamp,  ///< int64 ms since the epoch; written ISO 8601 (no zone = UTC) or as plain epoch ms
};
inline constexpr std::array param_type_names{"integer", "number", "boolean",  "duration",
                                             "choice",  "string", "timestamp"};

inline const char* to_string(param_type t) noexcept {
    return enum_name(t, param_type_names);
}

using param_value = std::variant<bool, std::int64_t, double, std::string>;

struct param_spec {
    std::string name;
    param_type type = param_type::number;
    std::string summary;
    std::optional<param_value> default_value;  ///< absent: required, or derived (see default_text)
    std::string default_text;                  ///< how the default reads, e.g. "2*period"; "" = required
    std::optional<double> min;                 ///< inclusive bounds, for integer, number, duration, timestamp
    std::optional<double> max;
    bool min_exclusive = false;        ///< min is exclusive (e.g. a period > 0)
    std::vector<std::string> choices;  ///< for choice
    std::string unit;

    bool required() const noexcept { return !default_value && default_text.empty(); }
};

/// Converts the text of a scalar (as written in YAML or --set) to a value of the spec's type
/// and checks its range and choices. Throws param_error.
param_value parse_param(const param_spec& spec, std::string_view text);

/// Checks a value already of the spec's type against its range and choices (what
/// parse_param checks after converting text). Throws param_error.
void check_param_value(const param_spec& spec, const param_value& v);

/// Renders a value as it would be written in a config (durations as `15min`, timestamps as
/// `2015-01-01T00:00:00.000Z`, or as epoch ms where ISO 8601 cannot say it: years past 9999).
std::string format_param(const param_spec& spec, const param_value& v);

/// A timestamp parameter's text: ISO 8601 UTC with ms for years 0000-9999, epoch ms otherwise
/// (it always parses back to the same value).
std::string format_timestamp_param(std::int64_t ms);

/// The parameters of one step after validation: every parameter with a default is present.
class param_values {
public:
    void set(const std::string& name, param_value v) { values_[name] = std::move(v); }
    bool has(const std::string& name) const { return values_.count(name) != 0; }

    std::int64_t integer(const std::string& name) const { return get<std::int64_t>(name); }
    std::int64_t duration(const std::string& name) const { return get<std::int64_t>(name); }
    std::int64_t timestamp(const std::string& name) const { return get<std::int64_t>(name); }
    double number(const std::string& name) const { return get<double>(name); }
    bool boolean(const std::string& name) const { return get<bool>(name); }
    const std::string& text(const std::string& name) const { return get<std::string>(name); }

    const std::map<std::string, param_value>& all() const noexcept { return values_; }

private:
    template <class T>
    const T& get(const std::string& name) const {
        auto it = values_.find(name);
        if (it == values_.end()) throw std::out_of_range("parameter '" + name + "' was not set");
        return std::get<T>(it->second);
    }
    std::map<std::string, param_value> values_;
};

}  // namespace tsbatch
