#include "ingest/rank_merge.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "parallel/partition.hpp"

namespace tsbatch::ingest {
namespace {

// A series key as one string that sorts like (metric, tags): metric, '\0', tags. Names
// never hold '\0' (the parsers refuse control characters).
std::string sort_key(const series_meta& m) { return m.metric + '\0' + m.tags; }

struct global_series {
    std::string_view key;
    std::uint64_t points = 0;
};

// Every rank's sorted keys and point counts, merged into one sorted list without repeats.
std::vector<global_series> merge_keys(const std::vector<std::string>& all_keys, const std::vector<std::uint64_t>& all_counts) {
    std::vector<global_series> all(all_keys.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = {all_keys[i], all_counts[i]};
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    std::vector<global_series> out;
    for (const auto& s : all) {
        if (!out.empty() && out.back().key == s.key)
            out.back().points += s.points;
        else
            out.push_back(s);
    }
    return out;
}

template <class T>
void put(std::vector<std::byte>& buf, const T* p, std::size_t n) {
    const auto* b = reinterpret_cast<const std::byte*>(p);
    buf.insert(buf.end(), b, b + n * sizeof(T));
}

template <class T>
void take(const std::vector<std::byte>& buf, std::size_t& pos, T* out, std::size_t n) {
    std::memcpy(out, buf.data() + pos, n * sizeof(T));
    pos += n * sizeof(T);
}

}  // namespace

series_batch merge_across_ranks(const comm& c, accumulator& acc, duplicate_policy policy, parse_context& ctx) {
    // 1. This rank's series in key order, duplicates kept.
    series_batch local;
    std::vector<std::string> keys;
    std::vector<std::uint64_t> counts;
    acc.drain_unresolved([&](series_meta meta, series_view points) {
        keys.push_back(sort_key(meta));
        counts.push_back(points.size());
        local.append(std::move(meta), points);
    });

    // 2. The global order and who owns which series: contiguous ranges of near-equal points.
    const auto all_keys = c.allgather_strings(keys);
    const auto all_counts = c.allgatherv(std::span<const std::uint64_t>(counts));
    const auto global = merge_keys(all_keys, all_counts);
    std::vector<double> cost(global.size());
    for (std::size_t i = 0; i < global.size(); ++i) cost[i] = 16.0 + static_cast<double>(global[i].points);
    const auto owners = partition_contiguous(cost, c.size());
    const auto owner_of = [&](std::size_t g) {
        const auto it = std::upper_bound(owners.begin(), owners.end(), g,
                                         [](std::size_t x, const index_range& r) { return x < r.end; });
        return static_cast<std::size_t>(it - owners.begin());
    };

    // 3. Send each local series to its owner: [u64 global row][u64 n][n times][n values].
    std::vector<std::vector<std::byte>> send(static_cast<std::size_t>(c.size()));
    for (std::size_t i = 0; i < local.meta.size(); ++i) {
        const auto it = std::lower_bound(global.begin(), global.end(), std::string_view(keys[i]),
                                         [](const global_series& s, std::string_view k) { return s.key < k; });
        const auto g = static_cast<std::uint64_t>(it - global.begin());
        const auto s = local.series(i);
        const std::uint64_t n = s.size();
        auto& buf = send[owner_of(g)];
        put(buf, &g, 1);
        put(buf, &n, 1);
        put(buf, s.time.data(), n);
        put(buf, s.value.data(), n);
    }
    local = series_batch{};
    auto received = c.alltoallv(std::move(send));

    // 4. Copy the pieces into place, senders in rank order (= input order).
    const index_range mine = owners[static_cast<std::size_t>(c.rank())];
    series_batch out;
    out.offset.assign(1, 0);
    std::uint64_t total = 0;
    for (auto g = mine.begin; g < mine.end; ++g) {
        total += global[g].points;
        out.offset.push_back(total);
        const auto key = global[g].key;
        const auto cut = key.find('\0');
        series_meta meta;
        meta.metric = std::string(key.substr(0, cut));
        meta.tags = std::string(key.substr(cut + 1));
        meta.id = meta.tags.empty() ? meta.metric : meta.metric + '{' + meta.tags + '}';
        meta.source_index = g;
        out.meta.push_back(std::move(meta));
    }
    out.time.resize(total);
    out.value.resize(total);
    std::vector<std::uint64_t> filled(mine.size(), 0);
    for (auto& buf : received) {
        std::size_t pos = 0;
        while (pos < buf.size()) {
            std::uint64_t g = 0, n = 0;
            take(buf, pos, &g, 1);
            take(buf, pos, &n, 1);
            const auto row = g - mine.begin;
            const auto at = out.offset[row] + filled[row];
            take(buf, pos, out.time.data() + at, n);
            take(buf, pos, out.value.data() + at, n);
            filled[row] += n;
        }
        std::vector<std::byte>().swap(buf);
    }

    // 5. Sort each series by time (stably: equal times keep input order), resolve duplicates
    //    and close the gaps they leave.
    std::vector<std::int64_t> t;
    std::vector<double> v;
    std::uint64_t write = 0;
    for (std::size_t row = 0; row < out.meta.size(); ++row) {
        const auto begin = out.offset[row], end = out.offset[row + 1];
        t.assign(out.time.begin() + static_cast<std::ptrdiff_t>(begin), out.time.begin() + static_cast<std::ptrdiff_t>(end));
        v.assign(out.value.begin() + static_cast<std::ptrdiff_t>(begin), out.value.begin() + static_cast<std::ptrdiff_t>(end));
        const auto& id = out.meta[row].id;
        sort_and_resolve(t, v, policy,
                         [&](std::int64_t time, std::size_t count) { report_duplicate(ctx, id, time, count); });
        std::copy(t.begin(), t.end(), out.time.begin() + static_cast<std::ptrdiff_t>(write));
        std::copy(v.begin(), v.end(), out.value.begin() + static_cast<std::ptrdiff_t>(write));
        out.offset[row] = write;
        write += t.size();
    }
    out.offset[out.meta.size()] = write;
    out.time.resize(write);
    out.value.resize(write);
    return out;
}

}  // namespace tsbatch::ingest
