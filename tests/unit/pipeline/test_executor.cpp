#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

#include "core/error.hpp"
#include "execution_compare.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"
#include "rank_split.hpp"
#include "simulated_comm.hpp"
#include "synthetic/generate.hpp"

using namespace tsbatch;

namespace {

const char* pipeline_yaml = R"(
input: {path: in.h5}
steps:
  - {name: q,      op: quality_stats}
  - {name: hourly, op: resample, input: source, params: {period: 1h, aggregation: median, fill: linear, max_gap: 6h}}
  - {name: z,      op: scale, params: {method: zscore}}
  - {name: copy,   op: identity, input: source}
output: {path: out.h5}
)";

series_batch generated(std::uint64_t n, std::uint64_t mean_points) {
    generate_options opt;
    opt.series = n;
    opt.mean_points = mean_points;
    opt.seed = 3;
    const auto lengths = plan_series_lengths(opt);
    series_batch b;
    for (std::uint64_t i = 0; i < n; ++i) generate_series(opt, i, lengths[i], b);
    return b;
}

}  // namespace

TEST(step_pipeline, runs_steps_and_keeps_series_identity) {
    const auto cfg = parse_run_config(pipeline_yaml, "t.yaml");
    const step_pipeline p(cfg);
    const auto input = generated(20, 500);
    const auto ex = p.run(input, "in.h5", false);
    ASSERT_EQ(ex.steps.size(), 4u);
    EXPECT_EQ(ex.steps[0].outputs[0].kind, data_kind::table);
    EXPECT_EQ(ex.steps[0].outputs[0].table.size(), 20u);
    for (std::size_t k = 1; k < 4; ++k) ASSERT_EQ(ex.steps[k].outputs[0].series.size(), 20u);
    for (std::size_t i = 0; i < 20; ++i) {
        EXPECT_EQ(ex.steps[2].outputs[0].series.meta[i].id, input.meta[i].id);
        EXPECT_EQ(ex.steps[2].outputs[0].series.meta[i].source_index, i);
        // z scales hourly: same timestamps
        EXPECT_EQ(ex.steps[2].outputs[0].series.count(i), ex.steps[1].outputs[0].series.count(i));
    }
    EXPECT_TRUE(test_support::same_bits(ex.steps[3].outputs[0].series.value, input.value));
    EXPECT_EQ(ex.steps[3].outputs[0].series.time, input.time);
    EXPECT_EQ(ex.series_done, 20u);
    EXPECT_EQ(ex.points_done, input.point_count());
}

TEST(step_pipeline, invalid_series_fails_or_is_skipped) {
    const auto cfg = parse_run_config(pipeline_yaml, "t.yaml");
    const step_pipeline p(cfg);
    series_batch b;
    const std::vector<std::int64_t> good_t = {1, 2, 3}, bad_t = {1, 3, 3};
    const std::vector<double> v = {1, 2, 3};
    b.append({"a", "m", "", 0}, {good_t, v});
    b.append({"bad{x=1}", "m", "x=1", 1}, {bad_t, v});
    b.append({"c", "m", "", 2}, {good_t, v});
    try {
        (void)p.run(b, "in.h5", false);
        FAIL() << "expected input_error";
    } catch (const input_error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("in.h5"), std::string::npos) << msg;
        EXPECT_NE(msg.find("bad{x=1}"), std::string::npos) << msg;
        EXPECT_NE(msg.find("point 2"), std::string::npos) << msg;
    }
    const auto ex = p.run(b, "in.h5", true);
    ASSERT_EQ(ex.skipped.size(), 1u);
    EXPECT_EQ(ex.skipped[0].source_index, 1u);
    EXPECT_EQ(ex.steps[3].outputs[0].series.size(), 2u);
    EXPECT_EQ(ex.steps[3].outputs[0].series.meta[1].source_index, 2u);

    // A chunk checked where it was read (all_series_valid) is not checked again: the run
    // trusts the flag, which is why only all_series_valid may set it.
    EXPECT_FALSE(all_series_valid(b));
    series_batch good;
    good.append({"a", "m", "", 0}, {good_t, v});
    good.append({"c", "m", "", 2}, {good_t, v});
    EXPECT_TRUE(all_series_valid(good));
    EXPECT_TRUE(all_series_valid(series_batch{}));
    const auto trusted = p.run(b, "in.h5", false, {}, true);
    EXPECT_TRUE(trusted.skipped.empty());
    EXPECT_EQ(trusted.steps[3].outputs[0].series.size(), 3u);
}

TEST(select_time, keeps_half_open_window) {
    series_batch b;
    const std::vector<std::int64_t> t = {0, 10, 20, 30};
    const std::vector<double> v = {0, 1, 2, 3};
    b.append({"a", "m", "", 0}, {t, v});
    b.append({"b", "m", "", 1}, {t, v});
    select_time(b, 10, 30);
    EXPECT_EQ(b.time, (std::vector<std::int64_t>{10, 20, 10, 20}));
    EXPECT_EQ(b.offset, (std::vector<std::uint64_t>{0, 2, 4}));
}

// Every rank count from 1 to 8 produces the same output, bit for bit, as one rank: the
// decomposition splits the input, each simulated rank runs its slab, and the slabs
// concatenated in rank order equal the single-rank result.
class rank_invariance : public ::testing::TestWithParam<int> {};

TEST_P(rank_invariance, outputs_identical_to_one_rank) {
    const auto cfg = parse_run_config(pipeline_yaml, "t.yaml");
    const step_pipeline p(cfg);
    const auto input = generated(120, 300);
    const auto reference = p.run(input, "in.h5", false);
    // 40 chunks of 3 series: every rank of 8 gets several (run_split_over_ranks checks it).
    test_support::expect_same_execution(reference, test_support::run_split_over_ranks(p, input, GetParam()));
}

INSTANTIATE_TEST_SUITE_P(ranks, rank_invariance, ::testing::Range(1, 9));

TEST(decompose, chunks_do_not_depend_on_rank_count) {
    const auto cfg = parse_run_config(pipeline_yaml, "t.yaml");
    const step_pipeline p(cfg);
    std::vector<std::uint64_t> counts(5000);
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = (i * 7919) % 3000;
    const auto one = decompose(counts, p, "cost", 1);
    for (int n = 2; n <= 8; ++n) EXPECT_EQ(decompose(counts, p, "cost", n).chunks, one.chunks);
}

TEST(check_series, refuses_timestamps_beyond_two_to_the_62) {
    const std::vector<double> v = {1, 2};
    const std::vector<std::int64_t> ok = {-(std::int64_t{1} << 62), std::int64_t{1} << 62};
    EXPECT_EQ(check_series({ok, v}), "");
    const std::vector<std::int64_t> high = {0, (std::int64_t{1} << 62) + 1};
    EXPECT_NE(check_series({high, v}).find("outside the supported range"), std::string::npos);
    const std::vector<std::int64_t> low = {std::numeric_limits<std::int64_t>::min(), 0};
    EXPECT_NE(check_series({low, v}).find("outside the supported range"), std::string::npos);
}
