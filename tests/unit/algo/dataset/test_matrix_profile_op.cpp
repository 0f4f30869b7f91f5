// matrix_profile as the run drives it: one long series spread over 1..8 simulated ranks,
// many short ones, a mix, and AB-joins by group give the same bits on every rank count and
// the same bits as the one-process kernel (which test_matrix_profile.cpp checks against the
// numpy brute force); the brute-force fixture through the operator; parameter and data
// errors.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <bit>
#include <map>
#include <mutex>
#include <thread>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "algo/dataset/matrix_profile_plan.hpp"
#include "algo/kernels/matrix_profile.hpp"
#include "algo/operator.hpp"
#include "core/error.hpp"
#include "dataset_harness.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

using test::dataset_run;
using test::run_dataset_op;

struct bound {
    const operator_def* def;
    bound_operator op;
};

bound bind_mp(const std::string& params) {
    const auto* def = find_operator("matrix_profile");
    EXPECT_NE(def, nullptr);
    return {def, def->bind(test::fixture_params(*def, YAML::Load(params)))};
}

std::vector<double> walk(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 g(seed);
    std::normal_distribution<double> noise;
    std::vector<double> v(n);
    double x = 0;
    for (auto& y : v) y = x += noise(g);
    return v;
}

void add_series(series_batch& b, const std::string& id, const std::string& tags, const std::vector<double>& v) {
    auto sink = b.open_series({id, "level", tags, b.size()});
    for (std::size_t i = 0; i < v.size(); ++i) sink.push(1'700'000'000'000 + static_cast<std::int64_t>(i) * 60'000, v[i]);
    b.close_series();
}

// Many short series of different lengths, with a NaN run and a flat stretch among them.
series_batch short_series(std::size_t count) {
    series_batch b;
    for (std::size_t k = 0; k < count; ++k) {
        auto v = walk(120 + 37 * (k % 11), 100 + k);
        if (k % 5 == 1)
            for (std::size_t i = 30; i < 50; ++i) v[i] = std::nan("");
        if (k % 7 == 3)
            for (std::size_t i = 20; i < 90; ++i) v[i] = 4.0;
        add_series(b, "s" + std::to_string(k), "", v);
    }
    return b;
}

// The profile of one series from the kernel in one process, as the operator must give it.
void expect_kernel_bits(const series_batch& out_profile, const series_batch& out_index, std::size_t row,
                        const std::vector<double>& values, std::size_t m, std::uint64_t exclusion, std::uint64_t tile) {
    const window_stats s = compute_window_stats(values, m);
    const profile_part p = self_join_candidates(s, exclusion, mp_tile_side(s.windows(), tile));
    std::vector<double> d(s.windows());
    std::vector<std::int64_t> idx(s.windows());
    finish_profile(s, s, p, d, idx);
    const auto got = out_profile.series(row);
    const auto got_index = out_index.series(row);
    ASSERT_EQ(got.size(), d.size());
    for (std::size_t i = 0; i < d.size(); ++i) {
        ASSERT_EQ(std::bit_cast<std::uint64_t>(got.value[i]), std::bit_cast<std::uint64_t>(d[i])) << "window " << i;
        ASSERT_EQ(got_index.value[i], static_cast<double>(idx[i])) << "window " << i;
    }
}

class matrix_profile_ranks : public ::testing::TestWithParam<int> {};

TEST_P(matrix_profile_ranks, one_long_series_is_spread_over_every_rank_with_the_same_bits) {
    series_batch in;
    const auto v = walk(6000, 11);
    add_series(in, "borehole", "", v);
    auto b = bind_mp("{window: 50, tile: 256}");
    const auto one = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 1, 1, true);
    const auto many = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, GetParam(), 1, true);
    test::expect_same_run(one, many, "one long series");
    expect_kernel_bits(many.series[0], many.series[1], 0, v, 50, 13, 256);
    ASSERT_EQ(many.tables[2].size(), 6u);  // 3 motifs and 3 discords
}

