// The compute phase of `tsbatch run` on simulated ranks: each rank reads exactly its chunks,
// the ranks' results in rank order equal one run over every series, a checkpoint's chunks are
// taken instead of computed (on any rank count), invalid series are skipped or fail every
// rank, the step totals sum over ranks, and the source a dataset-wide step reads is kept
// once, without invalid series.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"
#include "execution_compare.hpp"
#include "parallel/agreement.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/config.hpp"
#include "pipeline/run_compute.hpp"
#include "pipeline/run_plan.hpp"
#include "simulated_comm.hpp"
#include "synthetic/generate.hpp"

using namespace tsbatch;

namespace {

// Series and table outputs, a multi-output step and a step on a step.
const char* yaml = R"(
input: {path: in.h5}
steps:
  - {name: q,      op: quality_stats}
  - {name: hourly, op: resample, input: source, params: {period: 1h, aggregation: mean}}
  - {name: z,      op: scale, input: hourly, params: {method: zscore}}
  - {name: spikes, op: outliers, input: source, params: {method: iqr}}
output: {path: out.h5}
run: {chunk_series: 7}
)";

constexpr std::size_t invalid_row = 11;

series_batch input_series(bool with_invalid) {
    generate_options opt;
    opt.series = 60;
    opt.mean_points = 150;
    opt.seed = 5;
    const auto lengths = plan_series_lengths(opt);
    series_batch b;
    for (std::uint64_t i = 0; i < opt.series; ++i) generate_series(opt, i, lengths[i], b);
    if (with_invalid) std::swap(b.time[b.offset[invalid_row]], b.time[b.offset[invalid_row] + 1]);
    return b;
}

std::vector<std::uint64_t> counts_of(const series_batch& b) {
    std::vector<std::uint64_t> c(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) c[i] = b.count(i);
    return c;
}

// An in-memory input: the rows asked for, in that order; every request is noted per rank.
struct memory_input {
    const series_batch& all;
    std::mutex m;
    std::vector<std::vector<std::uint64_t>> rows_read;  // per rank

    explicit memory_input(const series_batch& b, int nranks) : all(b), rows_read(static_cast<std::size_t>(nranks)) {}
    row_reader reader(int rank) {
        return [this, rank](std::span<const std::uint64_t> rows, series_batch&&) {
            series_batch out;
            for (auto r : rows) out.append(all.meta[r], all.series(r));
            std::lock_guard<std::mutex> lock(m);
            auto& mine = rows_read[static_cast<std::size_t>(rank)];
            mine.insert(mine.end(), rows.begin(), rows.end());
            return out;
        };
    }
};

row_reader failing_reader() {
    return
        [](std::span<const std::uint64_t>, series_batch&&) -> series_batch { throw input_error("the input was read"); };
}

run_plan plan_for(const series_batch& input, const run_config& cfg, const step_pipeline& p, int nranks) {
    return plan_run(select_series(input.size(), {}, {}, cfg.input.select, std::nullopt), counts_of(input), p, cfg,
                    nranks);
}

// compute_chunks on n simulated ranks reading `in`, without a checkpoint: each rank's run.
std::vector<computed_run> compute_on_ranks(int n, const run_config& cfg, const step_pipeline& p, const run_plan& plan,
                                           memory_input& in, const compute_options& options) {
    std::vector<computed_run> runs(static_cast<std::size_t>(n));
    run_simulated(n, [&](const comm& c) {
        runs[static_cast<std::size_t>(c.rank())] =
            compute_chunks(c, cfg, p, plan, "in.h5", in.reader(c.rank()), nullptr, options);
    });
    return runs;
}

execution concat(std::vector<execution> parts) {
    execution all;
    for (auto& part : parts) append_execution(all, std::move(part));
    return all;
}

std::string temp_dir(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("tsbatch_run_compute_" + std::to_string(::getpid()) + "_" + name))
        .string();
}

}  // namespace

class compute_chunks_ranks : public ::testing::TestWithParam<int> {};

