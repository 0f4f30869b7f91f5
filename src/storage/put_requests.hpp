#pragma once
// The bodies of HTTP /api/put requests (reference/opentsdb.md 1.1): gzip'd JSON arrays of
// points, cut so that each holds at most `max_points` points and its gzip body at most
// `max_body_bytes` bytes. The cut depends only on the series given and the limits, so the
// same chunk of series always gives the same requests: that is what lets the push journal
// name a request by (chunk, index) and a rerun skip exactly the acknowledged ones.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/series.hpp"
#include "storage/opentsdb_rules.hpp"

namespace tsbatch::storage {

struct request_limits {
    std::size_t max_points = 50;        ///< points per request (OpenTSDB docs: 50 is a good start)
    std::size_t max_body_bytes = 8000;  ///< gzip body bytes; a stock OpenTSDB refuses > 8192
    int gzip_level = 6;
};

/// One series to send: the metric after the naming template, canonical tags, its points
/// (checked with check_series; NaN points are left out of the requests).
struct put_series {
    std::string metric;
    std::string tags;
    series_view points;
};

struct put_request {
    std::string body;           ///< gzip'd JSON array
    std::uint64_t points = 0;   ///< points in it
};

/// The JSON array of points [begin, end) of `s` (NaN points skipped):
/// `[{"metric":"m","timestamp":1700000000000,"value":1.5,"tags":{"k":"v"}},...]`.
void append_put_json(std::string& out, const put_series& s, std::size_t begin, std::size_t end, time_encoding enc);

/// Cuts the points of `series` (in order) into requests within `limits`. A request whose
/// gzip body is too big is halved until it fits; a single point that cannot fit throws
/// usage_error naming the series and the limit.
std::vector<put_request> plan_put_requests(const std::vector<put_series>& series, const request_limits& limits,
                                           time_encoding enc);


/// gzip (RFC 1952) of `data` at `level`.
std::string gzip_compress(std::string_view data, int level);

}  // namespace tsbatch::storage
