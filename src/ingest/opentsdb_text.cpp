#include "ingest/opentsdb_text.hpp"

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "ingest/key_builder.hpp"
#include "ingest/series_lookup.hpp"
#include "ingest/time_field.hpp"
#include "ingest/value_field.hpp"

namespace tsbatch::ingest {

const char* parse_opentsdb_timestamp(std::string_view text, std::int64_t& ms) {
    constexpr std::int64_t max_ms = 9'999'999'999'999;
    if (text.find('.') != std::string_view::npos) return "timestamp must be an integer (seconds or milliseconds)";
    std::int64_t v = 0;
    const char* end = text.data() + text.size();
    const auto [p, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || p != end || ec == std::errc::invalid_argument) return "timestamp is not an integer";
    if (ec == std::errc::result_out_of_range || v > max_ms) return "timestamp is beyond 9999999999999 ms";
    if (v <= 0) return "timestamp must be > 0";
    ms = v < opentsdb_seconds_limit ? v * ms_per_second : v;
    return nullptr;
}

namespace {

struct token {
    std::string_view text;
    std::uint64_t column;
};

void split_words(std::string_view line, std::vector<token>& out) {
    out.clear();
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > start) out.push_back({line.substr(start, i - start), start + 1});
    }
}

class text_reader {
public:
    text_reader(text::byte_source& source, const opentsdb_text_options& o, record_sink& sink, parse_context& ctx)
        : lines_(source, o.max_line_bytes), sink_(sink), ctx_(ctx) {}

    void read() {
        while (lines_.next(line_)) {
            if (line_.too_long) {
                report(1,
                       "line of " + std::to_string(line_.length) + " bytes is longer than the limit of " +
                           std::to_string(lines_.max_line_bytes()) + "; skipped",
                       line_.text);
                continue;
            }
            split_words(line_.text, words_);
            if (!words_.empty()) point();
        }
    }

private:
    void report(std::uint64_t column, std::string message, std::string_view text) {
        ctx_.report(diagnostic_kind::malformed, {lines_.name(), line_.number, column}, std::move(message), text);
    }

    void point() {
        if (words_.size() < 3) return report(1, "expected 'metric timestamp value [tagk=tagv ...]'", line_.text);
        std::int64_t t = 0;
        if (const char* e = parse_opentsdb_timestamp(words_[1].text, t))
            return report(words_[1].column, e, words_[1].text);
        double v = 0;
        if (!read_double(words_[2].text, v)) return report(words_[2].column, "value is not a number", words_[2].text);
        if (std::isinf(v)) return report(words_[2].column, "value is infinite", words_[2].text);
        const std::size_t s = series_of_line();
        if (s != no_series) sink_.point(s, t, v);
    }

    // The line's series, by its raw names: the metric and the tag words as written
    // (series_lookup).
    std::size_t series_of_line() {
        raw_.assign(words_[0].text);
        for (std::size_t i = 3; i < words_.size(); ++i) {
            raw_ += ' ';
            raw_ += words_[i].text;
        }
        return series_.find_or_make(raw_, [this] { return new_series(); });
    }

    std::size_t new_series() {
        builder_.reset(words_[0].text, words_[0].column);
        for (std::size_t i = 3; i < words_.size(); ++i) {
            const token& w = words_[i];
            const std::size_t eq = w.text.find('=');
            if (eq == std::string_view::npos) {
                report(w.column, "tag must be written tagk=tagv", w.text);
                return no_series;
            }
            builder_.add_tag(w.text.substr(0, eq), w.column, w.text.substr(eq + 1), w.column + eq + 1);
        }
        if (!builder_.build(ctx_, lines_.name(), line_.number, key_)) return no_series;
        return sink_.series(key_);
    }

    line_reader lines_;
    record_sink& sink_;
    parse_context& ctx_;
    line line_;
    std::vector<token> words_;
    key_builder builder_;
    series_key key_;
    std::string raw_;
    series_lookup series_;
};

}  // namespace

void read_opentsdb_text(text::byte_source& source, const opentsdb_text_options& options, record_sink& sink,
                        parse_context& ctx) {
    text_reader(source, options, sink, ctx).read();
}

}  // namespace tsbatch::ingest