TEST_P(compute_chunks_ranks, each_rank_reads_its_chunks_and_the_ranks_equal_one_run) {
    const int n = GetParam();
    const auto cfg = parse_run_config(yaml, "t.yaml");
    const step_pipeline p(cfg);
    const auto input = input_series(false);
    const auto reference = p.run(input, "in.h5", false);
    const auto plan = plan_for(input, cfg, p, n);
    ASSERT_GT(plan.split.chunks.size(), 5u);

    for (bool ahead : {false, true}) {  // the chunks read in the loop, or one ahead on a thread
        SCOPED_TRACE(ahead ? "read ahead" : "read in the loop");
        memory_input in(input, n);
        const auto runs = compute_on_ranks(n, cfg, p, plan, in, {.io_threads = ahead});

        std::vector<execution> parts;
        for (int r = 0; r < n; ++r) {
            const auto& run = runs[static_cast<std::size_t>(r)];
            const auto slab = plan.split.series_of_rank(r);
            const auto mine = plan.split.rank_chunks[static_cast<std::size_t>(r)];
            // It read its own rows, chunk after chunk, once.
            EXPECT_EQ(in.rows_read[static_cast<std::size_t>(r)],
                      std::vector<std::uint64_t>(plan.rows.begin() + static_cast<std::ptrdiff_t>(slab.begin),
                                                 plan.rows.begin() + static_cast<std::ptrdiff_t>(slab.end)));
            EXPECT_EQ(run.timing.series, slab.size());
            EXPECT_EQ(run.timing.points, plan.points_of_rank(r));
            EXPECT_EQ(run.timing.write_s, 0.0);
            EXPECT_EQ(run.chunks_reused, 0u);
            EXPECT_EQ(run.skipped, 0u);
            // Rows of every output, chunk by chunk, add up to the rank's rows of that output.
            ASSERT_EQ(run.chunk_rows.size(), run.ex.steps.size());
            for (std::size_t s = 0; s < run.ex.steps.size(); ++s) {
                const auto& outs = run.ex.steps[s].outputs;
                ASSERT_EQ(run.chunk_rows[s].size(), outs.size());
                for (std::size_t o = 0; o < outs.size(); ++o) {
                    const auto& per_chunk = run.chunk_rows[s][o];
                    EXPECT_EQ(per_chunk.size(), mine.size());
                    const std::size_t rows = std::accumulate(per_chunk.begin(), per_chunk.end(), std::size_t{0});
                    EXPECT_EQ(rows, outs[o].kind == data_kind::series ? outs[o].series.size() : outs[o].table.size())
                        << run.ex.steps[s].name << "/" << outs[o].name;
                }
            }
            parts.push_back(run.ex);
        }
        test_support::expect_same_execution(reference, concat(std::move(parts)));
    }
}

INSTANTIATE_TEST_SUITE_P(ranks, compute_chunks_ranks, ::testing::Values(1, 2, 3, 5));

TEST(compute_chunks, a_rank_without_chunks_still_has_every_step) {
    const auto cfg = parse_run_config(yaml, "t.yaml");
    const step_pipeline p(cfg);
    const auto input = input_series(false);
    const auto plan = plan_run(select_series(input.size(), {}, {}, cfg.input.select, std::nullopt), counts_of(input), p,
                               cfg, 20);  // more ranks than chunks
    memory_input in(input, 20);
    run_simulated(20, [&](const comm& c) {
        const auto run = compute_chunks(c, cfg, p, plan, "in.h5", in.reader(c.rank()), nullptr);
        EXPECT_EQ(run.ex.steps.size(), 4u);
        if (plan.split.rank_chunks[static_cast<std::size_t>(c.rank())].size() == 0) {
            EXPECT_EQ(run.timing.series, 0u);
            EXPECT_EQ(run.ex.steps[0].outputs[0].table.size(), 0u);
        }
    });
}

TEST(compute_chunks, invalid_series_are_skipped_and_counted_over_ranks) {
    const auto cfg = parse_run_config(yaml, "t.yaml", {"run.on_series_error=skip"});
    const step_pipeline p(cfg);
    const auto input = input_series(true);
    const auto plan = plan_for(input, cfg, p, 3);
    memory_input in(input, 3);
    std::vector<execution> parts(3);
    run_simulated(3, [&](const comm& c) {
        auto run = compute_chunks(c, cfg, p, plan, "in.h5", in.reader(c.rank()), nullptr);
        EXPECT_EQ(run.skipped, 1u);  // on every rank: the sum over ranks
        parts[static_cast<std::size_t>(c.rank())] = std::move(run.ex);
    });
    const auto all = concat(std::move(parts));
    ASSERT_EQ(all.skipped.size(), 1u);
    EXPECT_EQ(all.skipped[0].source_index, invalid_row);
    test_support::expect_same_execution(p.run(input, "in.h5", true), all);
}

