// The summary and report phase of `tsbatch run` in one process: the exact summary text, the
// report's data (each step's input points found from its input), the sample series taken
// from rank 0's share, where the report goes, and that a report that cannot be written is a
// warning only.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "synthetic/generate.hpp"
#include "captured_file.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"
#include "pipeline/run_compute.hpp"
#include "pipeline/run_plan.hpp"
#include "pipeline/run_summary.hpp"

using namespace tsbatch;

namespace {

const char* yaml = R"(
input: {path: in.h5}
steps:
  - {name: q,      op: quality_stats}
  - {name: hourly, op: resample, input: source, params: {period: 1h, aggregation: mean}}
  - {name: z,      op: scale, input: hourly, params: {method: zscore}}
  - {name: spikes, op: outliers, input: source, params: {method: iqr}}
  - {name: zs,     op: scale, input: spikes/series, params: {method: minmax}}
output: {path: out.h5}
)";

using test::printed;

// 4 series of 100 points, one chunk each, 2 ranks of 2 series (balance by points: planned 1.000).
run_plan four_series_plan(const run_config& cfg, const step_pipeline& p, int nranks) {
    return plan_run(select_series(4, {}, {}, cfg.input.select, std::nullopt), std::vector<std::uint64_t>(4, 100), p,
                    cfg, nranks);
}

series_batch input_series(std::uint64_t n) {
    generate_options opt;
    opt.series = n;
    opt.mean_points = 300;
    opt.seed = 8;
    const auto lengths = plan_series_lengths(opt);
    series_batch b;
    for (std::uint64_t i = 0; i < n; ++i) generate_series(opt, i, lengths[i], b);
    return b;
}

row_reader reader_of(const series_batch& all) {
    return [&all](std::span<const std::uint64_t> rows, series_batch&&) {
        series_batch out;
        for (auto r : rows) out.append(all.meta[r], all.series(r));
        return out;
    };
}

std::string temp_dir(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("tsbatch_run_summary_" + std::to_string(::getpid()) + "_" + name))
        .string();
}

}  // namespace

TEST(print_run_summary, every_line_with_checkpoint_skipped_series_and_a_long_step_name) {
    const auto cfg =
        parse_run_config(yaml, "t.yaml", {"run.chunk_series=1", "run.balance=points", "run.checkpoint=ck"});
    const step_pipeline p(cfg);
    const auto plan = four_series_plan(cfg, p, 2);
    run_outcome o;
    o.ranks = 2;
    o.rank_work = {{2, 200, 0.5, 1.0, 0.25}, {2, 200, 0.25, 3.0, 0.125}};
    o.rank_hosts = {"n1", "n2"};
    o.steps = {{"q", "quality_stats", 4, 0, 0, 0.5, true},
               {"hourly", "resample", 4, 80, 1, 1.25, false},
               {"a_rather_long_step_name/out", "pca", 3, 0, 0, 2.0, true}};
    o.skipped = 3;
    o.chunks_reused = 1;
    const auto text = printed([&](std::FILE* f) {
        print_run_summary(f, cfg, "cfg.yaml", plan, o, 2.0, fixed_costs{0.0125, 0.003, 0.25, 0.0404});
    });
    EXPECT_EQ(text,
              "tsbatch run: cfg.yaml -> out.h5\n"
              "4 series, 400 points on 2 ranks in 2.00 s (200 points/s)\n"
              "balance points: imbalance (max/mean) 1.000 planned, 1.500 in compute time\n"
              "checkpoint ck: 1 of 4 chunks taken from it, 3 computed\n"
              "  rank     series       points    read_s  compute_s   write_s  host\n"
              "     0          2          200     0.500      1.000     0.250  n1\n"
              "     1          2          200     0.250      3.000     0.125  n2\n"
              "step                        op                     rows       points    empty   seconds\n"
              "q                           quality_stats             4            0        0     0.500\n"
              "hourly                      resample                  4           80        1     1.250  (not kept)\n"
              "a_rather_long_step_name/out pca                       3            0        0     2.000\n"
              "fixed costs: start 0.013 s, setup 0.003 s, finish 0.250 s, report 0.040 s\n"
              "3 series skipped (invalid input); listed in out.h5:/_run_skipped\n");
}

