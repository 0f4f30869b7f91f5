// cut_by_reference: interval extraction, the reference selector, hand-worked groups, group
// errors (skip and fail), chunks that never split a group, and 1..8 simulated ranks.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "algo/series/cut_by_reference.hpp"
#include "algo/operator.hpp"
#include "fixture_io.hpp"
#include "core/error.hpp"
#include "core/tags.hpp"
#include "execution_compare.hpp"
#include "rank_split.hpp"
#include "simulated_comm.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"

using namespace tsbatch;

namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

const char* config_yaml = R"(
input: {path: in.h5}
steps:
  - {name: pumping, op: cut_by_reference, params: {reference: "pump.state", group_by: site, condition: "y > 0.5"}}
  - {name: q, op: quality_stats, input: source}
output: {path: out.h5}
run: {on_series_error: skip}
)";

std::vector<std::int64_t> times(std::initializer_list<std::int64_t> t) { return t; }

}  // namespace

TEST(CutByReference, ConditionRunsAreMaximalAndClosed) {
    const std::vector<std::int64_t> t = {0, 10, 20, 30, 40, 50, 60};
    const std::vector<double> v = {1, 1, 0, nan_value, 1, 0, 1};
    const auto runs = condition_runs({t, v}, condition::parse("y > 0.5"));
    EXPECT_EQ(runs, (std::vector<time_interval>{{0, 10}, {40, 40}, {60, 60}}));
    EXPECT_TRUE(condition_runs({{}, {}}, condition::parse("y > 0")).empty());
}

TEST(CutByReference, KeepInIntervalsIncludesBothEnds) {
    const std::vector<std::int64_t> t = {-5, 0, 5, 10, 15, 39, 40, 41, 60, 70};
    const std::vector<double> v = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    series_batch out;
    auto sink = out.open_series({"x", "m", "", 0});
    keep_in_intervals({t, v}, {{0, 10}, {40, 40}, {60, 60}}, sink);
    out.close_series();
    EXPECT_EQ(out.time, (std::vector<std::int64_t>{0, 5, 10, 40, 60}));
    EXPECT_EQ(out.value, (std::vector<double>{1, 2, 3, 6, 8}));
}

TEST(CutByReference, SelectorSyntax) {
    const auto a = series_selector::parse("pump.*");
    EXPECT_TRUE(a.matches("pump.state", "site=A"));
    EXPECT_FALSE(a.matches("gw.level", "site=A"));
    const auto b = series_selector::parse("{role=ref, site=B*}");
    EXPECT_TRUE(b.matches("anything", "role=ref,site=B12"));
    EXPECT_FALSE(b.matches("anything", "role=ref,site=A"));
    const auto c = series_selector::parse(" rain{gauge=*} ");
    EXPECT_TRUE(c.matches("rain", "gauge=1,site=A"));
    EXPECT_FALSE(c.matches("rain", "site=A"));
    EXPECT_THROW(series_selector::parse(""), std::invalid_argument);
    EXPECT_THROW(series_selector::parse("rain{site}"), std::invalid_argument);
    EXPECT_THROW(series_selector::parse("rain{site=A"), std::invalid_argument);
    EXPECT_THROW(series_selector::parse("rain{a=1,a=2}"), std::invalid_argument);
}