TEST(compute_chunks, an_invalid_series_fails_every_rank) {
    const auto cfg = parse_run_config(yaml, "t.yaml");
    const step_pipeline p(cfg);
    const auto input = input_series(true);
    const auto plan = plan_for(input, cfg, p, 3);
    memory_input in(input, 3);
    std::mutex m;
    int failed = 0;
    EXPECT_THROW(run_simulated(3,
                               [&](const comm& c) {
                                   try {
                                       compute_chunks(c, cfg, p, plan, "in.h5", in.reader(c.rank()), nullptr);
                                   } catch (const agreed_error&) {
                                       std::lock_guard<std::mutex> lock(m);
                                       ++failed;
                                       throw;
                                   }
                               }),
                 agreed_error);
    EXPECT_EQ(failed, 3);
}

TEST(compute_chunks, takes_recorded_chunks_from_the_checkpoint_on_any_rank_count) {
    const auto cfg = parse_run_config(yaml, "t.yaml", {"run.checkpoint=" + temp_dir("reuse")});
    const step_pipeline p(cfg);
    const auto input = input_series(false);
    const auto reference = p.run(input, "in.h5", false);
    std::filesystem::remove_all(cfg.run.checkpoint);

    // First run on 2 ranks records every chunk.
    {
        const auto plan = plan_for(input, cfg, p, 2);
        memory_input in(input, 2);
        std::vector<execution> parts(2);
        run_simulated(2, [&](const comm& c) {
            auto ckpt = open_run_checkpoint(c, cfg, plan, "tsbatch test", false);
            ASSERT_NE(ckpt, nullptr);
            auto run = compute_chunks(c, cfg, p, plan, "in.h5", in.reader(c.rank()), ckpt.get());
            EXPECT_EQ(run.chunks_reused, 0u);
            parts[static_cast<std::size_t>(c.rank())] = std::move(run.ex);
        });
        test_support::expect_same_execution(reference, concat(std::move(parts)));
        std::size_t files = 0;
        for (const auto& e : std::filesystem::directory_iterator(cfg.run.checkpoint))
            files += e.is_regular_file() ? 1 : 0;
        EXPECT_EQ(files, plan.split.chunks.size() + 1);  // one file per chunk and the header
    }
    // A rerun on 3 ranks reads nothing: every chunk comes from the checkpoint.
    {
        const auto plan = plan_for(input, cfg, p, 3);
        std::vector<execution> parts(3);
        run_simulated(3, [&](const comm& c) {
            auto ckpt = open_run_checkpoint(c, cfg, plan, "tsbatch test", false);
            auto run = compute_chunks(c, cfg, p, plan, "in.h5", failing_reader(), ckpt.get());
            EXPECT_EQ(run.chunks_reused, plan.split.chunks.size());
            EXPECT_EQ(run.timing.read_s, 0.0);
            parts[static_cast<std::size_t>(c.rank())] = std::move(run.ex);
        });
        test_support::expect_same_execution(reference, concat(std::move(parts)));
    }
    // Another build's checkpoint is refused on every rank; with restart it is emptied.
    {
        const auto plan = plan_for(input, cfg, p, 2);
        EXPECT_THROW(
            run_simulated(2, [&](const comm& c) { open_run_checkpoint(c, cfg, plan, "tsbatch other", false); }),
            agreed_error);
        memory_input in(input, 2);
        run_simulated(2, [&](const comm& c) {
            auto ckpt = open_run_checkpoint(c, cfg, plan, "tsbatch other", true);
            EXPECT_EQ(compute_chunks(c, cfg, p, plan, "in.h5", in.reader(c.rank()), ckpt.get()).chunks_reused, 0u);
        });
    }
    std::filesystem::remove_all(cfg.run.checkpoint);
}

