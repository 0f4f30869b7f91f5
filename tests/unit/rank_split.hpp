#pragma once
// Rank invariance in one process: the series of a run split over N simulated ranks as the
// planner splits them, each rank's share run by the pipeline, the ranks' results joined in
// rank order. The chunks are made small enough that every rank gets work, and that is
// asserted: a test where rank 0 does everything proves nothing about the others.
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "parallel/partition.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/executor.hpp"
#include "simulated_comm.hpp"

namespace tsbatch::test_support {

/// Chunks of at most this many series, so that a test input of a few dozen series makes
/// more chunks than the largest rank count tested (8).
inline chunking small_chunks(std::size_t max_series = 3) {
    chunking rule;
    rule.max_series = max_series;
    return rule;
}

/// The execution of `input` on `nranks` simulated ranks, joined in rank order, for
/// expect_same_execution against a one-rank run. Fails the test when a rank gets no series
/// or a chunk boundary splits a joined group.
inline execution run_split_over_ranks(const step_pipeline& p, const series_batch& input, int nranks,
                                      std::span<const std::uint8_t> joined = {},
                                      const chunking& rule = small_chunks()) {
    std::vector<std::uint64_t> counts(input.size());
    for (std::size_t i = 0; i < input.size(); ++i) counts[i] = input.count(i);
    const auto plan = decompose(counts, p, "cost", nranks, joined, rule);
    for (const auto& c : plan.chunks) {
        if (c.begin > 0 && !joined.empty()) {
            EXPECT_EQ(joined[c.begin - 1], 0) << "a chunk boundary splits a group";
        }
    }
    for (int r = 0; r < nranks; ++r)
        EXPECT_GT(plan.series_of_rank(r).size(), 0u)
            << "rank " << r << " of " << nranks << " gets no series: make the chunks smaller or the input larger";
    std::vector<execution> parts(static_cast<std::size_t>(nranks));
    run_simulated(nranks, [&](const comm& c) {
        const auto mine = plan.series_of_rank(c.rank());
        series_batch share;
        for (auto i = mine.begin; i < mine.end; ++i) share.append(input.meta[i], input.series(i));
        parts[static_cast<std::size_t>(c.rank())] = p.run(share, "in.h5", false);
    });
    execution all;
    for (auto& part : parts) append_execution(all, std::move(part));
    return all;
}

}  // namespace tsbatch::test_support
