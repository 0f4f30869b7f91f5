#include "ingest/accumulator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/time.hpp"

namespace tsbatch::ingest {

std::optional<duplicate_policy> duplicate_policy_from_name(std::string_view name) {
    if (name == "error") return duplicate_policy::error;
    if (name == "first") return duplicate_policy::first;
    if (name == "last") return duplicate_policy::last;
    if (name == "mean") return duplicate_policy::mean;
    return std::nullopt;
}

std::size_t accumulator::series(const series_key& key) {
    std::string id = key.metric;
    id += '\0';
    id += key.tags;
    const auto [it, fresh] = index_.try_emplace(std::move(id), series_.size());
    if (fresh) series_.push_back({key, {}, {}});
    return it->second;
}

void accumulator::point(std::size_t handle, std::int64_t time_ms, double value) {
    series_data& s = series_[handle];
    s.time.push_back(time_ms);
    s.value.push_back(value);
    ++points_;
}

namespace {

// Applies a stable sort order to both vectors.
void sort_by_time(std::vector<std::int64_t>& time, std::vector<double>& value) {
    std::vector<std::size_t> order(time.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return time[a] < time[b]; });
    std::vector<std::int64_t> t(time.size());
    std::vector<double> v(value.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        t[i] = time[order[i]];
        v[i] = value[order[i]];
    }
    time.swap(t);
    value.swap(v);
}

double resolve_run(const double* v, std::size_t n, duplicate_policy policy) {
    switch (policy) {
        case duplicate_policy::error:
        case duplicate_policy::first:
            return v[0];
        case duplicate_policy::last:
            return v[n - 1];
        case duplicate_policy::mean:
            break;
    }
    double sum = 0;
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (!std::isnan(v[i])) {
            sum += v[i];
            ++count;
        }
    return count == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / static_cast<double>(count);
}

}  // namespace

void sort_and_resolve(std::vector<std::int64_t>& time, std::vector<double>& value, duplicate_policy policy,
                      const std::function<void(std::int64_t, std::size_t)>& on_duplicate) {
    // Sensor data mostly arrives sorted: check before sorting.
    if (!std::is_sorted(time.begin(), time.end())) sort_by_time(time, value);
    if (std::adjacent_find(time.begin(), time.end()) == time.end()) return;
    std::size_t out = 0;
    for (std::size_t i = 0; i < time.size();) {
        std::size_t j = i + 1;
        while (j < time.size() && time[j] == time[i]) ++j;
        const std::size_t n = j - i;
        if (n > 1 && policy == duplicate_policy::error && on_duplicate) on_duplicate(time[i], n);
        time[out] = time[i];
        value[out] = n == 1 ? value[i] : resolve_run(&value[i], n, policy);
        ++out;
        i = j;
    }
    time.resize(out);
    value.resize(out);
}

void report_duplicate(parse_context& ctx, const std::string& id, std::int64_t time, std::size_t count) {
    ctx.report(diagnostic_kind::duplicate_time, {},
               "series " + id + " has " + std::to_string(count) + " points at " + format_iso8601(time) + " (" +
                   std::to_string(time) + " ms); the first is kept",
               {});
}

void accumulator::drain_unresolved(const series_callback& fn) {
    for_each_in_key_order([&](series_data& s, std::size_t rank) {
        if (!std::is_sorted(s.time.begin(), s.time.end())) sort_by_time(s.time, s.value);
        fn(series_meta{s.key.id(), s.key.metric, s.key.tags, rank}, series_view{s.time, s.value});
    });
}

void accumulator::drain(duplicate_policy policy, parse_context& ctx, const series_callback& fn) {
    for_each_in_key_order([&](series_data& s, std::size_t rank) {
        series_meta meta{s.key.id(), s.key.metric, s.key.tags, rank};
        sort_and_resolve(s.time, s.value, policy,
                         [&](std::int64_t t, std::size_t n) { report_duplicate(ctx, meta.id, t, n); });
        fn(std::move(meta), series_view{s.time, s.value});
    });
}

void accumulator::for_each_in_key_order(const std::function<void(series_data&, std::size_t rank)>& fn) {
    std::vector<std::size_t> order(series_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const series_key& x = series_[a].key;
        const series_key& y = series_[b].key;
        return x.metric != y.metric ? x.metric < y.metric : x.tags < y.tags;
    });
    index_.clear();
    for (std::size_t rank = 0; rank < order.size(); ++rank) {
        series_data& s = series_[order[rank]];
        fn(s, rank);
        s = series_data{};  // free its memory now
    }
    series_.clear();
    points_ = 0;
}

series_batch accumulator::finish(duplicate_policy policy, parse_context& ctx) {
    series_batch batch;
    batch.meta.reserve(series_.size());
    batch.offset.reserve(series_.size() + 1);
    batch.time.reserve(points_);
    batch.value.reserve(points_);
    drain(policy, ctx, [&](series_meta meta, series_view points) { batch.append(std::move(meta), points); });
    return batch;
}

}  // namespace tsbatch::ingest