TEST(open_run_checkpoint, none_without_run_checkpoint) {
    const auto cfg = parse_run_config(yaml, "t.yaml");
    const step_pipeline p(cfg);
    const auto plan = plan_for(input_series(false), cfg, p, 1);
    run_simulated(2,
                  [&](const comm& c) { EXPECT_EQ(open_run_checkpoint(c, cfg, plan, "tsbatch test", false), nullptr); });
}

TEST(gather_step_totals, sums_over_ranks_names_outputs_and_takes_the_slowest_rank) {
    const auto cfg = parse_run_config(yaml, "t.yaml", {"output.keep=[q, hourly]"});
    std::vector<std::vector<step_total>> got(3);
    run_simulated(3, [&](const comm& c) {
        const auto r = static_cast<std::uint64_t>(c.rank());
        execution ex;
        step_result hourly{"hourly", "resample", {}, 1.0 + static_cast<double>(r)};
        step_output s;
        for (std::uint64_t i = 0; i <= r; ++i) {  // rank r: r + 1 series of i points each
            std::vector<std::int64_t> t(i);
            std::vector<double> v(i, 1.0);
            for (std::uint64_t j = 0; j < i; ++j) t[j] = static_cast<std::int64_t>(j);
            s.series.append({"s", "m", "", i}, {t, v});
        }
        hourly.outputs.push_back(std::move(s));
        step_result spikes{"spikes", "outliers", {}, r == 1 ? 9.0 : 0.5};
        step_output series_out;
        series_out.name = "series";
        step_output flags;
        flags.name = "flags";
        flags.kind = data_kind::table;
        flags.table = table_batch({{"t", column_type::int64, "", ""}});
        for (std::uint64_t i = 0; i < 2 * r; ++i) {
            flags.table.meta.push_back({"s", "m", "", i});
            row_sink(flags.table).set(0, std::int64_t{1});
        }
        spikes.outputs.push_back(std::move(series_out));
        spikes.outputs.push_back(std::move(flags));
        ex.steps.push_back(std::move(hourly));
        ex.steps.push_back(std::move(spikes));
        got[r] = gather_step_totals(c, cfg, ex);
    });
    for (const auto& totals : got) {  // every rank gets the same totals
        ASSERT_EQ(totals.size(), 3u);
        EXPECT_EQ(totals[0].name, "hourly");
        EXPECT_EQ(totals[0].op, "resample");
        EXPECT_EQ(totals[0].rows, 6u);    // 1 + 2 + 3 series
        EXPECT_EQ(totals[0].points, 4u);  // 0 + (0+1) + (0+1+2)
        EXPECT_EQ(totals[0].empty, 3u);   // the 0-point series of each rank
        EXPECT_EQ(totals[0].seconds, 3.0);
        EXPECT_TRUE(totals[0].kept);
        EXPECT_EQ(totals[1].name, "spikes/series");
        EXPECT_EQ(totals[1].rows, 0u);
        EXPECT_EQ(totals[1].seconds, 9.0);
        EXPECT_FALSE(totals[1].kept);
        EXPECT_EQ(totals[2].name, "spikes/flags");
        EXPECT_EQ(totals[2].op, "outliers");
        EXPECT_EQ(totals[2].rows, 6u);  // 0 + 2 + 4 table rows
        EXPECT_EQ(totals[2].points, 0u);
        EXPECT_EQ(totals[2].empty, 0u);
    }
}

TEST(gather_step_totals, counts_table_rows_with_a_reason_as_empty) {
    // features-like table: a row whose `reason` is not empty has no result for its series.
    const auto cfg = parse_run_config(yaml, "t.yaml", {});
    std::vector<std::uint64_t> empty(2);
    run_simulated(2, [&](const comm& c) {
        execution ex;
        step_result feat{"feat", "features", {}, 0.1};
        step_output out;
        out.kind = data_kind::table;
        out.table = table_batch({{"x", column_type::float64, "", ""}, {"reason", column_type::string, "", ""}});
        const std::vector<std::string> reasons = c.rank() == 0 ? std::vector<std::string>{"", "too_short", ""}
                                                               : std::vector<std::string>{"constant", "missing"};
        for (const auto& r : reasons) {
            out.table.meta.push_back({"s", "m", "", 0});
            row_sink row(out.table);
            row.set(0, 1.0);
            row.set(1, r);
        }
        feat.outputs.push_back(std::move(out));
        ex.steps.push_back(std::move(feat));
        const auto totals = gather_step_totals(c, cfg, ex);
        empty[static_cast<std::size_t>(c.rank())] = totals.at(0).empty;
        EXPECT_EQ(totals.at(0).rows, 5u);
    });
    EXPECT_EQ(empty[0], 3u);
    EXPECT_EQ(empty[1], 3u);
}

