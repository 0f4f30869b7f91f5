#include "storage/put_requests.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/error.hpp"
#include "text/json_writer.hpp"

namespace tsbatch::storage {

using text::append_json_string;

namespace {

/// The parts of a point's JSON object that are the same for every point of a series, built
/// once per series: `{"metric":"m","timestamp":` and `,"tags":{"k":"v"}}`.
struct series_json {
    std::string head;
    std::string tail;
};

series_json make_series_json(const put_series& s) {
    series_json j;
    j.head = "{\"metric\":";
    append_json_string(j.head, s.metric);
    j.head += ",\"timestamp\":";
    j.tail = ",\"tags\":";
    text::append_json_tags(j.tail, s.tags);
    j.tail += '}';
    return j;
}

void append_point(std::string& out, const series_json& j, const series_view& points, std::size_t i, time_encoding enc) {
    out += j.head;
    char buf[32];
    const auto ts = std::to_chars(buf, buf + sizeof buf, opentsdb_timestamp(points.time[i], enc));
    out.append(buf, ts.ptr);
    out += ",\"value\":";
    out.append(buf, format_value(points.value[i], buf));
    out += j.tail;
}

/// A point picked for a request: which series, which point of it.
struct point_ref {
    std::size_t series;
    std::size_t point;
};

class planner {
public:
    planner(const std::vector<put_series>& series, const request_limits& limits, time_encoding enc)
        : series_(series), limits_(limits), enc_(enc) {
        json_.reserve(series.size());
        for (const auto& s : series) json_.push_back(make_series_json(s));
    }

    std::vector<put_request> run() {
        std::vector<point_ref> batch;
        batch.reserve(limits_.max_points);
        for (std::size_t s = 0; s < series_.size(); ++s) {
            const auto& pts = series_[s].points;
            for (std::size_t i = 0; i < pts.size(); ++i) {
                if (std::isnan(pts.value[i])) continue;
                batch.push_back({s, i});
                if (batch.size() == limits_.max_points) flush(batch);
            }
        }
        flush(batch);
        return std::move(out_);
    }

private:
    void flush(std::vector<point_ref>& batch) {
        if (!batch.empty()) emit(batch.data(), batch.size());
        batch.clear();
    }

    /// Emits the points [p, p + n) as one request, or as halves when the body is too big.
    void emit(const point_ref* p, std::size_t n) {
        json_text_.clear();
        json_text_ += '[';
        for (std::size_t k = 0; k < n; ++k) {
            if (k != 0) json_text_ += ',';
            append_point(json_text_, json_[p[k].series], series_[p[k].series].points, p[k].point, enc_);
        }
        json_text_ += ']';
        std::string body = gzip_compress(json_text_, limits_.gzip_level);
        if (body.size() <= limits_.max_body_bytes) {
            out_.push_back({std::move(body), n});
            return;
        }
        if (n == 1) too_big(p->series, body.size());
        const std::size_t half = n / 2;
        emit(p, half);
        emit(p + half, n - half);
    }

    [[noreturn]] void too_big(std::size_t s, std::size_t bytes) const {
        const auto& ser = series_[s];
        throw usage_error("series " + ser.metric + "{" + ser.tags + "}: one point needs a " + std::to_string(bytes) +
                          "-byte gzip request body, more than the limit of " + std::to_string(limits_.max_body_bytes) +
                          " bytes per request");
    }

    const std::vector<put_series>& series_;
    const request_limits& limits_;
    time_encoding enc_;
    std::vector<series_json> json_;
    std::string json_text_;
    std::vector<put_request> out_;
};

}  // namespace

void append_put_json(std::string& out, const put_series& s, std::size_t begin, std::size_t end, time_encoding enc) {
    const series_json j = make_series_json(s);
    out += '[';
    bool first = true;
    for (std::size_t i = begin; i < end; ++i) {
        if (std::isnan(s.points.value[i])) continue;
        if (!first) out += ',';
        first = false;
        append_point(out, j, s.points, i, enc);
    }
    out += ']';
}

std::vector<put_request> plan_put_requests(const std::vector<put_series>& series, const request_limits& limits,
                                           time_encoding enc) {
    if (limits.max_points == 0) throw usage_error("the number of points per request must be at least 1");
    return planner(series, limits, enc).run();
}

std::string gzip_compress(std::string_view data, int level) {
    z_stream z{};
    // windowBits 15 + 16: a gzip wrapper (RFC 1952) rather than zlib's own (RFC 1950).
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw internal_error("deflateInit2 failed (gzip level " + std::to_string(level) + ")");
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
    // zlib counts in 32-bit uInt: feed both sides in pieces so any size works.
    constexpr std::size_t piece = std::size_t{1} << 30;
    std::size_t in_at = 0;
    int rc = Z_OK;
    while (rc == Z_OK) {
        if (z.avail_in == 0 && in_at < data.size()) {
            const std::size_t n = std::min(piece, data.size() - in_at);
            // zlib's API is not const-correct; deflate only reads next_in.
            z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + in_at));
            z.avail_in = static_cast<uInt>(n);
            in_at += n;
        }
        if (z.avail_out == 0) {
            if (z.total_out == out.size()) out.resize(out.size() + 64);  // deflateBound is an upper bound; a safety net
            z.next_out = reinterpret_cast<Bytef*>(out.data() + z.total_out);
            z.avail_out = static_cast<uInt>(std::min(piece, out.size() - z.total_out));
        }
        rc = deflate(&z, in_at == data.size() ? Z_FINISH : Z_NO_FLUSH);
    }
    const auto written = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) throw internal_error("gzip compression failed (zlib " + std::to_string(rc) + ")");
    out.resize(written);
    return out;
}

}  // namespace tsbatch::storage
