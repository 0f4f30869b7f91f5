#include "storage/opentsdb_rules.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "core/format.hpp"
#include "core/time.hpp"
#include "text/names.hpp"

namespace tsbatch::storage {

std::string_view describe(rule r) noexcept {
    switch (r) {
        case rule::metric_name: return "metric name OpenTSDB refuses";
        case rule::tag_key_name: return "tag key OpenTSDB refuses";
        case rule::tag_value_name: return "tag value OpenTSDB refuses";
        case rule::no_tags: return "no tags";
        case rule::too_many_tags: return "too many tags";
        case rule::time_too_early: return "time too early for OpenTSDB";
        case rule::time_too_late: return "time too late for OpenTSDB";
        case rule::seconds_collide: return "points in the same second";
        case rule::infinite_value: return "infinite value";
    }
    return "unknown rule";
}

std::string violation::to_string() const {
    std::string s = "series ";
    s += series_id;
    s += ": ";
    s += detail;
    return s;
}

std::int64_t opentsdb_timestamp(std::int64_t time_ms, time_encoding enc) noexcept {
    return enc.whole_seconds ? floor_div(time_ms, ms_per_second) : time_ms;
}

namespace {

constexpr double two_pow_63 = 9223372036854775808.0;

}  // namespace

std::size_t format_value(double v, char* out) noexcept {
    // Every double from 2^53 on is an integer, and below 2^63 it fits an int64: writing the
    // exact digits lets OpenTSDB store it exactly as an int64, where the shortest form
    // ("1e+16") would make `tsdb import` round it to a 32-bit float. std::to_chars' shortest
    // form would also write a million as "1e+06".
    if (std::fabs(v) < two_pow_63) {
        const auto i = static_cast<std::int64_t>(v);
        if (static_cast<double>(i) == v) {
            const auto r = std::to_chars(out, out + max_value_chars, i);
            return static_cast<std::size_t>(r.ptr - out);
        }
        const auto r = std::to_chars(out, out + max_value_chars, v);
        return static_cast<std::size_t>(r.ptr - out);
    }
    // From 2^63 on, the shortest form may be plain digits ("9223372036854776000") that
    // OpenTSDB would try to read as an int64 and refuse: force the exponent.
    const auto r = std::to_chars(out, out + max_value_chars, v, std::chars_format::scientific);
    return static_cast<std::size_t>(r.ptr - out);
}

// ---------------------------------------------------------------------------------------
// check_series

namespace {

/// `name` in single quotes for a report, control characters as \xNN so that a report line
/// stays one line.
std::string quoted(std::string_view name) {
    std::string s = "'";
    for (const char c : name) {
        const auto b = static_cast<unsigned char>(c);
        if (b < 0x20 || b == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", b);
            s += buf;
        } else {
            s += c;
        }
    }
    s += '\'';
    return s;
}

/// "2023-11-14T22:13:20.000Z (1700000000000 ms)"
std::string instant(std::int64_t ms) { return format_iso8601(ms) + " (" + std::to_string(ms) + " ms)"; }

/// Collects the names of one kind (metric, tag keys or tag values) OpenTSDB refuses, so that
/// a series with several is reported once, by its first bad name and a count.
class name_rule {
public:
    name_rule(rule r, std::string_view what) : rule_(r), what_(what) {}

    /// `context` says where the name is, e.g. " of tag 'site'" for a tag value.
    void check(std::string_view name, const std::string& context) {
        std::string why;
        if (text::classify_name(name, &why) == text::name_class::ok) return;
        if (bad_++ > 0) return;
        if (name.empty())
            first_ = what_ + context + " is empty";
        else
            first_ = what_ + " " + quoted(name) + context + " has a character OpenTSDB refuses: " + why;
    }

    void report(std::string_view id, std::vector<violation>& out) const {
        if (bad_ == 0) return;
        std::string detail = first_;
        if (bad_ > 1) detail += " (and " + plural(bad_ - 1, "more " + what_, "more " + what_ + "s") + ")";
        out.push_back({std::string(id), rule_, std::move(detail), 0});
    }

private:
    rule rule_;
    std::string what_;
    std::string first_;
    std::uint64_t bad_ = 0;
};

/// Counts the points that break one point rule and remembers the first.
struct point_rule {
    std::uint64_t count = 0;
    std::int64_t first_ms = 0;

