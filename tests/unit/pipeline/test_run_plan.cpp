// The plan phase of `tsbatch run` in one process: which input rows a selection reads and in
// which order (a group as a run of consecutive rows), the plan's counts and chunks, and the
// exact --dry-run listing.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "captured_file.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"
#include "pipeline/run_plan.hpp"

using namespace tsbatch;

namespace {

const char* yaml = R"(
input: {path: in.h5}
steps:
  - {name: q,      op: quality_stats}
  - {name: hourly, op: resample, input: source, params: {period: 1h}}
output: {path: out.h5}
)";

run_config config(const std::vector<std::string>& overrides = {}) {
    return parse_run_config(yaml, "t.yaml", overrides);
}

using test::printed;

// Rows 0..4: tags "site=b", (no site), "site=a", "site=b", "site=a".
const std::vector<std::string> metrics = {"gw.level", "gw.temp", "gw.level", "gw.temp", "gw.level"};
const std::vector<std::string> tags = {"site=b", "other=1", "site=a", "site=b", "site=a"};

}  // namespace

TEST(select_series, every_row_in_storage_order_without_select) {
    const auto cfg = config();
    const auto sel = select_series(5, {}, {}, cfg.input.select, std::nullopt);
    EXPECT_EQ(sel.rows, (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
    EXPECT_TRUE(sel.joined.empty());
}

TEST(select_series, by_metric_and_tag) {
    auto cfg = config({"input.select.metric=gw.level"});
    EXPECT_EQ(select_series(5, metrics, tags, cfg.input.select, std::nullopt).rows,
              (std::vector<std::uint64_t>{0, 2, 4}));
    cfg = config({"input.select.metric=gw.*", "input.select.tags={site: b}"});
    EXPECT_EQ(select_series(5, metrics, tags, cfg.input.select, std::nullopt).rows, (std::vector<std::uint64_t>{0, 3}));
    cfg = config({"input.select.metric=nothing"});
    EXPECT_TRUE(select_series(5, metrics, tags, cfg.input.select, std::nullopt).rows.empty());
}

TEST(select_series, groups_are_runs_of_rows_in_storage_order_untagged_first) {
    const auto cfg = config();
    const auto sel = select_series(5, {}, tags, cfg.input.select, std::string("site"));
    // No tag (row 1) first and alone; then site=a (rows 2, 4), then site=b (rows 0, 3).
    EXPECT_EQ(sel.rows, (std::vector<std::uint64_t>{1, 2, 4, 0, 3}));
    EXPECT_EQ(sel.joined, (std::vector<std::uint8_t>{0, 1, 0, 1, 0}));
}

TEST(select_series, groups_only_the_selected_rows) {
    const auto cfg = config({"input.select.metric=gw.level"});
    const auto sel = select_series(5, metrics, tags, cfg.input.select, std::string("site"));
    EXPECT_EQ(sel.rows, (std::vector<std::uint64_t>{2, 4, 0}));
    EXPECT_EQ(sel.joined, (std::vector<std::uint8_t>{1, 0, 0}));
}

TEST(plan_run, counts_follow_the_run_order_and_chunks_cover_every_row) {
    const auto cfg = config({"run.chunk_series=2"});
    const step_pipeline p(cfg);
    const std::vector<std::uint64_t> input_counts = {10, 20, 30, 40, 50};
    const auto sel = select_series(5, {}, tags, cfg.input.select, std::string("site"));
    for (int n = 1; n <= 4; ++n) {
        const auto plan = plan_run(sel, input_counts, p, cfg, n);
        EXPECT_EQ(plan.rows, sel.rows);
        EXPECT_EQ(plan.counts, (std::vector<std::uint64_t>{20, 30, 50, 10, 40}));
        EXPECT_EQ(plan.total_points, 150u);
        const auto want = decompose(plan.counts, p, cfg.run.balance, n, sel.joined, chunking{cfg.run.chunk_points, 2});
        EXPECT_EQ(plan.split.chunks, want.chunks);
        EXPECT_EQ(plan.split.rank_chunks, want.rank_chunks);
        std::vector<std::uint64_t> rows;
        for (std::size_t k = 0; k < plan.split.chunks.size(); ++k) {
            const auto r = plan.rows_of_chunk(k);
            // At most chunk_series series, unless its second series's group goes on; never a
            // group split.
            const auto begin = plan.split.chunks[k].begin;
            EXPECT_TRUE(r.size() <= 2 || sel.joined[begin + 1] != 0) << "chunk " << k;
            if (begin > 0) {
                EXPECT_EQ(sel.joined[begin - 1], 0) << "chunk " << k;
            }
            rows.insert(rows.end(), r.begin(), r.end());
        }
        EXPECT_EQ(rows, plan.rows);
        std::uint64_t points = 0;
        for (int r = 0; r < n; ++r) points += plan.points_of_rank(r);
        EXPECT_EQ(points, plan.total_points) << n << " ranks";
    }
}

TEST(plan_run, a_chunk_never_splits_a_group) {
    const auto cfg = config({"run.chunk_series=1"});
    const step_pipeline p(cfg);
    const auto sel = select_series(5, {}, tags, cfg.input.select, std::string("site"));
    const auto plan = plan_run(sel, std::vector<std::uint64_t>(5, 100), p, cfg, 2);
    // Groups: {1}, {2, 4}, {0, 3}: one chunk each although chunk_series is 1.
    EXPECT_EQ(plan.split.chunks, (std::vector<index_range>{{0, 1}, {1, 3}, {3, 5}}));
}

TEST(plan_run, balance_by_points_gives_each_rank_its_share) {
    const auto cfg = config({"run.chunk_series=1", "run.balance=points"});
    const step_pipeline p(cfg);
    const auto plan = plan_run(select_series(4, {}, {}, cfg.input.select, std::nullopt),
                               std::vector<std::uint64_t>{100, 100, 100, 100}, p, cfg, 2);
    EXPECT_EQ(plan.split.series_of_rank(0), (index_range{0, 2}));
    EXPECT_EQ(plan.split.series_of_rank(1), (index_range{2, 4}));
    EXPECT_EQ(plan.points_of_rank(0), 200u);
    EXPECT_DOUBLE_EQ(plan.split.imbalance(), 1.0);
}

TEST(print_dry_run, lists_selection_steps_ranks_and_output) {
    const auto cfg = config({"run.chunk_series=1", "run.balance=points", "output.keep=[q]"});
    const step_pipeline p(cfg);
    const auto plan = plan_run(
        select_series(5, metrics, tags, config({"input.select.tags={site: \"*\"}"}).input.select, std::nullopt),
        std::vector<std::uint64_t>{1000, 9, 1500, 1000, 500}, p, cfg, 2);
    ASSERT_EQ(plan.rows, (std::vector<std::uint64_t>{0, 2, 3, 4}));
    const auto text = printed([&](std::FILE* f) { print_dry_run(f, plan, cfg, "cfg.yaml", "in.h5:/g", 5, 2); });
    EXPECT_EQ(text,
              "dry run: cfg.yaml\n"
              "input in.h5:/g: 4 of 5 series selected, 4.0k points, 4 chunks\n"
              "step q                op quality_stats  input source      \n"
              "step hourly           op resample       input source        (not kept)\n"
              "rank 0: series [0, 2) 2.5k points\n"
              "rank 1: series [2, 4) 1.5k points\n"
              "estimated imbalance (max/mean rank cost): 1.250\n"
              "output out.h5 (not written)\n");
}
