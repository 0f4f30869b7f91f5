#pragma once
// Decomposition of a collection into work: pure functions, no communication, so every rank
// computes the same answer from the same inputs (DESIGN §7).
//  * chunks: runs of consecutive series whose boundaries depend only on the point counts,
//    never on the rank count. They are the unit of ordered reductions (and of checkpoints).
//  * partition: contiguous runs of chunks of near-equal cost, one per rank.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tsbatch {

struct index_range {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t size() const noexcept { return end - begin; }
    bool empty() const noexcept { return begin == end; }
    friend bool operator==(const index_range&, const index_range&) = default;
};

struct chunking {
    std::uint64_t target_points = 1u << 18;  ///< close a chunk once it holds this many points
    std::size_t max_series = 1024;           ///< or this many series
};

/// Splits series [0, counts.size()) into consecutive chunks. A chunk closes after the series
/// that brings it to `target_points` points or `max_series` series, so a long series forms a
/// chunk of its own and many short ones are grouped. `joined[i]` != 0 forbids a boundary
/// between series i and i+1 (series of one group stay in one chunk); empty = no constraint.
std::vector<index_range> make_chunks(std::span<const std::uint64_t> point_counts, const chunking& rule = {},
                                     std::span<const std::uint8_t> joined = {});

/// Splits items [0, costs.size()) into `nranks` contiguous ranges of near-equal total cost.
/// Boundaries sit where the running cost crosses k/nranks of the total (the nearer item
/// edge), which keeps every range within one item's cost of the ideal share. Ranges may be
/// empty when there are fewer items than ranks.
std::vector<index_range> partition_contiguous(std::span<const double> costs, int nranks);

/// The series a rank owns: the union of its chunks.
index_range series_of(const std::vector<index_range>& chunks, index_range chunk_range);

/// Largest range cost over mean range cost (1.0 = perfect balance).
double imbalance(std::span<const double> costs, const std::vector<index_range>& ranges);

}  // namespace tsbatch
