#include "ingest/opentsdb_json.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "ingest/key_builder.hpp"
#include "ingest/opentsdb_text.hpp"
#include "ingest/series_lookup.hpp"
#include "ingest/value_field.hpp"

namespace tsbatch::ingest {
namespace {

using text::json_token;

struct position {
    std::uint64_t line = 0;
    std::uint64_t column = 0;
};

struct located_text {
    std::string text;
    position at;
};

// One series object being read.
struct series_object {
    position start;
    bool has_metric = false;
    bool metric_rejected = false;  // already reported
    bool has_tags = false;
    located_text metric;
    std::vector<std::pair<located_text, located_text>> tags;
    bool key_done = false;
    std::size_t handle = no_series;
    std::vector<std::int64_t> held_time;  // points read before the key was known
    std::vector<double> held_value;
};

class json_series_reader {
public:
    json_series_reader(text::byte_source& source, const opentsdb_json_options& o, record_sink& sink, parse_context& ctx)
        : json_(source, o.limits), sink_(sink), ctx_(ctx) {}

    void read() {
        for (json_token t = json_.next(); t != json_token::end_of_input; t = json_.next()) {
            if (t == json_token::begin_array)
                read_array();
            else if (t == json_token::begin_object)
                read_series();
            else
                json_.fail("expected an array of series objects ([{\"metric\": ..., \"dps\": ...}])");
        }
    }

private:
    position here() const { return {json_.line(), json_.column()}; }

    void report(position at, std::string message, std::string_view text = {}) {
        ctx_.report(diagnostic_kind::malformed, {json_.name(), at.line, at.column}, std::move(message), text);
    }

    // Reports the value that starts with token `t` as unexpected and skips it.
    void reject(json_token t, const std::string& message) {
        report(here(), message, t == json_token::string || t == json_token::number ? json_.text() : std::string_view());
        json_.skip(t);
    }

    void read_array() {
        for (json_token t = json_.next(); t != json_token::end_array; t = json_.next()) {
            if (t == json_token::begin_object)
                read_series();
            else
                reject(t, "array element is not a series object");
        }
    }

    void read_series() {
        series_object s;
        s.start = here();
        for (json_token t = json_.next(); t != json_token::end_object; t = json_.next()) {
            const std::string member(json_.text());
            const position member_at = here();
            const json_token v = json_.next();
            if (member == "metric")
                read_metric(s, v);
            else if (member == "tags")
                read_tags(s, v);
            else if (member == "dps")
                read_dps(s, v);
            else if (member == "error" && v == json_token::begin_object)
                read_error_response(member_at);
            else
                json_.skip(v);  // aggregateTags, annotations, query, tsuids, stats...
        }
        finish(s);
    }

    void read_metric(series_object& s, json_token v) {
        if (s.key_done) return reject(v, "\"metric\" after the points of its series; ignored");
        if (v != json_token::string) {
            s.metric_rejected = true;
            return reject(v, "\"metric\" must be a string");
        }
        s.metric = {std::string(json_.text()), here()};
        s.has_metric = true;
    }

    void read_tags(series_object& s, json_token v) {
        if (s.key_done) return reject(v, "\"tags\" after the points of its series; ignored");
        if (v != json_token::begin_object) return reject(v, "\"tags\" must be an object of strings");
        s.has_tags = true;
        for (json_token t = json_.next(); t != json_token::end_object; t = json_.next()) {
            located_text key{std::string(json_.text()), here()};
            const json_token tv = json_.next();
            if (tv != json_token::string) {
                reject(tv, "tag '" + printable_excerpt(key.text) + "' must have a string value");
                continue;
            }
            s.tags.emplace_back(std::move(key), located_text{std::string(json_.text()), here()});
        }
    }

    [[noreturn]] void read_error_response(position at) {
        std::string message = "(no message)";
        for (json_token t = json_.next(); t != json_token::end_object; t = json_.next()) {
            const bool is_message = json_.text() == "message";
            const json_token v = json_.next();
            if (is_message && v == json_token::string) message = json_.text();
            json_.skip(v);
        }
        throw input_error(json_.name() + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                          ": the input is an OpenTSDB error response: " + printable_excerpt(message, 400));
    }

