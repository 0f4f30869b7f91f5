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

/// Whether two time axes hold the same timestamps; one axis shared by two series (a batch
/// filled by append_sharing_time) is known equal without reading it.
inline bool same_time_axis(std::span<const std::int64_t> a, std::span<const std::int64_t> b) noexcept {
    return a.size() == b.size() && (a.data() == b.data() || std::equal(a.begin(), a.end(), b.begin()));
}
inline bool same_time_axis(series_view x, series_view y) noexcept {
    return same_time_axis(x.time, y.time);
}

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
    /// Empty, or where series i's timestamps start in `time` when series share them
    /// (append_sharing_time); `offset` then places the values only.
    std::vector<std::uint64_t> time_at;

    std::size_t size() const noexcept { return meta.size(); }
    std::size_t point_count() const noexcept { return value.size(); }
    std::size_t count(std::size_t i) const noexcept { return offset[i + 1] - offset[i]; }

    series_view series(std::size_t i) const noexcept {
        const auto b = offset[i];
        const auto n = offset[i + 1] - b;
        const auto t = time_at.empty() ? b : time_at[i];
        return {std::span<const std::int64_t>(time).subspan(t, n), std::span<const double>(value).subspan(b, n)};
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

    /// append(), keeping the timestamps once for consecutive series on the same time axis: a
    /// batch of sensors sampled on one grid holds one axis instead of one per series (half
    /// its memory, and half the fresh pages to fault in). Such a batch is read through
    /// series() and count(); only append_sharing_time() may add to it.
    void append_sharing_time(series_meta m, series_view s) {
        if (time_at.size() != size()) time_at.assign(offset.begin(), offset.end() - 1);  // none shared yet
        const std::size_t n = size();
        const bool same_axis = n > 0 && same_time_axis(s.time, series(n - 1).time);
        time_at.push_back(same_axis ? time_at.back() : time.size());
        if (!same_axis) time.insert(time.end(), s.time.begin(), s.time.end());
        meta.push_back(std::move(m));
        value.insert(value.end(), s.value.begin(), s.value.end());
        offset.push_back(value.size());
    }
};

}  // namespace tsbatch
