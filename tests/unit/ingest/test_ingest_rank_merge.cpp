// merge_across_ranks: inputs split over 1..6 simulated ranks must give, gathered in rank
// order, exactly the batch one accumulator builds from all inputs in order (the reference),
// for every duplicate policy.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "ingest/rank_merge.hpp"
#include "simulated_comm.hpp"

using namespace tsbatch;
using namespace tsbatch::ingest;

namespace {

struct record {
    series_key key;
    std::int64_t time;
    double value;
};

// Eight "files" of records: overlapping series, unsorted times, duplicates within and
// across files, NaN values, and series found in one file only.
std::vector<std::vector<record>> make_files() {
    std::mt19937_64 rng(7);
    std::vector<std::vector<record>> files(8);
    for (std::size_t f = 0; f < files.size(); ++f)
        for (int i = 0; i < 300; ++i) {
            const auto s = rng() % 13;
            series_key key{"m" + std::to_string(s % 4), s % 3 == 0 ? "" : "site=S" + std::to_string(s)};
            if (s == 12) key = {"only.f" + std::to_string(f), "k=v"};
            const auto t = static_cast<std::int64_t>(rng() % 200) * 1000;
            const double v = rng() % 17 == 0 ? std::nan("") : static_cast<double>(rng() % 1000) / 8;
            files[f].push_back({key, t, v});
        }
    return files;
}

void feed(accumulator& acc, const std::vector<record>& file) {
    for (const auto& r : file) acc.point(acc.series(r.key), r.time, r.value);
}

void expect_same(const series_batch& got, const series_batch& want) {
    ASSERT_EQ(got.meta.size(), want.meta.size());
    for (std::size_t i = 0; i < want.meta.size(); ++i) {
        EXPECT_EQ(got.meta[i].id, want.meta[i].id);
        EXPECT_EQ(got.meta[i].metric, want.meta[i].metric);
        EXPECT_EQ(got.meta[i].tags, want.meta[i].tags);
        EXPECT_EQ(got.meta[i].source_index, i);
    }
    ASSERT_EQ(got.offset, want.offset);
    ASSERT_EQ(got.time, want.time);
    ASSERT_EQ(got.value.size(), want.value.size());
    // Bitwise, so NaN compares equal and the mean is checked exactly.
    EXPECT_EQ(std::memcmp(got.value.data(), want.value.data(), want.value.size() * sizeof(double)), 0);
}

class rank_merge : public ::testing::TestWithParam<std::tuple<int, duplicate_policy>> {};

TEST_P(rank_merge, equals_one_accumulator_over_all_inputs) {
    // Plain variables, not a structured binding: the lambda below captures policy, which
    // Clang 14 (the sanitizer build) does not allow for a binding.
    const int nranks = std::get<0>(GetParam());
    const duplicate_policy policy = std::get<1>(GetParam());
    const auto files = make_files();

    accumulator all;
    for (const auto& f : files) feed(all, f);
    std::uint64_t want_reports = 0;
    parse_context ref_ctx([&](const diagnostic&) { ++want_reports; });
    const auto want = all.finish(policy, ref_ctx);

    std::vector<series_batch> parts(static_cast<std::size_t>(nranks));
    std::uint64_t got_reports = 0;
    std::mutex mu;
    run_simulated(nranks, [&](const comm& c) {
        // Rank r parses a consecutive run of files, as stage-in assigns them.
        accumulator acc;
        const auto n = files.size(), r = static_cast<std::size_t>(c.rank()), k = static_cast<std::size_t>(c.size());
        for (auto f = n * r / k; f < n * (r + 1) / k; ++f) feed(acc, files[f]);
        std::uint64_t reports = 0;
        parse_context ctx([&](const diagnostic&) { ++reports; });
        auto mine = merge_across_ranks(c, acc, policy, ctx);
        const std::lock_guard<std::mutex> lock(mu);
        parts[r] = std::move(mine);
        got_reports += reports;
    });
    series_batch got;
    for (const auto& p : parts)
        for (std::size_t i = 0; i < p.meta.size(); ++i) got.append(p.meta[i], p.series(i));
    expect_same(got, want);
    EXPECT_EQ(got_reports, want_reports);
    if (policy == duplicate_policy::error) {
        EXPECT_GT(want_reports, 0u);
    }
}

INSTANTIATE_TEST_SUITE_P(ranks_and_policies, rank_merge,
                         ::testing::Combine(::testing::Values(1, 2, 3, 5, 6),
                                            ::testing::Values(duplicate_policy::error, duplicate_policy::first,
                                                              duplicate_policy::last, duplicate_policy::mean)));

TEST(rank_merge_empty, ranks_without_input_get_an_empty_share) {
    run_simulated(3, [](const comm& c) {
        accumulator acc;
        if (c.rank() == 1) acc.point(acc.series({"m", "k=v"}), 5, 1.0);
        parse_context ctx([](const diagnostic&) {});
        const auto mine = merge_across_ranks(c, acc, duplicate_policy::error, ctx);
        const auto total = c.sum(mine.meta.size());
        EXPECT_EQ(total, 1u);
    });
}

}  // namespace