TEST(CutByReference, ParameterErrorsNameTheParameter) {
    auto error_of = [](const std::string& params) {
        try {
            (void)parse_run_config("input: {path: in.h5}\nsteps:\n  - {name: c, op: cut_by_reference, params: {" +
                                       params + "}}\noutput: {path: o.h5}\n",
                                   "c.yaml");
        } catch (const config_error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(error_of("reference: 'rain{x', group_by: site, condition: 'y > 1'").find("steps.c.params.reference"),
              std::string::npos);
    EXPECT_NE(error_of("reference: rain, group_by: 'a=b', condition: 'y > 1'").find("steps.c.params.group_by"),
              std::string::npos);
    const auto cond = error_of("reference: rain, group_by: site, condition: 'y >'");
    EXPECT_NE(cond.find("steps.c.params.condition"), std::string::npos) << cond;
    EXPECT_NE(cond.find("column"), std::string::npos) << cond;
    EXPECT_NE(error_of("reference: rain, condition: 'y > 1'").find("group_by"), std::string::npos);
}

TEST(CutByReference, HandWorkedGroupsAndGroupErrors) {
    const auto cfg = parse_run_config(config_yaml, "c.yaml");
    const step_pipeline p(cfg);
    ASSERT_TRUE(p.group_tag().has_value());
    EXPECT_EQ(*p.group_tag(), "site");
    // Input already in run order (grouped by site), as the run driver arranges it.
    series_batch in;
    const auto ts = times({0, 10, 20, 30, 40});
    const std::vector<double> state = {0, 1, 1, 0, 1}, level = {5, 6, 7, 8, 9};
    in.append({"gw.level{site=A}", "gw.level", "site=A", 0}, {ts, level});
    in.append({"pump.state{site=A}", "pump.state", "site=A", 1}, {ts, state});
    in.append({"ph{site=A}", "ph", "site=A", 2}, {times({5, 15, 20, 35}), std::vector<double>{1, 2, nan_value, 4}});
    in.append({"gw.level{site=B}", "gw.level", "site=B", 3}, {ts, level});  // no reference
    in.append({"pump.state{site=C}", "pump.state", "site=C", 4}, {ts, state});  // reference only
    const auto ex = p.run(in, "in.h5", true);
    const auto& cut = ex.steps[0].outputs[0].series;
    ASSERT_EQ(cut.size(), 2u);
    EXPECT_EQ(cut.meta[0].id, "gw.level{site=A}");
    EXPECT_EQ(cut.meta[1].id, "ph{site=A}");
    EXPECT_EQ(cut.series(0).time.size(), 3u);  // runs [10, 20] and [40, 40]
    EXPECT_EQ(std::vector<std::int64_t>(cut.series(0).time.begin(), cut.series(0).time.end()), times({10, 20, 40}));
    EXPECT_EQ(std::vector<std::int64_t>(cut.series(1).time.begin(), cut.series(1).time.end()), times({15, 20}));
    // Group B has no reference: skipped, and left out of every output (also q's table).
    ASSERT_EQ(ex.skipped.size(), 1u);
    EXPECT_EQ(ex.skipped[0].source_index, 3u);
    EXPECT_NE(ex.skipped[0].reason.find("site=B"), std::string::npos) << ex.skipped[0].reason;
    EXPECT_NE(ex.skipped[0].reason.find("no series matches the reference 'pump.state'"), std::string::npos);
    const auto& q = ex.steps[1].outputs[0].table;
    ASSERT_EQ(q.size(), 4u);
    for (const auto& m : q.meta) EXPECT_NE(m.source_index, 3u);

    // With on_series_error: fail the run stops and names the group.
    const auto strict = parse_run_config(config_yaml, "c.yaml", {"run.on_series_error=fail"});
    try {
        (void)step_pipeline(strict).run(in, "in.h5", false);
        FAIL() << "expected input_error";
    } catch (const input_error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("step 'pumping', group site=B"), std::string::npos) << msg;
    }
}

TEST(CutByReference, AmbiguousReferenceAndMissingTag) {
    const step_pipeline p(parse_run_config(config_yaml, "c.yaml"));
    series_batch in;
    const auto ts = times({0, 10});
    const std::vector<double> v = {1, 1};
    in.append({"x", "gw.level", "", 0}, {ts, v});  // no site tag: a group of its own
    in.append({"a1", "pump.state", "n=1,site=A", 1}, {ts, v});
    in.append({"a2", "pump.state", "n=2,site=A", 2}, {ts, v});
    const auto ex = p.run(in, "in.h5", true);
    ASSERT_EQ(ex.skipped.size(), 3u);
    EXPECT_NE(ex.skipped[0].reason.find("has no tag 'site'"), std::string::npos) << ex.skipped[0].reason;
    EXPECT_NE(ex.skipped[1].reason.find("2 series match the reference"), std::string::npos) << ex.skipped[1].reason;
    EXPECT_EQ(ex.steps[0].outputs[0].series.size(), 0u);
    EXPECT_EQ(ex.steps[1].outputs[0].table.size(), 0u);
}

TEST(CutByReference, DifferentGroupTagsInOneRunAreRefused) {
    const auto cfg = parse_run_config(
        "input: {path: in.h5}\nsteps:\n"
        "  - {name: a, op: cut_by_reference, params: {reference: r, group_by: site, condition: 'y > 0'}}\n"
        "  - {name: b, op: cut_by_reference, input: source, params: {reference: r, group_by: well, condition: 'y > 0'}}\n"
        "output: {path: o.h5}\n",
        "c.yaml");
    EXPECT_THROW(step_pipeline{cfg}, config_error);
}

// Groups of random sizes and lengths: chunks never split a group, and 1..8 simulated ranks
// give exactly the single-rank output.
TEST(CutByReference, GroupsStayWholeAndRankCountDoesNotMatter) {
    const step_pipeline p(parse_run_config(config_yaml, "c.yaml"));
    std::mt19937_64 rng(5);
    series_batch in;
    std::vector<std::uint8_t> joined;
    std::uint64_t row = 0;
    for (int g = 0; g < 60; ++g) {
        const std::string site = "S" + std::to_string(100 + g);
        const int members = 1 + static_cast<int>(rng() % 5);
        for (int m = 0; m <= members; ++m) {
            const std::size_t n = 1 + rng() % 3000;
            std::vector<std::int64_t> t(n);
            std::vector<double> v(n);
            for (std::size_t i = 0; i < n; ++i) {
                t[i] = static_cast<std::int64_t>(i) * 60000 + (m == 0 ? 0 : 30000);
                v[i] = m == 0 ? static_cast<double>((i / (1 + rng() % 50)) % 2) : static_cast<double>(rng() % 100);
            }
            const std::string metric = m == 0 ? "pump.state" : "gw.level" + std::to_string(m);
            in.append({metric + "{site=" + site + "}", metric, "site=" + site, row++}, {t, v});
            joined.push_back(m < members ? 1 : 0);
        }
    }
    const auto reference = p.run(in, "in.h5", false);
    // Chunks of whole groups of up to 8 series (60 groups, about 25 chunks): every rank of 8
    // works, and group boundaries are tested at every chunk edge, values included.
    for (int n = 1; n <= 8; ++n) {
        SCOPED_TRACE(std::to_string(n) + " ranks");
        test_support::expect_same_execution(reference,
                                            test_support::run_split_over_ranks(p, in, n, joined,
                                                                               test_support::small_chunks(8)));
    }
}

// The numpy reference (tests/fixtures/make_operator_fixtures.py): for a reference series
// and the other members of its group, the reference's runs and every member's cut.
TEST(CutByReference, Fixtures) {
    const auto f = test::load_operator_fixture("cut_by_reference");
    const operator_def* def = find_operator("cut_by_reference");
    ASSERT_NE(def, nullptr);
    ASSERT_GE(f.cases.size(), 6u);
    std::size_t kept = 0;
    for (const auto& c : f.cases) {
        SCOPED_TRACE("case " + c.name);
        const bound_operator op = def->bind(test::fixture_params(*def, c.params));
        ASSERT_TRUE(op.group);
        // The reference (metric "ref") first, then the members, all in group site=A.
        std::vector<series_meta> metas{{"ref{site=A}", "ref", "site=A", 0}};
        std::vector<series_view> views{f.series.at(c.series).view()};
        const auto member_names = c.expected["members"];
        for (std::size_t m = 0; m < member_names.size(); ++m) {
            const auto name = member_names[m].as<std::string>();
            metas.push_back({name + "{site=A}", name, "site=A", m + 1});
            views.push_back(f.series.at(name).view());
        }
        std::vector<tsbatch::group_member> group;
        for (std::size_t i = 0; i < metas.size(); ++i) group.push_back({&metas[i], views[i]});

        std::vector<time_interval> want_runs;
        for (const auto& r : c.expected["runs"]) want_runs.push_back({r[0].as<std::int64_t>(), r[1].as<std::int64_t>()});
        EXPECT_EQ(condition_runs(views[0], condition::parse(c.params["condition"].as<std::string>())), want_runs);

        series_batch out;
        op.group->apply(group, out);
        ASSERT_EQ(out.size(), member_names.size());  // every member, the reference left out
        for (std::size_t m = 0; m < out.size(); ++m) {
            const auto& e = c.expected["cut"][m];
            EXPECT_EQ(out.meta[m].id, metas[m + 1].id);
            const series_view s = out.series(m);
            EXPECT_EQ(std::vector<std::int64_t>(s.time.begin(), s.time.end()), test::fixture_ints(e["time"]));
            const auto want = test::fixture_doubles(e["value"]);
            ASSERT_EQ(s.value.size(), want.size());
            for (std::size_t i = 0; i < want.size(); ++i)
                EXPECT_TRUE(std::isnan(want[i]) ? std::isnan(s.value[i]) : want[i] == s.value[i]) << i;
            kept += want.size();
        }
    }
    EXPECT_GT(kept, 20u);  // the cases do cut something
}
