#pragma once
// In-memory series: a view of one series, and a batch of consecutive series of a
// collection (the slab one rank holds). Layout mirrors the staged HDF5 format (§3):
// points of all series are stored back to back, series i spans [offset[i], offset[i+1]).
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tsbatch {

/// One series: timestamps in ms since the epoch (strictly increasing) and values (NaN = missing).
struct series_view {
    std::span<const std::int64_t> time;
    std::span<const double> value;

    std::size_t size() const noexcept { return time.size(); }
    bool empty() const noexcept { return time.empty(); }
};

/// Where a series operator writes its output points, in increasing time order.
class series_sink {
public:
    series_sink(std::vector<std::int64_t>& time, std::vector<double>& value) : time_(time), value_(value) {}
    void push(std::int64_t t, double v) {
        time_.push_back(t);
        value_.push_back(v);
    }
    /// Appends `n` points at once and returns where to write their times and values (for
    /// operators that emit one point per input point: no per-point bounds bookkeeping).
    struct span_pair {
        std::span<std::int64_t> time;
        std::span<double> value;
    };
    span_pair extend(std::size_t n) {
        const std::size_t at = time_.size();
        grow(time_, n);
        grow(value_, n);
        time_.resize(at + n);
        value_.resize(at + n);
        return {std::span<std::int64_t>(time_).subspan(at, n), std::span<double>(value_).subspan(at, n)};
    }

    /// Appends the points of `t` and `v` (same size) in one piece.
    void append(std::span<const std::int64_t> t, std::span<const double> v) {
        grow(time_, t.size());
        grow(value_, v.size());
        time_.insert(time_.end(), t.begin(), t.end());
        value_.insert(value_.end(), v.begin(), v.end());
    }

    /// Makes room for `n` more points. Grows geometrically: called once per series on a
    /// batch holding many series, an exact reserve would copy the batch every time.
    void reserve_more(std::size_t n) {
        grow(time_, n);
        grow(value_, n);
    }

private:
    template <class T>
    static void grow(std::vector<T>& v, std::size_t n) {
        if (v.size() + n > v.capacity()) v.reserve(std::max(v.size() + n, 2 * v.capacity()));
    }
    std::vector<std::int64_t>& time_;
    std::vector<double>& value_;
};

/// Identity of a series: its key, metric and canonical tags, plus its row in the input
/// collection (so row i of every step's output refers to the same sensor).
struct series_meta {
    std::string id;
    std::string metric;
    std::string tags;
    std::uint64_t source_index = 0;
};

/// A run of consecutive series with their points, as one rank holds them.
struct series_batch {
    std::vector<series_meta> meta;
    std::vector<std::uint64_t> offset{0};  ///< size() + 1 entries, local point offsets
    std::vector<std::int64_t> time;
    std::vector<double> value;

    std::size_t size() const noexcept { return meta.size(); }
    std::size_t point_count() const noexcept { return time.size(); }
    std::size_t count(std::size_t i) const noexcept { return offset[i + 1] - offset[i]; }

    series_view series(std::size_t i) const noexcept {
        const auto b = offset[i];
        const auto n = offset[i + 1] - b;
        return {std::span<const std::int64_t>(time).subspan(b, n), std::span<const double>(value).subspan(b, n)};
    }

    /// Starts a new series; its points are then pushed through sink() and the series is
    /// closed by close_series().
    series_sink open_series(series_meta m) {
        meta.push_back(std::move(m));
        return series_sink(time, value);
    }
    void close_series() { offset.push_back(time.size()); }

    /// Appends a whole series at once.
    void append(series_meta m, series_view s) {
        meta.push_back(std::move(m));
        time.insert(time.end(), s.time.begin(), s.time.end());
        value.insert(value.end(), s.value.begin(), s.value.end());
        offset.push_back(time.size());
    }
};

}  // namespace tsbatch