TEST_P(matrix_profile_ranks, many_short_series_and_a_mix_give_the_same_bits) {
    auto in = short_series(30);
    auto b = bind_mp("{window: 24, top_k: 2, tile: 64}");
    const auto one = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 1, 3);
    const auto many = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, GetParam(), 3);
    test::expect_same_run(one, many, "short series");
    for (std::size_t row : {0u, 1u, 3u, 29u}) {
        const auto s = in.series(row);
        expect_kernel_bits(many.series[0], many.series[1], row, {s.value.begin(), s.value.end()}, 24, 6, 64);
    }
    // One long series among short ones: its tiles outweigh them and spread over the ranks.
    series_batch mixed = short_series(12);
    add_series(mixed, "long", "", walk(5000, 99));
    const auto one_mixed = run_dataset_op(*b.def, *b.op.dataset, &mixed, nullptr, 1, 2);
    const auto many_mixed = run_dataset_op(*b.def, *b.op.dataset, &mixed, nullptr, GetParam(), 2, true);
    test::expect_same_run(one_mixed, many_mixed, "mixed");
}

TEST_P(matrix_profile_ranks, plain_distances_give_the_same_bits) {
    series_batch in;
    add_series(in, "long", "role=obs", walk(4000, 21));
    add_series(in, "ref", "role=ref", walk(900, 22));
    add_series(in, "other", "role=obs", walk(700, 23));
    for (const char* params : {"{window: 30, normalize: false, tile: 200}",
                               "{window: 30, normalize: false, join: '{role=ref}', tile: 200}"}) {
        auto b = bind_mp(params);
        const auto one = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 1, 1);
        const auto many = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, GetParam(), 1, true);
        test::expect_same_run(one, many, params);
    }
}

TEST_P(matrix_profile_ranks, ab_join_by_group_gives_the_same_bits) {
    series_batch in;
    for (int g = 0; g < 3; ++g)
        for (int k = 0; k < 4; ++k) {
            // The reference (role=ref) sits at a different place in each group.
            const bool ref = k == g;
            add_series(in, "w" + std::to_string(g) + std::to_string(k),
                       "role=" + std::string(ref ? "ref" : "obs") + ",site=" + std::to_string(g),
                       walk(300 + 50 * static_cast<std::size_t>(k), 7 + static_cast<std::uint64_t>(g * 4 + k)));
        }
    auto b = bind_mp("{window: 20, join: '{role=ref}', group_by: site, tile: 64}");
    const auto one = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 1, 1);
    const auto many = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, GetParam(), 1, true);
    test::expect_same_run(one, many, "ab-join");
    ASSERT_EQ(one.series[0].size(), 9u);  // the references get no profile
    // Series w01 (group 0, whose reference is w00) against the kernel.
    const auto a = compute_window_stats(std::vector<double>(in.series(1).value.begin(), in.series(1).value.end()), 20);
    const auto r = compute_window_stats(std::vector<double>(in.series(0).value.begin(), in.series(0).value.end()), 20);
    const profile_part p = ab_join_candidates(a, r, mp_tile_side(std::max(a.windows(), r.windows()), 64));
    std::vector<double> d(a.windows());
    std::vector<std::int64_t> idx(a.windows());
    finish_profile(a, r, p, d, idx);
    EXPECT_EQ(one.series[0].meta[0].id, "w01");
    const auto got = one.series[0].series(0);
    ASSERT_EQ(got.size(), d.size());
    for (std::size_t i = 0; i < d.size(); ++i)
        ASSERT_EQ(std::bit_cast<std::uint64_t>(got.value[i]), std::bit_cast<std::uint64_t>(d[i])) << i;
}

INSTANTIATE_TEST_SUITE_P(ranks, matrix_profile_ranks, ::testing::Values(2, 3, 5, 8));

