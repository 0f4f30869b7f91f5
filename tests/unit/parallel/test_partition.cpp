#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "parallel/partition.hpp"

using namespace tsbatch;

TEST(make_chunks, groups_short_series_and_isolates_long_ones) {
    const std::vector<std::uint64_t> counts = {10, 10, 10, 1000, 10, 10};
    const auto chunks = make_chunks(counts, {100, 100});
    ASSERT_EQ(chunks.size(), 2u);
    EXPECT_EQ(chunks[0], (index_range{0, 4}));  // closes after the series that reaches 100
    EXPECT_EQ(chunks[1], (index_range{4, 6}));
}

TEST(make_chunks, respects_max_series_and_covers_everything) {
    std::vector<std::uint64_t> counts(1000, 1);
    const auto chunks = make_chunks(counts, {1u << 20, 64});
    std::size_t next = 0;
    for (const auto& c : chunks) {
        EXPECT_EQ(c.begin, next);
        EXPECT_LE(c.size(), 64u);
        next = c.end;
    }
    EXPECT_EQ(next, counts.size());
}

TEST(make_chunks, empty_input) { EXPECT_TRUE(make_chunks(std::vector<std::uint64_t>{}).empty()); }

TEST(partition_contiguous, equal_costs_split_evenly) {
    const std::vector<double> costs(12, 1.0);
    const auto r = partition_contiguous(costs, 3);
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0], (index_range{0, 4}));
    EXPECT_EQ(r[1], (index_range{4, 8}));
    EXPECT_EQ(r[2], (index_range{8, 12}));
}

TEST(partition_contiguous, more_ranks_than_items_gives_empty_ranges) {
    const std::vector<double> costs = {5.0, 5.0};
    const auto r = partition_contiguous(costs, 4);
    ASSERT_EQ(r.size(), 4u);
    std::size_t covered = 0;
    for (std::size_t k = 0; k < r.size(); ++k) {
        covered += r[k].size();
        if (k) {
            EXPECT_EQ(r[k].begin, r[k - 1].end);
        }
    }
    EXPECT_EQ(covered, 2u);
}

TEST(partition_contiguous, zero_total_cost_still_covers_items) {
    const std::vector<double> costs(10, 0.0);
    const auto r = partition_contiguous(costs, 3);
    EXPECT_EQ(r.front().begin, 0u);
    EXPECT_EQ(r.back().end, 10u);
    for (std::size_t k = 1; k < r.size(); ++k) EXPECT_EQ(r[k].begin, r[k - 1].end);
}

// Property: ranges are contiguous, cover all items, and each is within one item's cost of
// the ideal share, for random skewed costs and 1..16 ranks.
TEST(partition_contiguous, balanced_within_one_item_on_random_skewed_costs) {
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> dist(3.0, 1.5);
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<double> costs(1 + rng() % 500);
        for (auto& c : costs) c = dist(rng);
        const double total = std::accumulate(costs.begin(), costs.end(), 0.0);
        const double biggest = *std::max_element(costs.begin(), costs.end());
        for (int n = 1; n <= 16; ++n) {
            const auto r = partition_contiguous(costs, n);
            ASSERT_EQ(r.size(), static_cast<std::size_t>(n));
            EXPECT_EQ(r.front().begin, 0u);
            EXPECT_EQ(r.back().end, costs.size());
            for (std::size_t k = 1; k < r.size(); ++k) ASSERT_EQ(r[k].begin, r[k - 1].end);
            for (const auto& range : r) {
                double c = 0;
                for (auto i = range.begin; i < range.end; ++i) c += costs[i];
                EXPECT_LE(c, total / n + 2 * biggest + 1e-9);
            }
        }
    }
}

TEST(partition_contiguous, is_a_pure_function) {
    const std::vector<double> costs = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
    EXPECT_EQ(partition_contiguous(costs, 4), partition_contiguous(costs, 4));
}

TEST(series_of, maps_chunk_ranges_to_series) {
    const std::vector<index_range> chunks = {{0, 3}, {3, 4}, {4, 10}};
    EXPECT_EQ(series_of(chunks, {0, 2}), (index_range{0, 4}));
    EXPECT_EQ(series_of(chunks, {2, 3}), (index_range{4, 10}));
    EXPECT_TRUE(series_of(chunks, {3, 3}).empty());
}

TEST(imbalance, perfect_and_skewed) {
    const std::vector<double> costs = {1, 1, 1, 1};
    EXPECT_DOUBLE_EQ(imbalance(costs, {{0, 2}, {2, 4}}), 1.0);
    EXPECT_DOUBLE_EQ(imbalance(costs, {{0, 3}, {3, 4}}), 1.5);
}