    // Builds the series key once metric and tags are known; false while they are not.
    bool key_ready(series_object& s) {
        if (s.key_done) return true;
        if (!s.has_metric || !s.has_tags) return false;
        s.key_done = true;
        builder_.reset(s.metric.text, s.metric.at.column, s.metric.at.line);
        for (const auto& [k, v] : s.tags) builder_.add_tag(k.text, k.at.column, v.text, v.at.column, v.at.line);
        series_key key;
        if (builder_.build(ctx_, json_.name(), s.start.line, key)) s.handle = sink_.series(key);
        return true;
    }

    void add_point(series_object& s, std::int64_t t, double v) {
        if (!key_ready(s)) {
            s.held_time.push_back(t);
            s.held_value.push_back(v);
        } else if (s.handle != no_series) {
            sink_.point(s.handle, t, v);
        }
    }

    void finish(series_object& s) {
        if (!s.has_metric) {
            const std::size_t n = s.held_time.size();
            if ((n > 0 || s.has_tags) && !s.metric_rejected)
                report(s.start, "series object has no \"metric\"" +
                                    (n > 0 ? "; its " + std::to_string(n) + " points are skipped" : std::string()));
            return;
        }
        s.has_tags = true;  // a series without "tags" has none
        key_ready(s);
        if (s.handle == no_series) return;
        for (std::size_t i = 0; i < s.held_time.size(); ++i) sink_.point(s.handle, s.held_time[i], s.held_value[i]);
    }

    // A value token: number, null or NaN. Returns false after reporting anything else.
    bool read_value(json_token v, double& out) {
        if (v == json_token::null_value || v == json_token::nan_value) {
            out = std::numeric_limits<double>::quiet_NaN();
            return true;
        }
        if (v != json_token::number) {
            reject(v, "point value must be a number, null or NaN");
            return false;
        }
        if (!read_double(json_.text(), out) || std::isinf(out)) {
            report(here(), "point value is out of range", json_.text());
            return false;
        }
        return true;
    }

    void read_dps(series_object& s, json_token v) {
        if (v == json_token::begin_object) return read_dps_object(s);
        if (v == json_token::begin_array) return read_dps_array(s);
        reject(v, "\"dps\" must be an object {\"timestamp\": value} or an array of [timestamp, value]");
    }

    void read_dps_object(series_object& s) {
        for (json_token t = json_.next(); t != json_token::end_object; t = json_.next()) {
            const position at = here();
            std::int64_t time = 0;
            const char* e = parse_opentsdb_timestamp(json_.text(), time);
            if (e != nullptr) report(at, e, json_.text());
            double value = 0;
            const json_token vt = json_.next();
            if (read_value(vt, value) && e == nullptr) add_point(s, time, value);
        }
    }

    void read_dps_array(series_object& s) {
        for (json_token t = json_.next(); t != json_token::end_array; t = json_.next()) {
            if (t != json_token::begin_array) {
                reject(t, "each point of \"dps\" must be an array [timestamp, value]");
                continue;
            }
            read_pair(s);
        }
    }

    // After the '[' of one [timestamp, value] pair.
    void read_pair(series_object& s) {
        const position start = here();
        json_token t = json_.next();
        if (t == json_token::end_array) return report(start, "empty point []");
        std::int64_t time = 0;
        bool ok = true;
        if (t != json_token::number) {
            reject(t, "point timestamp must be a number");
            ok = false;
        } else if (const char* e = parse_opentsdb_timestamp(json_.text(), time)) {
            report(here(), e, json_.text());
            ok = false;
        }
        t = json_.next();
        if (t == json_token::end_array) return report(start, "point has no value");
        double value = 0;
        ok = read_value(t, value) && ok;
        t = json_.next();
        if (t != json_token::end_array) {
            report(here(), "a point has two elements, [timestamp, value]");
            for (; t != json_token::end_array; t = json_.next()) json_.skip(t);
            return;
        }
        if (ok) add_point(s, time, value);
    }

    text::json_reader json_;
    record_sink& sink_;
    parse_context& ctx_;
    key_builder builder_;
};

}  // namespace

void read_opentsdb_json(text::byte_source& source, const opentsdb_json_options& options, record_sink& sink,
                        parse_context& ctx) {
    json_series_reader(source, options, sink, ctx).read();
}

}  // namespace tsbatch::ingest
