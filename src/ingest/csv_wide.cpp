// Wide-form CSV rows: one row per time, one column per series.
#include <algorithm>
#include <map>
#include <string>

#include "core/error.hpp"
#include "ingest/csv_rows.hpp"
#include "ingest/key_builder.hpp"
#include "ingest/series_lookup.hpp"

namespace tsbatch::ingest {
namespace {

class wide_rows {
public:
    wide_rows(csv_input& in, const csv_options& o) : in_(in), skip_empty_(o.skip_empty_cells) {
        time_ = in.column(o.time_column, "time column");
        series_.assign(in.header.size(), no_series);
        std::vector<bool> ignored(in.header.size(), false);
        for (const std::string& name : o.ignore_columns) ignored[in.column(name, "ignored column")] = true;
        for (const auto& [header, series_text] : o.series_map) in.column(header, "series map");
        std::map<std::size_t, std::size_t> column_of_series;
        for (std::size_t c = 0; c < in.header.size(); ++c) {
            if (c == time_ || ignored[c]) continue;
            const auto mapped = o.series_map.find(in.header[c]);
            series_[c] = series_of_column(c, mapped == o.series_map.end() ? nullptr : &mapped->second);
            if (series_[c] == no_series) continue;
            const auto [it, fresh] = column_of_series.emplace(series_[c], c);
            if (!fresh)
                throw input_error(in.file() + ":" + std::to_string(in.header_line) + ":" +
                                  std::to_string(in.header_columns[c]) + ": columns '" + in.header[it->second] +
                                  "' and '" + in.header[c] + "' name the same series");
        }
    }

    void read() {
        while (in_.next_row()) row();
    }

private:
    // The series a header names (or its mapping does); no_series, after a report, when its
    // names cannot be used: that column is then left out.
    std::size_t series_of_column(std::size_t c, const std::string* mapped) {
        const std::uint64_t col = in_.header_columns[c];
        const text_location where{in_.file(), in_.header_line, col};
        const std::string_view text = mapped != nullptr ? std::string_view(*mapped) : std::string_view(in_.header[c]);
        // A mapping's text is not in the file: its names are reported without a column.
        if (const char* e = read_series_text(text, mapped != nullptr ? 0 : col, builder_)) {
            in_.ctx.report(diagnostic_kind::malformed, where, std::string("series name: ") + e + "; column skipped",
                           text);
            return no_series;
        }
        series_key key;
        if (!builder_.build(in_.ctx, in_.file(), in_.header_line, key)) return no_series;
        return in_.sink.series(key);
    }

    void row() {
        const csv_field& tf = in_.fields[time_];
        std::int64_t t = 0;
        if (const char* e = in_.times.parse(tf.text, t))
            return in_.report(tf.column, std::string("time: ") + e, tf.text);
        for (std::size_t c = 0; c < series_.size(); ++c) {
            if (series_[c] == no_series) continue;
            const csv_field& f = in_.fields[c];
            if (f.text.empty() && skip_empty_) continue;
            double v = 0;
            if (const char* e = in_.values.parse(f.text, v)) {
                in_.report(f.column, "value of '" + printable_excerpt(in_.header[c]) + "': " + e, f.text);
                continue;
            }
            in_.sink.point(series_[c], t, v);
        }
    }

    csv_input& in_;
    bool skip_empty_;
    std::size_t time_ = 0;
    std::vector<std::size_t> series_;  // per column: the series handle, or no_series
    key_builder builder_;
};

}  // namespace

void read_wide_rows(csv_input& in, const csv_options& options) {
    wide_rows(in, options).read();
}

}  // namespace tsbatch::ingest