namespace {

// A dataset-wide step on the source beside a series-wise one.
const char* source_yaml = R"(
input: {path: in.h5}
steps:
  - {name: q,    op: quality_stats}
  - {name: corr, op: correlation, input: source}
output: {path: out.h5}
run: {chunk_series: 7}
)";

// The rows of `plan` that rank r's source should hold: its slab without the invalid row.
std::vector<std::uint64_t> valid_rows_of_rank(const run_plan& plan, int r) {
    std::vector<std::uint64_t> want;
    const auto slab = plan.split.series_of_rank(r);
    for (auto i = slab.begin; i < slab.end; ++i)
        if (plan.rows[i] != invalid_row) want.push_back(plan.rows[i]);
    return want;
}

// The source a run kept: its rows in order, each series as the input holds it, and the rows of
// each chunk (the chunk's size, less the invalid row where it lies).
void expect_kept_source(const computed_run& run, const run_plan& plan, int r, const series_batch& input) {
    const auto mine = plan.split.rank_chunks[static_cast<std::size_t>(r)];
    std::vector<std::uint64_t> ids;
    for (const auto& m : run.source.meta) ids.push_back(m.source_index);
    EXPECT_EQ(ids, valid_rows_of_rank(plan, r));
    for (std::size_t i = 0; i < run.source.size(); ++i) {
        const auto want = input.series(run.source.meta[i].source_index);
        const auto got = run.source.series(i);
        EXPECT_TRUE(std::equal(got.time.begin(), got.time.end(), want.time.begin(), want.time.end()));
        ASSERT_EQ(got.value.size(), want.value.size());  // bitwise: the values hold NaNs
        EXPECT_EQ(std::memcmp(got.value.data(), want.value.data(), got.value.size() * sizeof(double)), 0);
    }
    ASSERT_EQ(run.source_rows.size(), mine.size());
    for (std::size_t k = 0; k < mine.size(); ++k) {
        const auto chunk = plan.split.chunks[mine.begin + k];
        const bool has_invalid = plan.rows[chunk.begin] <= invalid_row && invalid_row <= plan.rows[chunk.end - 1];
        EXPECT_EQ(run.source_rows[k], chunk.size() - (has_invalid ? 1 : 0)) << "chunk " << mine.begin + k;
    }
}

}  // namespace

TEST(compute_chunks, keeps_the_valid_source_once_for_a_dataset_step_on_the_source) {
    const auto cfg = parse_run_config(source_yaml, "t.yaml", {"run.on_series_error=skip"});
    const step_pipeline p(cfg);
    ASSERT_TRUE(dataset_steps_read_source(cfg, p));
    const auto input = input_series(true);
    for (int n : {1, 2, 3}) {
        const auto plan = plan_for(input, cfg, p, n);
        memory_input in(input, n);
        auto runs = compute_on_ranks(n, cfg, p, plan, in, {.spool_outputs = true, .io_threads = n == 2});
        for (int r = 0; r < n; ++r) {
            SCOPED_TRACE("rank " + std::to_string(r) + " of " + std::to_string(n));
            expect_kept_source(runs[static_cast<std::size_t>(r)], plan, r, input);
            // The input was read once, not again for the source.
            const auto slab = plan.split.series_of_rank(r);
            EXPECT_EQ(in.rows_read[static_cast<std::size_t>(r)].size(), slab.size());
        }
    }
}

