#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <random>

#include "parallel/comm.hpp"
#include "parallel/ordered_reduce.hpp"
#include "parallel/partition.hpp"
#include "simulated_comm.hpp"

using namespace tsbatch;

TEST(local_comm, is_one_rank) {
    const comm c;
    EXPECT_EQ(c.rank(), 0);
    EXPECT_EQ(c.size(), 1);
    EXPECT_EQ(c.max(5), 5);
    EXPECT_EQ(c.sum(5u), 5u);
    EXPECT_EQ(c.broadcast("abc"), "abc");
    const std::vector<int> v = {1, 2, 3};
    EXPECT_EQ(c.allgatherv(std::span<const int>(v)), v);
}

class simulated : public ::testing::TestWithParam<int> {};

TEST_P(simulated, collectives_behave_like_mpi) {
    const int n = GetParam();
    std::atomic<int> checked{0};
    run_simulated(n, [&](const comm& c) {
        EXPECT_EQ(c.size(), n);
        EXPECT_EQ(c.max(c.rank()), n - 1);
        EXPECT_EQ(c.sum(static_cast<std::uint64_t>(c.rank() + 1)), static_cast<std::uint64_t>(n * (n + 1) / 2));
        EXPECT_EQ(c.broadcast(c.rank() == n - 1 ? "from last" : "", n - 1), "from last");
        // Variable-length gather: rank r contributes r copies of r.
        const std::vector<int> mine(static_cast<std::size_t>(c.rank()), c.rank());
        std::vector<std::size_t> counts;
        const auto all = c.allgatherv(std::span<const int>(mine), &counts);
        std::vector<int> expect;
        for (int r = 0; r < n; ++r) expect.insert(expect.end(), static_cast<std::size_t>(r), r);
        EXPECT_EQ(all, expect);
        ASSERT_EQ(counts.size(), static_cast<std::size_t>(n));
        for (int r = 0; r < n; ++r) EXPECT_EQ(counts[static_cast<std::size_t>(r)], static_cast<std::size_t>(r));
        const auto strings = c.allgather_strings({"r" + std::to_string(c.rank()), ""});
        ASSERT_EQ(strings.size(), static_cast<std::size_t>(2 * n));
        EXPECT_EQ(strings[0], "r0");
        EXPECT_EQ(strings[1], "");
        if (n > 1) {
            EXPECT_EQ(strings[2], "r1");
        }
        c.barrier();
        ++checked;
    });
    EXPECT_EQ(checked.load(), n);
}

// The heart of rank-count invariance: per-chunk partial sums folded in chunk order give the
// same bits for any rank count, even for values where summation order matters.
TEST_P(simulated, ordered_sum_is_bitwise_independent_of_rank_count) {
    const int n = GetParam();
    std::mt19937_64 rng(11);
    std::vector<std::uint64_t> counts(300);
    for (auto& c : counts) c = 1 + rng() % 200;
    std::vector<double> values;
    for (auto c : counts)
        for (std::uint64_t k = 0; k < c; ++k) values.push_back(std::ldexp(static_cast<double>(rng() % 1000) - 500, static_cast<int>(rng() % 60) - 30));
    const auto chunks = make_chunks(counts, {500, 64});
    std::vector<std::uint64_t> point_begin(counts.size() + 1, 0);
    for (std::size_t i = 0; i < counts.size(); ++i) point_begin[i + 1] = point_begin[i] + counts[i];

    auto partial = [&](std::size_t chunk) {
        double s = 0;
        for (auto p = point_begin[chunks[chunk].begin]; p < point_begin[chunks[chunk].end]; ++p) s += values[p];
        return s;
    };
    double expect = 0;
    for (std::size_t k = 0; k < chunks.size(); ++k) expect += partial(k);

    std::vector<double> cost(chunks.size(), 1.0);
    std::mutex mu;
    std::vector<double> results;
    run_simulated(n, [&](const comm& c) {
        const auto mine = partition_contiguous(cost, c.size())[static_cast<std::size_t>(c.rank())];
        std::vector<double> local;
        for (auto k = mine.begin; k < mine.end; ++k) local.push_back(partial(k));
        const double s = sum_in_chunk_order(c, local);
        const std::lock_guard<std::mutex> lock(mu);
        results.push_back(s);
    });
    ASSERT_EQ(results.size(), static_cast<std::size_t>(n));
    for (double r : results) EXPECT_EQ(std::memcmp(&r, &expect, sizeof r), 0) << r << " vs " << expect;
}

TEST_P(simulated, alltoallv_delivers_each_buffer_to_its_rank) {
    const int n = GetParam();
    run_simulated(n, [n](const comm& c) {
        // Rank r sends to rank d a buffer of (r + 2 * d) bytes, all equal to r * 16 + d.
        std::vector<std::vector<std::byte>> send(static_cast<std::size_t>(n));
        for (int d = 0; d < n; ++d)
            send[static_cast<std::size_t>(d)].assign(static_cast<std::size_t>(c.rank() + 2 * d),
                                                     std::byte(static_cast<unsigned char>(c.rank() * 16 + d)));
        const auto recv = c.alltoallv(std::move(send));
        ASSERT_EQ(recv.size(), static_cast<std::size_t>(n));
        for (int from = 0; from < n; ++from) {
            const auto& b = recv[static_cast<std::size_t>(from)];
            ASSERT_EQ(b.size(), static_cast<std::size_t>(from + 2 * c.rank()));
            for (auto x : b) ASSERT_EQ(x, std::byte(static_cast<unsigned char>(from * 16 + c.rank())));
        }
    });
}

TEST_P(simulated, exception_on_one_rank_is_rethrown) {
    const int n = GetParam();
    EXPECT_THROW(run_simulated(n, [&](const comm& c) {
                     if (c.rank() == n - 1) throw std::runtime_error("boom");
                 }),
                 std::runtime_error);
}

INSTANTIATE_TEST_SUITE_P(ranks, simulated, ::testing::Range(1, 9));