    void hit(std::int64_t ms) noexcept {
        if (count++ == 0) first_ms = ms;
    }
};

void check_names(std::string_view id, std::string_view metric, std::string_view tags, const check_options& opt,
                 std::vector<violation>& out) {
    name_rule metric_rule(rule::metric_name, "metric");
    metric_rule.check(metric, "");
    metric_rule.report(id, out);

    const auto pairs = split_tags(tags);
    if (pairs.empty())
        out.push_back({std::string(id), rule::no_tags, "no tags: OpenTSDB needs at least one tag per series", 0});
    if (pairs.size() > opt.max_tags)
        out.push_back({std::string(id), rule::too_many_tags,
                       plural(pairs.size(), "tag", "tags") + ": OpenTSDB takes at most " + std::to_string(opt.max_tags) +
                           " (tsd.storage.max_tags)",
                       0});

    name_rule key_rule(rule::tag_key_name, "tag key");
    name_rule value_rule(rule::tag_value_name, "tag value");
    for (const auto& [key, value] : pairs) {
        key_rule.check(key, "");
        value_rule.check(value, " of key " + quoted(key));
    }
    key_rule.report(id, out);
    value_rule.report(id, out);
}

struct point_findings {
    point_rule early, late, collide, infinite;
    std::uint64_t early_in_seconds = 0;  ///< early points that whole-second timestamps can write
    std::uint64_t nan = 0;
    std::uint64_t finite = 0;
};

point_findings scan_points(series_view points, time_encoding enc) {
    const std::int64_t first_ms = enc.whole_seconds ? opentsdb_first_second * ms_per_second : opentsdb_first_ms;
    const std::int64_t last_ms = enc.whole_seconds ? opentsdb_last_second * ms_per_second + 999 : opentsdb_last_ms;
    point_findings f;
    bool have_previous = false;
    std::int64_t previous_second = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
        const double v = points.value[i];
        const std::int64_t t = points.time[i];
        // A NaN point is never written, so its time cannot break a rule.
        if (std::isnan(v)) {
            ++f.nan;
            continue;
        }
        if (std::isinf(v))
            f.infinite.hit(t);
        else
            ++f.finite;
        if (t < first_ms) {
            f.early.hit(t);
            if (t >= opentsdb_first_second * ms_per_second) ++f.early_in_seconds;
        }
        if (t > last_ms) f.late.hit(t);
        if (enc.whole_seconds) {
            const std::int64_t second = floor_div(t, ms_per_second);
            if (have_previous && second == previous_second) f.collide.hit(t);
            previous_second = second;
            have_previous = true;
        }
    }
    return f;
}

void report_points(std::string_view id, const point_findings& f, time_encoding enc, std::vector<violation>& out) {
    auto add = [&](rule r, const point_rule& p, const std::string& what) {
        if (p.count == 0) return;
        out.push_back({std::string(id), r, what + "; the first at " + instant(p.first_ms), p.count});
    };
    if (enc.whole_seconds) {
        add(rule::time_too_early, f.early,
            plural(f.early.count, "point", "points") +
                " before 1970-01-01T00:00:01.000Z, the earliest whole second OpenTSDB takes (it refuses 0 and "
                "negative timestamps)");
        add(rule::time_too_late, f.late,
            plural(f.late.count, "point", "points") +
                " after 2106-02-07T06:28:15.999Z: OpenTSDB reads a whole-second timestamp from 4294967296 on as ms");
        add(rule::seconds_collide, f.collide,
            plural(f.collide.count, "point falls", "points fall") +
                " in the same second as the point before, so whole-second timestamps would collide");
    } else {
        // --whole-seconds helps only the points from 1970-01-01T00:00:01Z on.
        std::string hint;
        if (f.early_in_seconds == f.early.count)
            hint = " (whole-second timestamps can write them)";
        else if (f.early_in_seconds > 0)
            hint = " (whole-second timestamps can write " + std::to_string(f.early_in_seconds) + " of them)";
        add(rule::time_too_early, f.early,
            plural(f.early.count, "point", "points") +
                " before 1970-02-19T17:02:47.296Z (4294967296 ms), the earliest time OpenTSDB reads as ms" + hint);
        add(rule::time_too_late, f.late,
            plural(f.late.count, "point", "points") +
                " after 2286-11-20T17:46:39.999Z (9999999999999 ms, OpenTSDB's 13-digit limit)");
    }
    add(rule::infinite_value, f.infinite,
        plural(f.infinite.count, "point is", "points are") + " infinite, which OpenTSDB refuses");
}

}  // namespace

