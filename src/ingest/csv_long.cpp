// Long-form CSV rows: one point per row.
#include <string>

#include "ingest/csv_rows.hpp"
#include "ingest/key_builder.hpp"
#include "ingest/series_lookup.hpp"

namespace tsbatch::ingest {
namespace {

class long_rows {
public:
    long_rows(csv_input& in, const csv_options& o) : in_(in), fixed_metric_(o.metric) {
        time_ = in.column(o.time_column, "time column");
        value_ = in.column(o.value_column, "value column");
        if (!o.metric_column.empty()) metric_ = in.column(o.metric_column, "metric column");
        for (const tag_column& t : o.tag_columns) tags_.push_back({t.key, in.column(t.column, "tag column")});
    }

    void read() {
        while (in_.next_row()) row();
    }

private:
    struct tag_source {
        std::string key;
        std::size_t column;
    };

    void row() {
        const csv_field& tf = in_.fields[time_];
        std::int64_t t = 0;
        if (const char* e = in_.times.parse(tf.text, t))
            return in_.report(tf.column, std::string("time: ") + e, tf.text);
        const csv_field& vf = in_.fields[value_];
        double v = 0;
        if (const char* e = in_.values.parse(vf.text, v))
            return in_.report(vf.column, std::string("value: ") + e, vf.text);
        const std::size_t s = series_of_row();
        if (s != no_series) in_.sink.point(s, t, v);
    }

    // The row's series, by its raw names (series_lookup).
    std::size_t series_of_row() {
        raw_.clear();
        if (metric_ != no_series) raw_ += in_.fields[metric_].text;
        for (const tag_source& t : tags_) {
            raw_ += '\x1F';
            raw_ += in_.fields[t.column].text;
        }
        return series_.find_or_make(raw_, [this] { return new_series(); });
    }

    std::size_t new_series() {
        if (metric_ != no_series)
            builder_.reset(in_.fields[metric_].text, in_.fields[metric_].column);
        else
            builder_.reset(fixed_metric_, 0);
        for (const tag_source& t : tags_) {
            const csv_field& f = in_.fields[t.column];
            if (!f.text.empty()) builder_.add_tag(t.key, in_.header_columns[t.column], f.text, f.column);
        }
        if (!builder_.build(in_.ctx, in_.file(), in_.row.number, key_)) return no_series;
        return in_.sink.series(key_);
    }

    csv_input& in_;
    std::string fixed_metric_;
    std::size_t time_ = 0;
    std::size_t value_ = 0;
    std::size_t metric_ = no_series;
    std::vector<tag_source> tags_;
    key_builder builder_;
    series_key key_;
    std::string raw_;
    series_lookup series_;
};

}  // namespace

void read_long_rows(csv_input& in, const csv_options& options) {
    long_rows(in, options).read();
}

}  // namespace tsbatch::ingest