TEST(compute_chunks, keeps_the_source_of_chunks_taken_from_the_checkpoint) {
    const auto cfg =
        parse_run_config(source_yaml, "t.yaml", {"run.on_series_error=skip", "run.checkpoint=" + temp_dir("source")});
    const step_pipeline p(cfg);
    const auto input = input_series(true);
    std::filesystem::remove_all(cfg.run.checkpoint);
    const auto plan = plan_for(input, cfg, p, 2);
    for (int pass = 0; pass < 2; ++pass) {  // every chunk computed, then every chunk recorded
        memory_input in(input, 2);
        std::vector<computed_run> runs(2);
        run_simulated(2, [&](const comm& c) {
            auto ckpt = open_run_checkpoint(c, cfg, plan, "tsbatch test", false);
            runs[static_cast<std::size_t>(c.rank())] = compute_chunks(
                c, cfg, p, plan, "in.h5", in.reader(c.rank()), ckpt.get(), {.spool_outputs = true, .io_threads = true});
        });
        for (int r = 0; r < 2; ++r) {
            SCOPED_TRACE("pass " + std::to_string(pass) + ", rank " + std::to_string(r));
            EXPECT_EQ(runs[static_cast<std::size_t>(r)].chunks_reused, pass == 0 ? 0u : plan.split.chunks.size());
            expect_kept_source(runs[static_cast<std::size_t>(r)], plan, r, input);
        }
    }
    std::filesystem::remove_all(cfg.run.checkpoint);
}

TEST(compute_chunks, keeps_the_source_with_the_time_selection) {
    const auto input = input_series(false);
    const auto t_mid = input.series(0).time[input.count(0) / 2];
    const auto cfg = parse_run_config(source_yaml, "t.yaml", {"input.select.time.from=" + format_iso8601(t_mid)});
    const step_pipeline p(cfg);
    const auto plan = plan_for(input, cfg, p, 1);
    memory_input in(input, 1);
    computed_run run;
    run_simulated(1, [&](const comm& c) { run = compute_chunks(c, cfg, p, plan, "in.h5", in.reader(0), nullptr); });
    ASSERT_EQ(run.source.size(), input.size());
    for (auto t : run.source.time) EXPECT_GE(t, t_mid);
    EXPECT_LT(run.source.point_count(), input.point_count());
}

TEST(compute_chunks, keeps_no_source_when_no_kept_dataset_step_reads_it) {
    const auto input = input_series(false);
    for (const auto& [text, overrides] : std::vector<std::pair<const char*, std::vector<std::string>>>{
             {yaml, {}}, {source_yaml, {"output.keep=[q]"}}}) {
        const auto cfg = parse_run_config(text, "t.yaml", overrides);
        const step_pipeline p(cfg);
        EXPECT_FALSE(dataset_steps_read_source(cfg, p));
        const auto plan = plan_for(input, cfg, p, 1);
        memory_input in(input, 1);
        computed_run run;
        run_simulated(1, [&](const comm& c) { run = compute_chunks(c, cfg, p, plan, "in.h5", in.reader(0), nullptr); });
        EXPECT_EQ(run.source.size(), 0u);
        EXPECT_EQ(run.source.time.capacity(), 0u);
        EXPECT_TRUE(run.source_rows.empty());
    }
}

namespace {

// The points of every streamed output taken back from the spool into `run.ex`, so that it
// compares with an execution that kept them in memory.
execution with_spooled_points(computed_run& run) {
    execution ex = run.ex;
    for (std::size_t s = 0; s < ex.steps.size(); ++s)
        for (std::size_t o = 0; o < ex.steps[s].outputs.size(); ++o) {
            const int route = run.route[s][o];
            if (route < 0) continue;
            auto& b = ex.steps[s].outputs[o].series;
            const auto n = run.spool->points(static_cast<std::size_t>(route));
            EXPECT_EQ(n, b.offset.back());
            b.time.resize(n);
            b.value.resize(n);
            run.spool->read(static_cast<std::size_t>(route), 0, n, b.time.data(), b.value.data());
        }
    return ex;
}

}  // namespace