// The rank-invariance tests above hold one long series on one rank: they prove something about
// the other ranks only if those compute tiles too. The plan gives every rank a share of the
// cells within a tile's cost of the ideal, for one long series and for a long one among short.
TEST(MatrixProfilePlan, OneLongSeriesGivesEveryRankTiles) {
    for (const auto& requests : {std::vector<mp_job_request>{{0, 0, 6000, 6000}},
                                 std::vector<mp_job_request>{{0, 0, 400, 400}, {1, 1, 5000, 5000}, {2, 2, 300, 300}}})
        for (int ranks : {2, 3, 5, 8}) {
            const mp_plan plan = plan_matrix_profile(requests, 50, 13, 256, ranks);
            double total = 0, largest_tile = 0;
            for (double c : plan.tile_cost) {
                total += c;
                largest_tile = std::max(largest_tile, c);
            }
            ASSERT_EQ(plan.rank_tiles.size(), static_cast<std::size_t>(ranks));
            for (const auto& r : plan.rank_tiles) {
                EXPECT_FALSE(r.empty()) << ranks << " ranks";
                double cost = 0;
                for (auto t = r.begin; t < r.end; ++t) cost += plan.tile_cost[t];
                EXPECT_NEAR(cost, total / ranks, largest_tile) << ranks << " ranks";
            }
        }
}

// Snapshots in memory, shared by the simulated ranks; counts the tiles computed (one due()
// call per tile) and can drop snapshots, as a killed run leaves only some.
class memory_journal final : public work_journal {
public:
    std::vector<std::string> snapshots() const override {
        std::lock_guard<std::mutex> g(lock_);
        std::vector<std::string> names;
        for (const auto& [name, bytes] : saved_) names.push_back(name);
        return names;
    }
    std::optional<std::vector<std::byte>> load(const std::string& name) const override {
        std::lock_guard<std::mutex> g(lock_);
        const auto it = saved_.find(name);
        if (it == saved_.end()) return std::nullopt;
        return it->second;
    }
    bool due() override {
        ++tiles_;
        return true;
    }
    void save(std::span<const std::byte> bytes) override {
        std::lock_guard<std::mutex> g(lock_);
        saved_["attempt" + std::to_string(attempt_) + "-" + std::to_string(std::hash<std::thread::id>()(std::this_thread::get_id()))]
            .assign(bytes.begin(), bytes.end());
    }
    void sync() override {}

    std::map<std::string, std::vector<std::byte>> saved_;
    int attempt_ = 0;
    std::atomic<int> tiles_{0};

private:
    mutable std::mutex lock_;
};

TEST(MatrixProfileOp, ResumingFromSnapshotsSkipsTheirTilesAndKeepsTheBits) {
    series_batch in;
    add_series(in, "borehole", "", walk(3000, 5));
    add_series(in, "short", "", walk(400, 6));
    auto b = bind_mp("{window: 40, tile: 128}");
    const auto fresh = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 1, 1);

    memory_journal journal;
    test::run_options with_journal;
    with_journal.journal = &journal;
    const auto first = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 2, 1, true, with_journal);
    test::expect_same_run(fresh, first, "with a journal");
    const int all_tiles = journal.tiles_.load();
    ASSERT_GT(all_tiles, 100);
    ASSERT_EQ(journal.saved_.size(), 2u);  // one per rank, replaced after every tile

    // A run killed early: only one rank's snapshot survived, and one is damaged.
    journal.saved_.erase(journal.saved_.begin());
    journal.saved_["damaged"] = {std::byte{1}, std::byte{2}};
    journal.attempt_ = 1;
    journal.tiles_ = 0;
    const auto resumed = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 3, 1, true, with_journal);
    test::expect_same_run(fresh, resumed, "resumed on 3 ranks");
    EXPECT_GT(journal.tiles_.load(), 0);
    EXPECT_LT(journal.tiles_.load(), all_tiles);

    // Everything recorded: nothing is computed again.
    journal.attempt_ = 2;
    journal.tiles_ = 0;
    const auto again = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 2, 1, true, with_journal);
    test::expect_same_run(fresh, again, "resumed with every tile recorded");
    EXPECT_EQ(journal.tiles_.load(), 0);
}

