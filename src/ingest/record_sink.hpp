#pragma once
// Where parsers put what they read: series keys (metric + canonical tags, DESIGN §3) and
// points (int64 ms UTC, double, NaN = missing).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tsbatch::ingest {

/// A series identity: the metric and the canonical tags "k1=v1,k2=v2" sorted by key ("" when
/// none). Names have been checked (or sanitised) by the parser.
struct series_key {
    std::string metric;
    std::string tags;

    /// The staged format's id: `metric{k1=v1,k2=v2}`, or `metric` when there are no tags.
    std::string id() const { return tags.empty() ? metric : metric + '{' + tags + '}'; }
    friend bool operator==(const series_key&, const series_key&) = default;
};

/// Receives records. A parser announces each distinct series once through series() (per
/// input file, usually) and then sends its points by the returned handle, so the hot path
/// never hashes or copies a name.
class record_sink {
public:
    virtual ~record_sink() = default;
    /// Returns the handle of the series `key`; the same key always gives the same handle.
    virtual std::size_t series(const series_key& key) = 0;
    /// One point of the series `handle`, in input order.
    virtual void point(std::size_t handle, std::int64_t time_ms, double value) = 0;
};

/// A sink that forwards each record, key included, to a function (tests, small tools).
class callback_sink final : public record_sink {
public:
    using callback = std::function<void(const series_key&, std::int64_t time_ms, double value)>;
    explicit callback_sink(callback fn) : fn_(std::move(fn)) {}

    std::size_t series(const series_key& key) override {
        for (std::size_t i = 0; i < keys_.size(); ++i)
            if (keys_[i] == key) return i;
        keys_.push_back(key);
        return keys_.size() - 1;
    }
    void point(std::size_t handle, std::int64_t time_ms, double value) override { fn_(keys_[handle], time_ms, value); }

private:
    callback fn_;
    std::vector<series_key> keys_;  // linear search: meant for a handful of series
};

}  // namespace tsbatch::ingest
