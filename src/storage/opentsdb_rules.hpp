#pragma once
// OpenTSDB's rules for what it stores (DESIGN §8, reference/opentsdb.md 1.4), checked before
// anything is written or sent: names, the number of tags, timestamps and values. A series that
// breaks a rule is reported with the series id and the rule; nothing of it is exported.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/series.hpp"
#include "core/tags.hpp"

namespace tsbatch::storage {

/// The rules of OpenTSDB 2.x a series can break.
enum class rule {
    metric_name,      ///< metric empty or with a character OpenTSDB refuses
    tag_key_name,     ///< a tag key empty or with a refused character
    tag_value_name,   ///< a tag value empty or with a refused character
    no_tags,          ///< OpenTSDB needs at least one tag
    too_many_tags,    ///< more than max_tags (tsd.storage.max_tags, default 8)
    time_too_early,   ///< before 4294967296 ms (1970-02-19T17:02:47.296Z) without whole seconds,
                      ///< or before 1 s with whole seconds (OpenTSDB refuses <= 0)
    time_too_late,    ///< after 9999999999999 ms (OpenTSDB's 13-digit limit), or with whole
                      ///< seconds after 4294967295 s (2106-02-07T06:28:15Z), from which on
                      ///< OpenTSDB would read the number as ms
    seconds_collide,  ///< whole seconds: two points of the series fall in the same second
    infinite_value,   ///< +-Inf (NaN points are skipped and counted, not a violation)
};

/// A short phrase for reports, e.g. "too many tags".
std::string_view describe(rule r) noexcept;

/// OpenTSDB's timestamp limits (reference/opentsdb.md 1.4): a number below 2^32 is seconds,
/// one from 2^32 to 13 digits is ms; zero and negative numbers are refused.
constexpr std::int64_t opentsdb_first_ms = 4294967296;        ///< 1970-02-19T17:02:47.296Z
constexpr std::int64_t opentsdb_last_ms = 9999999999999;      ///< 2286-11-20T17:46:39.999Z
constexpr std::int64_t opentsdb_first_second = 1;
constexpr std::int64_t opentsdb_last_second = 4294967295;     ///< 2106-02-07T06:28:15Z

/// How timestamps are written.
struct time_encoding {
    /// false: integer ms, which OpenTSDB reads as ms only from 4294967296 on.
    /// true: whole seconds (ms floored), for data before 1970-02-19; loses the ms.
    bool whole_seconds = false;
};

/// One broken rule of one series: `points` counts the points concerned (0 for name rules),
/// `detail` says what exactly (the bad character, the first bad timestamp in ISO 8601, ...).
struct violation {
    std::string series_id;
    rule broken;
    std::string detail;
    std::uint64_t points = 0;

    /// "series gw.level{site=BH 01}: tag value 'BH 01' of key 'site' has a character OpenTSDB
    /// refuses: ' ' (U+0020) at byte 3".
    std::string to_string() const;
};

struct check_options {
    time_encoding time;
    std::size_t max_tags = 8;
};

/// What checking one series found.
struct series_check {
    std::vector<violation> violations;
    std::uint64_t nan_points = 0;       ///< skipped when written
    std::uint64_t writable_points = 0;  ///< points that will be written (0 when violated)
    bool ok() const noexcept { return violations.empty(); }
};


/// Checks one series as it will be written: `metric` after the naming template, `tags`
/// canonical, `points` strictly increasing in time. `id` names the series in reports.
/// NaN points are skipped when written, so they are only counted: no rule applies to them.
/// Each broken rule is reported once per series, with the number of points (or names)
/// concerned and the first of them.
series_check check_series(std::string_view id, std::string_view metric, std::string_view tags,
                          series_view points, const check_options& opt);

/// The integer OpenTSDB gets for `time_ms`: ms, or floor(ms / 1000) with whole seconds.
std::int64_t opentsdb_timestamp(std::int64_t time_ms, time_encoding enc) noexcept;

/// The most characters format_value writes ("-2.2250738585072014e-308" is 24).
constexpr std::size_t max_value_chars = 32;

/// Writes decimal text that reads back as exactly `v` into `out` and returns its length
/// (<= max_value_chars): an integer below 2^63 in magnitude (every double from 2^53 on is
/// one) as its exact digits without exponent, so OpenTSDB stores it exactly as an int64
/// ("42", "-3", "1000000", -0 as "0"); any other value in the shortest form that reads back
/// exactly (std::to_chars: "0.1", "1e-07"), with an exponent from 2^63 on so that OpenTSDB
/// never takes it for an int64 it cannot hold ("1e+19"). So the text has a '.' or an 'e'
/// exactly when OpenTSDB must store a float. Callers skip NaN and Inf, which OpenTSDB
/// refuses; given one anyway it writes "nan", "inf" or "-inf" rather than fail.
std::size_t format_value(double v, char* out) noexcept;

/// The metric name for an exported series, from a template with the fields {metric}, {step}
/// and {output} ("" when the collection is not a step output, DESIGN §5); "{{" and "}}" write
/// a literal brace. Throws usage_error naming the template for an unknown field, an
/// unbalanced brace or an empty template.
///
/// So that "{metric}.{step}" gives "gw.level" rather than "gw.level." for a collection that
/// is no step output, a separator (. _ - /) of the template text directly before a field
/// that is empty is dropped; when nothing precedes the empty field, the separator directly
/// after it is dropped instead ("{step}_{metric}" -> "gw.level"). Characters of the field
/// values themselves are never dropped.
class metric_template {
public:
    explicit metric_template(std::string text);
    std::string apply(std::string_view metric, std::string_view step, std::string_view output) const;
    const std::string& text() const noexcept { return text_; }

private:
    enum class field { none, metric, step, output };
    /// A run of literal text (field::none) or one field.
    struct piece {
        field f = field::none;
        std::string literal;
    };
    std::string text_;
    std::vector<piece> pieces_;
};

}  // namespace tsbatch::storage