TEST(MatrixProfileOp, BruteForceFixtureThroughTheOperatorOnThreeRanks) {
    const YAML::Node root = YAML::LoadFile(test::fixtures_dir().string() + "/dataset/matrix_profile.yaml");
    std::size_t checked = 0;
    for (const auto& c : root["cases"]) {
        if (c["join"].as<std::string>() != "self") continue;
        series_batch in;
        add_series(in, c["name"].as<std::string>(), "", test::fixture_doubles(c["values"]));
        const auto m = c["window"].as<std::size_t>();
        auto b = bind_mp("{window: " + std::to_string(m) + ", tile: 300, normalize: " + c["normalize"].as<std::string>() +
                         "}");
        const auto run = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 3, 1, true);
        const auto want = test::fixture_doubles(c["distance"]);
        const auto got = run.series[0].series(0);
        ASSERT_EQ(got.size(), want.size()) << c["name"];
        EXPECT_EQ(got.time[0], in.series(0).time[0]);  // stamped at the window start
        for (std::size_t i = 0; i < want.size(); ++i) {
            if (std::isinf(want[i])) {
                EXPECT_TRUE(std::isinf(got.value[i])) << c["name"] << " " << i;
                EXPECT_EQ(run.series[1].series(0).value[i], -1.0);
                continue;
            }
            EXPECT_NEAR(got.value[i], want[i], 1e-9 * std::max(want[i], std::sqrt(static_cast<double>(m))))
                << c["name"] << " " << i;
        }
        ++checked;
    }
    EXPECT_GE(checked, 11u);
}

TEST(MatrixProfileOp, TopTableNamesWindowsAndTimes) {
    series_batch in;
    auto v = walk(800, 3);
    for (std::size_t i = 0; i < 40; ++i) v[500 + i] = v[100 + i] + 1000.0;  // a planted exact repeat (offset)
    add_series(in, "x", "", v);
    auto b = bind_mp("{window: 40, top_k: 1}");
    const auto run = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 1, 1);
    const auto& top = run.tables[2];
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top.columns[0].strings, (std::vector<std::string>{"motif", "discord"}));
    EXPECT_EQ(top.columns[2].ints[0], 100);  // start
    EXPECT_EQ(top.columns[4].ints[0], 500);  // neighbour
    EXPECT_EQ(top.columns[3].ints[0], 1'700'000'000'000 + 100 * 60'000);
    EXPECT_EQ(top.columns[5].ints[0], 1'700'000'000'000 + 500 * 60'000);
    EXPECT_LT(top.columns[6].floats[0], 1e-6);
}

TEST(MatrixProfileOp, ErrorsNameTheParameterOrTheData) {
    series_batch in = short_series(4);
    {
        auto b = bind_mp("{window: 500}");
        try {
            run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 2, 2);
            ADD_FAILURE() << "no error";
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), "window");
            EXPECT_NE(std::string(e.what()).find("'s0' (120 points)"), std::string::npos) << e.what();
        }
    }
    const auto* def = find_operator("matrix_profile");
    EXPECT_THROW(def->bind(test::fixture_params(*def, YAML::Load("{window: 10, group_by: site}"))), param_error);
    EXPECT_THROW(def->bind(test::fixture_params(*def, YAML::Load("{window: 10, join: 'a{b'}"))), param_error);
    {
        series_batch g;
        add_series(g, "a", "role=obs,site=1", walk(100, 1));
        add_series(g, "b", "role=ref,site=2", walk(100, 2));
        auto b = bind_mp("{window: 10, join: '{role=ref}', group_by: site}");
        try {
            run_dataset_op(*b.def, *b.op.dataset, &g, nullptr, 2, 1);
            ADD_FAILURE() << "no error";
        } catch (const input_error& e) {
            EXPECT_NE(std::string(e.what()).find("no series of group site=1 matches join '{role=ref}'"),
                      std::string::npos)
                << e.what();
        }
    }
}

}  // namespace
}  // namespace tsbatch
