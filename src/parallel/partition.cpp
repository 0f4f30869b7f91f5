#include "parallel/partition.hpp"

#include <algorithm>
#include <stdexcept>

namespace tsbatch {

std::vector<index_range> make_chunks(std::span<const std::uint64_t> point_counts, const chunking& rule,
                                     std::span<const std::uint8_t> joined) {
    std::vector<index_range> chunks;
    std::size_t begin = 0;
    std::uint64_t points = 0;
    for (std::size_t i = 0; i < point_counts.size(); ++i) {
        points += point_counts[i];
        const bool may_close = joined.empty() || joined[i] == 0;
        if (may_close && (points >= rule.target_points || i + 1 - begin >= rule.max_series)) {
            chunks.push_back({begin, i + 1});
            begin = i + 1;
            points = 0;
        }
    }
    if (begin < point_counts.size()) chunks.push_back({begin, point_counts.size()});
    return chunks;
}

std::vector<index_range> partition_contiguous(std::span<const double> costs, int nranks) {
    if (nranks < 1) throw std::invalid_argument("partition_contiguous: nranks must be >= 1");
    const std::size_t n = costs.size();
    std::vector<double> prefix(n + 1, 0.0);
    for (std::size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + std::max(costs[i], 0.0);
    const double total = prefix[n];

    std::vector<index_range> ranges(static_cast<std::size_t>(nranks));
    std::size_t begin = 0;
    for (int r = 0; r < nranks; ++r) {
        std::size_t end = n;
        if (r + 1 < nranks) {
            const double target = total * static_cast<double>(r + 1) / nranks;
            // First boundary whose prefix reaches the target, then the nearer of it and its
            // predecessor; never before `begin`.
            end = static_cast<std::size_t>(std::lower_bound(prefix.begin() + static_cast<std::ptrdiff_t>(begin),
                                                            prefix.end(), target) -
                                           prefix.begin());
            end = std::min(end, n);
            if (end > begin && target - prefix[end - 1] < prefix[end] - target) --end;
            if (total == 0.0) end = std::min(n, n * static_cast<std::size_t>(r + 1) / static_cast<std::size_t>(nranks));
            end = std::max(end, begin);
        }
        ranges[static_cast<std::size_t>(r)] = {begin, end};
        begin = end;
    }
    return ranges;
}

index_range series_of(const std::vector<index_range>& chunks, index_range chunk_range) {
    if (chunk_range.empty()) {
        const std::size_t at = chunk_range.begin < chunks.size() ? chunks[chunk_range.begin].begin
                               : chunks.empty()                  ? 0
                                                                 : chunks.back().end;
        return {at, at};
    }
    return {chunks[chunk_range.begin].begin, chunks[chunk_range.end - 1].end};
}

double imbalance(std::span<const double> costs, const std::vector<index_range>& ranges) {
    if (ranges.empty()) return 1.0;
    double worst = 0, total = 0;
    for (const auto& r : ranges) {
        double c = 0;
        for (std::size_t i = r.begin; i < r.end; ++i) c += costs[i];
        worst = std::max(worst, c);
        total += c;
    }
    const double mean = total / static_cast<double>(ranges.size());
    return mean > 0 ? worst / mean : 1.0;
}

}  // namespace tsbatch