TEST(print_run_summary, one_rank_without_checkpoint_or_skipped_series) {
    const auto cfg = parse_run_config(yaml, "t.yaml", {"run.chunk_series=1", "run.balance=points"});
    const step_pipeline p(cfg);
    const auto plan = four_series_plan(cfg, p, 1);
    run_outcome o;
    o.ranks = 1;
    o.rank_work = {{4, 400, 0.5, 1.0, 0.25}};
    o.rank_hosts = {"laptop"};
    o.steps = {{"q", "quality_stats", 4, 0, 0, 0.5, true}};
    const auto text = printed([&](std::FILE* f) { print_run_summary(f, cfg, "cfg.yaml", plan, o, 0.5); });
    EXPECT_EQ(text,
              "tsbatch run: cfg.yaml -> out.h5\n"
              "4 series, 400 points on 1 rank in 0.50 s (800 points/s)\n"
              "balance points: imbalance (max/mean) 1.000 planned, 1.000 in compute time\n"
              "  rank     series       points    read_s  compute_s   write_s  host\n"
              "     0          4          400     0.500      1.000     0.250  laptop\n"
              "step             op                     rows       points    empty   seconds\n"
              "q                quality_stats             4            0        0     0.500\n"
              "fixed costs: start 0.000 s, setup 0.000 s, finish 0.000 s, report 0.000 s\n");
}

TEST(report_data, finds_each_steps_input_points_and_copies_the_outcome) {
    const auto cfg = parse_run_config(yaml, "t.yaml", {"run.chunk_series=1", "run.balance=points"});
    const step_pipeline p(cfg);
    const auto plan = four_series_plan(cfg, p, 2);
    run_outcome o;
    o.ranks = 2;
    o.rank_work = {{2, 200, 0.5, 1.0, 0.25}, {2, 200, 0.25, 3.0, 0.125}};
    o.rank_hosts = {"n1", "n2"};
    o.steps = {{"q", "quality_stats", 4, 0, 0, 0.5, true},
               {"hourly", "resample", 4, 80, 0, 1.0, true},
               {"z", "scale", 4, 80, 0, 0.1, false},
               {"spikes/series", "outliers", 4, 390, 0, 0.2, true},
               {"spikes/flags", "outliers", 7, 0, 0, 0.2, true},
               {"zs", "scale", 4, 390, 0, 0.1, true},
               {"elsewhere/x", "pca", 2, 0, 0, 0.3, true}};
    o.skipped = 2;
    o.chunks_reused = 3;
    const auto d = report_data(cfg, "cfg.yaml", plan, o);
    EXPECT_EQ(d.config_path, "cfg.yaml");
    EXPECT_EQ(d.output_path, "out.h5");
    EXPECT_EQ(d.ranks, 2);
    EXPECT_EQ(d.total_series, 4u);
    EXPECT_EQ(d.total_points, 400u);
    EXPECT_EQ(d.rank_work.size(), 2u);
    EXPECT_EQ(d.rank_work[1].compute_s, 3.0);
    EXPECT_EQ(d.rank_hosts, (std::vector<std::string>{"n1", "n2"}));
    EXPECT_DOUBLE_EQ(d.planned_imbalance, 1.0);
    EXPECT_EQ(d.skipped_series, 2u);
    EXPECT_EQ(d.chunks, 4u);
    EXPECT_EQ(d.chunks_from_checkpoint, 3u);
    EXPECT_TRUE(d.samples.empty());
    ASSERT_EQ(d.steps.size(), 7u);
    const std::vector<std::uint64_t> input_points = {400, 400, 80, 400, 400, 390, 0};
    for (std::size_t i = 0; i < d.steps.size(); ++i) {
        EXPECT_EQ(d.steps[i].name, o.steps[i].name);
        EXPECT_EQ(d.steps[i].rows, o.steps[i].rows);
        EXPECT_EQ(d.steps[i].points, o.steps[i].points);
        EXPECT_EQ(d.steps[i].seconds, o.steps[i].seconds);
        EXPECT_EQ(d.steps[i].kept, o.steps[i].kept);
        EXPECT_EQ(d.steps[i].input_points, input_points[i]) << d.steps[i].name;
    }
}

