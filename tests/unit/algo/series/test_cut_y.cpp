// cut_y: hand-worked cases, a brute-force comparison with a direct per-point evaluation of
// the same condition, the registry schema, parameter errors and the executor's two outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "algo/series/cut_y.hpp"
#include "algo/operator.hpp"
#include "fixture_io.hpp"
#include "core/error.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"

using namespace tsbatch;

namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

struct split {
    series_batch match, complement;
};

split run_cut_y(const std::vector<std::int64_t>& t, const std::vector<double>& v, const std::string& text) {
    split s;
    const auto cond = condition::parse(text);
    auto m = s.match.open_series({"a", "m", "", 0});
    auto c = s.complement.open_series({"a", "m", "", 0});
    cut_y({t, v}, cond, m, c);
    s.match.close_series();
    s.complement.close_series();
    return s;
}

}  // namespace

TEST(CutY, HandWorkedChainedConditionAndNan) {
    const std::vector<std::int64_t> t = {-5000, 0, 1000, 2000, 3000, 4000, 5000};
    const std::vector<double> v = {1.0, 1.5, nan_value, 10.0, 10.5, -3.0, 5.0};
    const auto s = run_cut_y(t, v, "1 < y <= 10 and not isnan(y)");
    EXPECT_EQ(s.match.time, (std::vector<std::int64_t>{0, 2000, 5000}));
    EXPECT_EQ(s.match.value, (std::vector<double>{1.5, 10.0, 5.0}));
    EXPECT_EQ(s.complement.time, (std::vector<std::int64_t>{-5000, 1000, 3000, 4000}));
    ASSERT_EQ(s.complement.value.size(), 4u);
    EXPECT_TRUE(std::isnan(s.complement.value[1]));
    // NaN goes to the complement even when the condition would hold for it.
    const auto n = run_cut_y(t, v, "isnan(y) or y > 5");
    EXPECT_EQ(n.match.time, (std::vector<std::int64_t>{2000, 3000}));
}

TEST(CutY, EdgeCases) {
    const auto empty = run_cut_y({}, {}, "y > 0");
    EXPECT_EQ(empty.match.point_count(), 0u);
    EXPECT_EQ(empty.complement.point_count(), 0u);
    EXPECT_EQ(empty.match.size(), 1u);  // the series is there, empty
    const auto one = run_cut_y({7}, {2.0}, "y > 0");
    EXPECT_EQ(one.match.time, (std::vector<std::int64_t>{7}));
    EXPECT_EQ(one.complement.point_count(), 0u);
    const auto all_nan = run_cut_y({1, 2, 3}, {nan_value, nan_value, nan_value}, "not (y > 0)");
    EXPECT_EQ(all_nan.match.point_count(), 0u);
    EXPECT_EQ(all_nan.complement.point_count(), 3u);
    const auto constant = run_cut_y({1, 2, 3}, {4.0, 4.0, 4.0}, "y == 4");
    EXPECT_EQ(constant.match.point_count(), 3u);
    EXPECT_EQ(constant.complement.point_count(), 0u);
}

// Random values (NaN, infinities, ties with the constants) over series of every length
// around the evaluation block size, against a direct per-point evaluation.
TEST(CutY, MatchesDirectEvaluation) {
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> u(-20, 20);
    const double inf = std::numeric_limits<double>::infinity();
    for (std::size_t n : {0u, 1u, 2u, 255u, 4095u, 4096u, 4097u, 10000u}) {
        std::vector<std::int64_t> t(n);
        std::vector<double> v(n);
        for (std::size_t i = 0; i < n; ++i) {
            t[i] = static_cast<std::int64_t>(i) * 1000 - 3'600'000;
            const auto r = rng() % 20;
            v[i] = r == 0 ? nan_value : r == 1 ? inf : r == 2 ? -inf : r == 3 ? 10.0 : std::round(u(rng) * 4) / 4;
        }
        const auto s = run_cut_y(t, v, "abs(y) > 3 and y <= 10 or y == -inf");
        std::vector<std::int64_t> mt, ct;
        for (std::size_t i = 0; i < n; ++i) {
            const double y = v[i];
            const bool holds = !std::isnan(y) && ((std::abs(y) > 3 && y <= 10) || y == -inf);
            (holds ? mt : ct).push_back(t[i]);
        }
        EXPECT_EQ(s.match.time, mt) << n;
        EXPECT_EQ(s.complement.time, ct) << n;
        ASSERT_EQ(s.match.point_count() + s.complement.point_count(), n);
        for (std::size_t i = 0; i < s.match.point_count(); ++i)
            EXPECT_EQ(s.match.value[i], v[static_cast<std::size_t>((s.match.time[i] + 3'600'000) / 1000)]);
    }
}