series_check check_series(std::string_view id, std::string_view metric, std::string_view tags,
                          series_view points, const check_options& opt) {
    series_check c;
    check_names(id, metric, tags, opt, c.violations);
    const point_findings f = scan_points(points, opt.time);
    report_points(id, f, opt.time, c.violations);
    c.nan_points = f.nan;
    c.writable_points = c.ok() ? f.finite : 0;
    return c;
}

// ---------------------------------------------------------------------------------------
// metric_template

namespace {

constexpr std::string_view separators = "._-/";

bool is_separator(char c) noexcept { return separators.find(c) != std::string_view::npos; }

[[noreturn]] void bad_template(const std::string& text, const std::string& why) {
    throw usage_error("metric template \"" + text + "\": " + why +
                      " (fields: {metric}, {step}, {output}; write {{ or }} for a literal brace)");
}

}  // namespace

metric_template::metric_template(std::string text) : text_(std::move(text)) {
    if (text_.empty()) bad_template(text_, "it is empty");
    std::string literal;
    auto flush_literal = [&] {
        if (!literal.empty()) pieces_.push_back({field::none, std::move(literal)});
        literal.clear();
    };
    for (std::size_t i = 0; i < text_.size(); ++i) {
        const char c = text_[i];
        if (c == '}') {
            if (i + 1 < text_.size() && text_[i + 1] == '}') {
                literal += '}';
                ++i;
                continue;
            }
            bad_template(text_, "unbalanced '}' at character " + std::to_string(i + 1));
        }
        if (c != '{') {
            literal += c;
            continue;
        }
        if (i + 1 < text_.size() && text_[i + 1] == '{') {
            literal += '{';
            ++i;
            continue;
        }
        const auto close = text_.find('}', i + 1);
        const auto reopen = text_.find('{', i + 1);
        if (close == std::string::npos || reopen < close)
            bad_template(text_, "unbalanced '{' at character " + std::to_string(i + 1));
        const std::string_view name = std::string_view(text_).substr(i + 1, close - i - 1);
        field f = field::none;
        if (name == "metric")
            f = field::metric;
        else if (name == "step")
            f = field::step;
        else if (name == "output")
            f = field::output;
        else
            bad_template(text_, "unknown field {" + std::string(name) + "}");
        flush_literal();
        pieces_.push_back({f, {}});
        i = close;
    }
    flush_literal();
}

std::string metric_template::apply(std::string_view metric, std::string_view step, std::string_view output) const {
    std::string out;
    // The separator that ends `out`, when it came from the template text and may be dropped.
    bool ends_in_template_separator = false;
    // An empty field started the name: drop a separator that directly follows.
    bool drop_leading_separator = false;
    for (const piece& p : pieces_) {
        if (p.f == field::none) {
            std::string_view lit = p.literal;
            if (drop_leading_separator && is_separator(lit.front())) lit.remove_prefix(1);
            drop_leading_separator = false;
            out += lit;
            ends_in_template_separator = !lit.empty() && is_separator(lit.back());
            continue;
        }
        const std::string_view value = p.f == field::metric ? metric : p.f == field::step ? step : output;
        if (value.empty()) {
            if (ends_in_template_separator)
                out.pop_back();
            else if (out.empty())
                drop_leading_separator = true;
            ends_in_template_separator = false;
            continue;
        }
        out += value;
        ends_in_template_separator = false;
        drop_leading_separator = false;
    }
    return out;
}

}  // namespace tsbatch::storage