TEST(report_samples, first_middle_and_last_series_of_rank_0_before_and_after_each_series_step) {
    const auto cfg = parse_run_config(yaml, "t.yaml", {"run.chunk_series=3"});
    const step_pipeline p(cfg);
    const auto input = input_series(30);
    std::vector<std::uint64_t> counts(input.size());
    for (std::size_t i = 0; i < input.size(); ++i) counts[i] = input.count(i);
    const auto plan = plan_run(select_series(input.size(), {}, {}, cfg.input.select, std::nullopt), counts, p, cfg, 3);
    const auto slab = plan.split.series_of_rank(0);
    ASSERT_GE(slab.size(), 3u);
    series_batch mine;
    for (auto i = slab.begin; i < slab.end; ++i) mine.append(input.meta[plan.rows[i]], input.series(plan.rows[i]));
    const auto ex = p.run(mine, "in.h5", false);

    const auto samples = report_samples(cfg, plan, ex, reader_of(input));
    ASSERT_EQ(samples.size(), 3u);
    const std::vector<std::uint64_t> rows = {plan.rows[slab.begin], plan.rows[slab.begin + slab.size() / 2],
                                             plan.rows[slab.end - 1]};
    for (std::size_t k = 0; k < 3; ++k) {
        const auto& s = samples[k];
        EXPECT_EQ(s.id, input.meta[rows[k]].id);
        ASSERT_EQ(s.traces.size(), 5u);  // source, hourly, z, spikes/series, zs: no table
        const std::vector<std::string> labels = {"source", "hourly", "z", "spikes/series", "zs"};
        for (std::size_t t = 0; t < labels.size(); ++t) EXPECT_EQ(s.traces[t].label, labels[t]);
        const auto src = input.series(rows[k]);
        EXPECT_EQ(s.traces[0].time, std::vector<std::int64_t>(src.time.begin(), src.time.end()));
        const auto& hourly = ex.steps[1].outputs[0].series;
        const auto local =
            static_cast<std::size_t>(
                std::find(plan.rows.begin() + static_cast<std::ptrdiff_t>(slab.begin), plan.rows.end(), rows[k]) -
                plan.rows.begin()) -
            slab.begin;
        EXPECT_EQ(s.traces[1].time,
                  std::vector<std::int64_t>(hourly.series(local).time.begin(), hourly.series(local).time.end()));
    }
}

TEST(report_samples, one_sample_per_series_of_a_small_share_and_none_of_an_empty_one) {
    const auto cfg = parse_run_config(yaml, "t.yaml", {"run.chunk_series=1"});
    const step_pipeline p(cfg);
    const auto input = input_series(1);
    const auto plan = plan_run(select_series(1, {}, {}, cfg.input.select, std::nullopt),
                               std::vector<std::uint64_t>{input.count(0)}, p, cfg, 1);
    const auto samples = report_samples(cfg, plan, p.run(input, "in.h5", false), reader_of(input));
    ASSERT_EQ(samples.size(), 1u);
    EXPECT_EQ(samples[0].id, input.meta[0].id);

    const auto none = plan_run(select_series(0, {}, {}, cfg.input.select, std::nullopt), {}, p, cfg, 1);
    EXPECT_TRUE(report_samples(cfg, none, execution{}, reader_of(input)).empty());
}

TEST(report_path_of, next_to_the_result_without_its_h5) {
    EXPECT_EQ(report_path_of("out.h5"), "out.report.html");
    EXPECT_EQ(report_path_of("dir/run.1.h5"), "dir/run.1.report.html");
    EXPECT_EQ(report_path_of("result"), "result.report.html");
    EXPECT_EQ(report_path_of("x.hdf5"), "x.hdf5.report.html");
    EXPECT_EQ(report_path_of(".h5"), ".h5.report.html");
}

TEST(write_report, writes_the_page_next_to_the_result_or_warns) {
    const auto dir = temp_dir("report");
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto cfg = parse_run_config(yaml, "t.yaml", {"output.path=" + dir + "/res.h5"});
    const step_pipeline p(cfg);
    const auto input = input_series(4);
    std::vector<std::uint64_t> counts(input.size());
    for (std::size_t i = 0; i < input.size(); ++i) counts[i] = input.count(i);
    const auto plan = plan_run(select_series(input.size(), {}, {}, cfg.input.select, std::nullopt), counts, p, cfg, 1);
    run_outcome o;
    o.ranks = 1;
    o.rank_work = {{4, plan.total_points, 0.1, 0.2, 0.3}};
    const auto ex = p.run(input, "in.h5", false);
    const run_clock clock;
    write_report(cfg, "my_config.yaml", "9.9.9 (abc)", clock, plan, o, ex, reader_of(input));
    std::ifstream f(dir + "/res.report.html");
    ASSERT_TRUE(f.good());
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string page = ss.str();
    EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_NE(page.find("my_config.yaml"), std::string::npos);
    EXPECT_NE(page.find("9.9.9 (abc)"), std::string::npos);
    EXPECT_NE(page.find(input.meta[0].id), std::string::npos);  // a sample series

    const auto bad = parse_run_config(yaml, "t.yaml", {"output.path=" + dir + "/missing/res.h5"});
    testing::internal::CaptureStderr();
    EXPECT_NO_THROW(write_report(bad, "my_config.yaml", "9.9.9 (abc)", clock, plan, o, ex, reader_of(input)));
    EXPECT_EQ(testing::internal::GetCapturedStderr().rfind("tsbatch: warning: no run report: ", 0), 0u);
    std::filesystem::remove_all(dir);
}