TEST(CutY, RegistrySchemaHasTwoSeriesOutputs) {
    const operator_def* def = find_operator("cut_y");
    ASSERT_NE(def, nullptr);
    ASSERT_EQ(def->outputs.size(), 2u);
    EXPECT_EQ(def->outputs[0].name, "match");
    EXPECT_EQ(def->outputs[1].name, "complement");
    EXPECT_EQ(def->outputs[0].kind, data_kind::series);
    EXPECT_EQ(def->outputs[1].kind, data_kind::series);
    ASSERT_EQ(def->params.size(), 1u);
    EXPECT_TRUE(def->params[0].required());
}

TEST(CutY, SyntaxErrorNamesStepParameterAndColumn) {
    const std::string yaml =
        "input: {path: in.h5}\nsteps:\n  - {name: wet, op: cut_y, params: {condition: \"y > 3 and and y < 4\"}}\n"
        "output: {path: o.h5}\n";
    try {
        (void)parse_run_config(yaml, "c.yaml");
        FAIL() << "expected config_error";
    } catch (const config_error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("c.yaml:3:"), std::string::npos) << msg;
        EXPECT_NE(msg.find("steps.wet.params.condition"), std::string::npos) << msg;
        EXPECT_NE(msg.find("column 11"), std::string::npos) << msg;
        EXPECT_EQ(e.code(), exit_code::usage);
    }
}

TEST(CutY, ExecutorWritesBothOutputsForEverySeries) {
    const auto cfg = parse_run_config(
        "input: {path: in.h5}\nsteps:\n  - {name: s, op: cut_y, params: {condition: \"y >= 2\"}}\n"
        "  - {name: low, op: identity, input: s/complement}\n  - {name: high, op: identity, input: s}\noutput: {path: o.h5}\n",
        "c.yaml");
    EXPECT_EQ(cfg.steps[2].input, "s");
    const step_pipeline p(cfg);
    series_batch in;
    const std::vector<std::int64_t> t = {1, 2, 3};
    const std::vector<double> a = {1, 2, 3}, b = {0, 0, nan_value};
    in.append({"a", "m", "", 0}, {t, a});
    in.append({"b", "m", "", 1}, {t, b});
    const auto ex = p.run(in, "in.h5", false);
    ASSERT_EQ(ex.steps[0].outputs.size(), 2u);
    const auto& match = ex.steps[0].outputs[0].series;
    const auto& comp = ex.steps[0].outputs[1].series;
    ASSERT_EQ(match.size(), 2u);
    ASSERT_EQ(comp.size(), 2u);
    EXPECT_EQ(match.count(0), 2u);
    EXPECT_EQ(match.count(1), 0u);
    EXPECT_EQ(comp.count(1), 3u);
    EXPECT_EQ(ex.steps[1].outputs[0].series.time, comp.time);
    EXPECT_EQ(ex.steps[2].outputs[0].series.time, match.time);
    EXPECT_EQ(match.meta[1].id, "b");
}

// The numpy reference: each condition also written as a boolean mask
// (tests/fixtures/make_operator_fixtures.py), on the shared edge-case series.
TEST(CutY, Fixtures) {
    const auto f = test::load_operator_fixture("cut_y");
    const operator_def* def = find_operator("cut_y");
    ASSERT_NE(def, nullptr);
    ASSERT_GE(f.cases.size(), 50u);
    for (const auto& c : f.cases) {
        SCOPED_TRACE("case " + c.name);
        const bound_operator op = def->bind(test::fixture_params(*def, c.params));
        const test::multi_result r = test::run_multi(*def, op, f.input(c).view());
        for (std::size_t k = 0; k < 2; ++k) {
            const auto& e = c.expected[k == 0 ? "match" : "complement"];
            const series_view s = r.series_out(k);
            EXPECT_EQ(std::vector<std::int64_t>(s.time.begin(), s.time.end()), test::fixture_ints(e["time"]));
            const auto want = test::fixture_doubles(e["value"]);
            ASSERT_EQ(s.value.size(), want.size());
            for (std::size_t i = 0; i < want.size(); ++i)
                EXPECT_TRUE(std::isnan(want[i]) ? std::isnan(s.value[i]) : want[i] == s.value[i]) << i;
        }
    }
}
