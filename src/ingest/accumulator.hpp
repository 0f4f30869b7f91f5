#pragma once
// Collects the records of one or more inputs per series, then hands out each series sorted
// by time with duplicate timestamps resolved, in key order.
//
// Memory while collecting: 16 B a point (int64 time + double value; up to twice that just
// after a vector grows) plus about 200 B a series and its names (hash-map node, key strings,
// two vectors). drain() frees each series as it hands it out; finish() builds one
// series_batch, so it needs the batch's 16 B a point on top of what is not yet drained
// (at most 32 B a point at its start).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/series.hpp"
#include "ingest/parse_context.hpp"
#include "ingest/record_sink.hpp"

namespace tsbatch::ingest {

/// What to do with several points of one series at the same timestamp.
enum class duplicate_policy {
    error,  ///< report each such timestamp (kind duplicate_time) and keep its first point
    first,  ///< keep the point that came first in the input
    last,   ///< keep the point that came last in the input
    mean,   ///< the mean of the non-NaN values (NaN when all are NaN)
};

/// "error", "first", "last", "mean".
std::optional<duplicate_policy> duplicate_policy_from_name(std::string_view name);

class accumulator final : public record_sink {
public:
    std::size_t series(const series_key& key) override;
    void point(std::size_t handle, std::int64_t time_ms, double value) override;

    std::size_t series_count() const noexcept { return series_.size(); }
    std::uint64_t point_count() const noexcept { return points_; }

    using series_callback = std::function<void(series_meta meta, series_view points)>;

    /// Hands out every series, sorted by metric then canonical tags (byte order), its points
    /// sorted by time (stable: equal times keep their input order) and duplicates resolved
    /// by `policy` (reports go to `ctx`). meta.source_index is the series' rank in that order.
    /// The accumulator is empty afterwards.
    void drain(duplicate_policy policy, parse_context& ctx, const series_callback& fn);

    /// Like drain(), but duplicates are kept (each series only sorted by time, stably) for a
    /// caller that resolves them after merging several accumulators (merge_across_ranks).
    void drain_unresolved(const series_callback& fn);

    /// drain() into one batch.
    series_batch finish(duplicate_policy policy, parse_context& ctx);

private:
    struct series_data {
        series_key key;
        std::vector<std::int64_t> time;
        std::vector<double> value;
    };

    // Calls fn on every series in key order (with its rank in that order), freeing each after.
    void for_each_in_key_order(const std::function<void(series_data&, std::size_t rank)>& fn);

    std::vector<series_data> series_;
    std::unordered_map<std::string, std::size_t> index_;  // metric '\0' tags -> series_
    std::uint64_t points_ = 0;
};

/// Reports `count` points of series `id` at one timestamp (kind duplicate_time).
void report_duplicate(parse_context& ctx, const std::string& id, std::int64_t time, std::size_t count);

/// Sorts one series' points by time (stable) and resolves equal timestamps by `policy`;
/// calls `on_duplicate(time, count)` for each timestamp held `count` > 1 times.
void sort_and_resolve(std::vector<std::int64_t>& time, std::vector<double>& value, duplicate_policy policy,
                      const std::function<void(std::int64_t time, std::size_t count)>& on_duplicate);

}  // namespace tsbatch::ingest