TEST(route_points, kept_series_are_streamed_tables_and_series_read_again_stay_and_the_rest_is_dropped) {
    const auto cfg = parse_run_config(R"(
input: {path: in.h5}
steps:
  - {name: q,      op: quality_stats}
  - {name: hourly, op: resample, input: source, params: {period: 1h}}
  - {name: z,      op: scale, input: hourly}
  - {name: cy,     op: cut_y, input: source, params: {condition: "y > 0"}}
  - {name: corr,   op: correlation, input: hourly}
  - {name: corr_z, op: correlation, input: z}
output: {path: out.h5, keep: [q, z, cy, corr]}
)",
                                      "t.yaml");
    const step_pipeline p(cfg);
    const auto route = route_points(cfg, p);
    ASSERT_EQ(route.size(), 4u);
    EXPECT_EQ(route[0], std::vector<int>{points_in_memory});  // a table
    EXPECT_EQ(route[1], std::vector<int>{points_in_memory});  // not kept, but the kept corr reads it
    EXPECT_EQ(route[2], std::vector<int>{0});                 // kept; corr_z, which reads it, is not
    EXPECT_EQ(route[3], (std::vector<int>{1, 2}));            // both outputs of a kept step
    const auto none_kept = parse_run_config(R"(
input: {path: in.h5}
steps:
  - {name: hourly, op: resample, input: source, params: {period: 1h}}
  - {name: z,      op: scale, input: hourly}
output: {path: out.h5, keep: [z]}
)",
                                            "t.yaml");
    const auto r2 = route_points(none_kept, step_pipeline(none_kept));
    EXPECT_EQ(r2[0], std::vector<int>{points_dropped});
    EXPECT_EQ(r2[1], std::vector<int>{0});
}

class compute_chunks_spooled : public ::testing::TestWithParam<int> {};

TEST_P(compute_chunks_spooled, the_spool_holds_the_same_points_as_memory_and_rank_0_keeps_the_report_samples) {
    const int n = GetParam();
    const auto dir = temp_dir("spooled_" + std::to_string(n));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    for (const char* budget : {"0", "1"}) {  // everything in the file; in memory (under 1 MiB)
        const auto cfg = parse_run_config(
            yaml, "t.yaml", {"output.path=" + dir + "/out.h5", std::string("run.output_memory_mb=") + budget});
        const step_pipeline p(cfg);
        const auto input = input_series(false);
        const auto reference = p.run(input, "in.h5", false);
        const auto plan = plan_for(input, cfg, p, n);
        memory_input in(input, n);
        auto runs = compute_on_ranks(n, cfg, p, plan, in, {.spool_outputs = true, .io_threads = n == 2});
        std::vector<execution> parts;
        for (auto& run : runs) {
            ASSERT_NE(run.spool, nullptr);
            EXPECT_EQ(run.spool->streams(), 3u);  // hourly, z, spikes' series
            if (std::string(budget) == "1") {
                EXPECT_EQ(run.spool->spilled_bytes(), 0u);
            } else if (run.timing.series > 0) {
                EXPECT_GT(run.spool->spilled_bytes(), 0u);
            }
            parts.push_back(with_spooled_points(run));
        }
        test_support::expect_same_execution(reference, concat(std::move(parts)));
        // Rank 0 kept the series of the sample rows of every series output, as computed.
        const auto rows = report_sample_rows(plan);
        ASSERT_FALSE(rows.empty());
        const auto& sampled = runs[0].sampled;
        ASSERT_EQ(sampled.steps.size(), reference.steps.size());
        for (std::size_t s = 0; s < reference.steps.size(); ++s)
            for (std::size_t o = 0; o < reference.steps[s].outputs.size(); ++o) {
                const auto& want = reference.steps[s].outputs[o];
                if (want.kind != data_kind::series) continue;
                const auto& got = sampled.steps[s].outputs[o].series;
                std::size_t found = 0;
                for (std::size_t i = 0; i < want.series.size(); ++i) {
                    if (std::find(rows.begin(), rows.end(), want.series.meta[i].source_index) == rows.end()) continue;
                    ASSERT_LT(found, got.size());
                    EXPECT_EQ(got.meta[found].source_index, want.series.meta[i].source_index);
                    EXPECT_TRUE(std::equal(got.series(found).time.begin(), got.series(found).time.end(),
                                           want.series.series(i).time.begin(), want.series.series(i).time.end()));
                    ++found;
                }
                EXPECT_EQ(found, got.size());
            }
        for (std::size_t r = 1; r < runs.size(); ++r)
            for (const auto& st : runs[r].sampled.steps)
                for (const auto& out : st.outputs) EXPECT_EQ(out.series.size(), 0u);
        // Nothing was left in the output directory.
        EXPECT_TRUE(std::filesystem::is_empty(dir));
    }
    std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(ranks, compute_chunks_spooled, ::testing::Values(1, 2, 3));
