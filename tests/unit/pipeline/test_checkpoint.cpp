// The checkpoint's pieces: an execution survives serialisation bit for bit, the executions
// of consecutive chunks appended equal one run over all of them, damaged files are refused
// with their name, and a store refuses another run's fingerprint unless restarted.
#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "synthetic/generate.hpp"
#include "core/error.hpp"
#include "execution_compare.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/config.hpp"

using namespace tsbatch;

namespace {

// Series, table and multi-output steps, and a series that is skipped (unsorted times).
const char* yaml = R"(
input: {path: in.h5}
steps:
  - {name: q,      op: quality_stats}
  - {name: hourly, op: resample, input: source, params: {period: 1h, aggregation: mean}}
  - {name: spikes, op: outliers, input: source, params: {method: iqr}}
  - {name: high,   op: cut_y, input: source, params: {condition: "y > 0"}}
output: {path: out.h5}
run: {on_series_error: skip}
)";

series_batch input_series() {
    generate_options opt;
    opt.series = 40;
    opt.mean_points = 200;
    opt.seed = 11;
    const auto lengths = plan_series_lengths(opt);
    series_batch b;
    for (std::uint64_t i = 0; i < opt.series; ++i) generate_series(opt, i, lengths[i], b);
    std::swap(b.time[b.offset[7]], b.time[b.offset[7] + 1]);  // series 7 is invalid
    return b;
}

series_batch slice(const series_batch& all, std::size_t begin, std::size_t end) {
    series_batch b;
    for (auto i = begin; i < end; ++i) b.append(all.meta[i], all.series(i));
    return b;
}

std::string temp_dir(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("tsbatch_ckpt_" + std::to_string(::getpid()) + "_" + name)).string();
}

TEST(checkpoint, serialised_execution_is_identical) {
    const step_pipeline p(parse_run_config(yaml, "t.yaml"));
    const auto ex = p.run(input_series(), "in.h5", true);
    ASSERT_EQ(ex.skipped.size(), 1u);
    const auto back = deserialize_execution(serialize_execution(ex), "x");
    test_support::expect_same_execution(ex, back);
    EXPECT_EQ(back.steps[1].seconds, ex.steps[1].seconds);
}

TEST(checkpoint, appended_chunks_equal_one_run) {
    const step_pipeline p(parse_run_config(yaml, "t.yaml"));
    const auto in = input_series();
    const auto whole = p.run(in, "in.h5", true);
    execution parts = p.run(series_batch{}, "in.h5", true);  // the skeleton a rank starts from
    for (std::size_t b = 0; b < in.size(); b += 6) {
        auto part = p.run(slice(in, b, std::min(in.size(), b + 6)), "in.h5", true);
        append_execution(parts, deserialize_execution(serialize_execution(part), "chunk"));
    }
    test_support::expect_same_execution(whole, parts);
}

TEST(checkpoint, damaged_bytes_are_refused_naming_the_file) {
    const step_pipeline p(parse_run_config(yaml, "t.yaml"));
    const auto bytes = serialize_execution(p.run(input_series(), "in.h5", true));
    for (std::size_t cut : {std::size_t{0}, std::size_t{5}, bytes.size() / 2, bytes.size() - 1}) {
        try {
            (void)deserialize_execution(std::string_view(bytes).substr(0, cut), "ck/chunk-00000003.bin");
            FAIL() << "accepted " << cut << " of " << bytes.size() << " bytes";
        } catch (const input_error& e) {
            EXPECT_NE(std::string(e.what()).find("ck/chunk-00000003.bin"), std::string::npos) << e.what();
        }
    }
    EXPECT_THROW((void)deserialize_execution(bytes + "x", "f"), input_error);
    auto flipped = bytes;
    flipped[bytes.size() / 3] ^= 0x10;  // right length, wrong contents: only the checksum sees it
    EXPECT_THROW((void)deserialize_execution(flipped, "f"), input_error);
}

TEST(checkpoint, store_saves_loads_and_guards_its_run) {
    const auto dir = temp_dir("store");
    const step_pipeline p(parse_run_config(yaml, "t.yaml"));
    const auto ex = p.run(input_series(), "in.h5", true);
    {
        checkpoint_store s(dir, "run A", true, false);
        EXPECT_FALSE(s.has(3));
        s.save(3, ex);
        EXPECT_TRUE(s.has(3));
    }
    checkpoint_store again(dir, "run A", false, false);  // another rank, or a rerun
    ASSERT_TRUE(again.has(3));
    test_support::expect_same_execution(ex, again.load(3));
    EXPECT_THROW(checkpoint_store(dir, "run B", true, false), config_error);
    checkpoint_store fresh(dir, "run B", true, true);
    EXPECT_FALSE(fresh.has(3));
    fresh.remove();
    EXPECT_FALSE(std::filesystem::exists(dir));
    EXPECT_THROW(checkpoint_store(dir, "run B", false, false), output_error);  // no header for other ranks
}

}  // namespace
