// outliers: numpy fixtures (both outputs), hand-worked Hampel, MAD and IQR cases, the scale-0
// rule, every action, NaN / empty / one-point inputs, duration windows, agreement with a
// brute-force Hampel on long random series (both window structures), registry schema and
// parameter errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "algo/operator.hpp"
#include "algo/series/outliers.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

std::vector<std::int64_t> seconds(std::size_t n) {
    std::vector<std::int64_t> t(n);
    for (std::size_t i = 0; i < n; ++i) t[i] = 1000 * static_cast<std::int64_t>(i);
    return t;
}

test::multi_result run(const std::vector<std::int64_t>& t, const std::vector<double>& v, const char* yaml) {
    const operator_def* def = find_operator("outliers");
    const bound_operator op = def->bind(test::fixture_params(*def, YAML::Load(yaml)));
    return test::run_multi(*def, op, series_view{t, v});
}

std::vector<std::size_t> flagged(const std::vector<double>& v, const char* yaml) {
    const operator_def* def = find_operator("outliers");
    const outliers_params p = outliers_params::fields().read(test::fixture_params(*def, YAML::Load(yaml)));
    const auto t = seconds(v.size());
    std::vector<std::size_t> out;
    for (const auto& f : detect_outliers(series_view{t, v}, p)) out.push_back(f.index);
    return out;
}

void expect_values(const std::vector<double>& want, std::span<const double> got, double tol = 0.0) {
    ASSERT_EQ(want.size(), got.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_TRUE(test::fixture_near(want[i], got[i], tol))
            << "at " << i << ": expected " << want[i] << ", got " << got[i];
}

TEST(Outliers, Fixtures) {
    const auto f = test::load_operator_fixture("outliers");
    const operator_def* def = find_operator("outliers");
    ASSERT_NE(def, nullptr);
    ASSERT_GE(f.cases.size(), 200u);
    std::size_t rows = 0;
    std::size_t infinite = 0;
    for (const auto& c : f.cases) {
        SCOPED_TRACE("case " + c.name);
        const bound_operator op = def->bind(test::fixture_params(*def, c.params));
        const test::multi_result r = test::run_multi(*def, op, f.input(c).view());
        const series_view s = r.series_out(0);
        const auto& es = c.expected["series"];
        EXPECT_EQ(std::vector<std::int64_t>(s.time.begin(), s.time.end()), test::fixture_ints(es["time"]));
        expect_values(test::fixture_doubles(es["value"]), s.value, c.abs_tol);
        const auto& ef = c.expected["flags"];
        const auto want_time = test::fixture_ints(ef["time"]);
        ASSERT_EQ(r.tables[1].size(), want_time.size());
        EXPECT_EQ(r.column(1, "time").ints, want_time);
        expect_values(test::fixture_doubles(ef["value"]), r.column(1, "value").floats, c.abs_tol);
        expect_values(test::fixture_doubles(ef["reference"]), r.column(1, "reference").floats, c.abs_tol);
        const auto scores = test::fixture_doubles(ef["score"]);
        expect_values(scores, r.column(1, "score").floats, c.abs_tol);
        rows += want_time.size();
        infinite += static_cast<std::size_t>(std::count(scores.begin(), scores.end(), inf_v));
    }
    EXPECT_GT(rows, 100u);
    EXPECT_GT(infinite, 0u);  // the scale-0 rule is covered
}

TEST(Outliers, HampelHandWorked) {
    // Window 3 (one point either side). At 100: window {3, 100, 5}, median 5, deviations
    // {2, 95, 0}, MAD 2: score 95 / (1.4826 * 2) = 32.0. At 5: {100, 5, 6}, median 6, MAD 1:
    // score 1 / 1.4826 = 0.67. At the ends the window is cut: {1, 2}, median 1.5, MAD 0.5.
    const auto t = seconds(7);
    const std::vector<double> v{1, 2, 3, 100, 5, 6, 7};
    auto r = run(t, v, "{window: 3}");
    ASSERT_EQ(r.tables[1].size(), 1u);
    EXPECT_EQ(r.column(1, "time").ints[0], 3000);
    EXPECT_EQ(r.column(1, "value").floats[0], 100.0);
    EXPECT_EQ(r.column(1, "reference").floats[0], 5.0);
    EXPECT_DOUBLE_EQ(r.column(1, "score").floats[0], 95.0 / (1.4826 * 2.0));
    // flag: the series unchanged.
    EXPECT_EQ(std::vector<double>(r.series_out(0).value.begin(), r.series_out(0).value.end()), v);
    // replace: the window median; remove: the point is gone.
    r = run(t, v, "{window: 3, action: replace}");
    EXPECT_EQ(r.series_out(0).value[3], 5.0);
    r = run(t, v, "{window: 3, action: remove}");
    EXPECT_EQ(r.series_out(0).size(), 6u);
    EXPECT_EQ(r.series_out(0).time[3], 4000);
    // A low threshold catches the ends too: score 0.5 / 0.7413 = 0.674 at 1.
    EXPECT_EQ(flagged(v, "{window: 3, threshold: 0.6}"), (std::vector<std::size_t>{0, 3, 4, 6}));
    // Even window 4: points i-2 .. i+1. At 100: {2, 3, 100, 5}, median 4, MAD median{2,1,96,1} = 1.5.
    const auto f4 =
        detect_outliers(series_view{t, v}, outliers_params{outlier_method::hampel, {4, 0}, 3.0, outlier_action::flag});
    ASSERT_EQ(f4.size(), 1u);
    EXPECT_EQ(f4[0].reference, 4.0);
    EXPECT_DOUBLE_EQ(f4[0].score, 96.0 / (1.4826 * 1.5));
}

TEST(Outliers, ScaleZeroRule) {
    // More than half the window equal: MAD 0. A differing value is an outlier (score inf),
    // an equal one is not.
    const auto t = seconds(7);
    auto r = run(t, {5, 5, 5, 5, 9, 5, 5}, "{window: 7}");
    ASSERT_EQ(r.tables[1].size(), 1u);
    EXPECT_EQ(r.column(1, "score").floats[0], inf_v);
    EXPECT_EQ(r.column(1, "reference").floats[0], 5.0);
    EXPECT_EQ(run(t, std::vector<double>(7, 5.0), "{window: 7}").tables[1].size(), 0u);
    EXPECT_EQ(run(t, std::vector<double>(7, 5.0), "{method: mad}").tables[1].size(), 0u);
    EXPECT_EQ(run(t, std::vector<double>(7, 5.0), "{method: iqr}").tables[1].size(), 0u);
    // Global MAD 0 and IQR 0 flag the two odd values out.
    EXPECT_EQ(flagged({5, 5, 5, 5, 9, 5, 1}, "{method: mad}"), (std::vector<std::size_t>{4, 6}));
    EXPECT_EQ(flagged({5, 5, 5, 5, 9, 5, 1}, "{method: iqr}"), (std::vector<std::size_t>{4, 6}));
}

TEST(Outliers, GlobalMadAndIqrHandWorked) {
    // mad: median 3, deviations {2, 1, 0, 1, 97}, MAD 1: 100 scores 97 / 1.4826, 1 scores 1.349.
    EXPECT_EQ(flagged({1, 2, 3, 4, 100}, "{method: mad}"), (std::vector<std::size_t>{4}));
    EXPECT_EQ(flagged({1, 2, 3, 4, 100}, "{method: mad, threshold: 1.3}"), (std::vector<std::size_t>{0, 4}));
    // iqr: 1..8 and 30; Q1 at position 2 = 3, Q3 at position 6 = 7, IQR 4: 30 scores
    // (30 - 7) / 4 = 5.75 (Tukey's outer fence 7 + 3 * 4 = 19 is crossed).
    const std::vector<double> v{1, 2, 3, 4, 5, 6, 7, 8, 30};
    const auto t = seconds(v.size());
    const operator_def* def = find_operator("outliers");
    const auto p = outliers_params::fields().read(test::fixture_params(*def, YAML::Load("{method: iqr}")));
    const auto f = detect_outliers(series_view{t, v}, p);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].index, 8u);
    EXPECT_EQ(f[0].reference, 5.0);
    EXPECT_EQ(f[0].score, 5.75);
    EXPECT_TRUE(flagged(v, "{method: iqr, threshold: 5.75}").empty());  // strictly above
    // Interpolated quartiles: 4 values 0, 1, 2, 10: Q1 = 0.75, Q3 = 4, IQR 3.25; 10 scores 6 / 3.25.
    const std::vector<double> w{0, 10, 1, 2};
    const auto fw = detect_outliers(series_view{seconds(4), w},
                                    outliers_params{outlier_method::iqr, {7, 0}, 1.5, outlier_action::flag});
    ASSERT_EQ(fw.size(), 1u);
    EXPECT_EQ(fw[0].index, 1u);
    EXPECT_DOUBLE_EQ(fw[0].score, 6.0 / 3.25);
    EXPECT_EQ(fw[0].reference, 1.5);  // the median, (1 + 2) / 2
    // replace puts the series median in.
    const auto r = run(seconds(4), w, "{method: iqr, threshold: 1.5, action: replace}");
    expect_values({0, 1.5, 1, 2}, r.series_out(0).value);
}

TEST(Outliers, NanEmptyAndOnePoint) {
    // NaN is never an outlier, takes no part in the statistics, and is kept by every action.
    const auto t = seconds(7);
    const std::vector<double> v{1, nan_v, 2, 100, nan_v, 3, 2};
    for (const char* yaml : {"{window: 5, action: remove}", "{method: mad, action: remove}"}) {
        const auto r = run(t, v, yaml);
        EXPECT_EQ(r.column(1, "time").ints, (std::vector<std::int64_t>{3000})) << yaml;
        expect_values({1, nan_v, 2, nan_v, 3, 2}, r.series_out(0).value);
    }
    const auto rr = run(t, v, "{window: 5, action: replace}");
    // Window of 100: points 1..5 -> {2, 100, 3}, median 3.
    expect_values({1, nan_v, 2, 3, nan_v, 3, 2}, rr.series_out(0).value);
    for (const char* yaml : {"{}", "{method: mad}", "{method: iqr}", "{window: 1h, action: remove}"}) {
        EXPECT_EQ(run({}, {}, yaml).tables[1].size(), 0u);
        EXPECT_EQ(run({}, {}, yaml).series_out(0).size(), 0u);
        const auto one = run({5}, {2.5}, yaml);
        EXPECT_EQ(one.tables[1].size(), 0u);
        EXPECT_EQ(one.series_out(0).size(), 1u);
        const auto all_nan = run(seconds(3), {nan_v, nan_v, nan_v}, yaml);
        EXPECT_EQ(all_nan.tables[1].size(), 0u);
        EXPECT_EQ(all_nan.series_out(0).size(), 3u);
    }
    // A window larger than the series: every window is the whole series, as mad.
    const std::vector<double> s{1, 2, 3, 4, 100, 2, 3};
    EXPECT_EQ(flagged(s, "{window: 99}"), flagged(s, "{method: mad}"));
    // Window 1: each point is its own median.
    EXPECT_TRUE(flagged(s, "{window: 1, threshold: 0.001}").empty());
}

TEST(Outliers, DurationWindowsFollowTimestamps) {
    // window 2s: [t - 1000, t + 999]. The 50 at 2100 sees {1, 50, 2} (points at 1500, 2100,
    // 3000), median 2, deviations {1, 48, 0}, MAD 1. After the hole, 80 and 81 only see each
    // other (median 80.5, MAD 0.5: scores 0.67).
    const std::vector<std::int64_t> t{0, 1500, 2100, 3000, 3900, 9000, 9500};
    const std::vector<double> v{1, 1, 50, 2, 2, 80, 81};
    const auto r = run(t, v, "{window: 2s}");
    ASSERT_EQ(r.tables[1].size(), 1u);
    EXPECT_EQ(r.column(1, "time").ints[0], 2100);
    EXPECT_EQ(r.column(1, "reference").floats[0], 2.0);
    EXPECT_DOUBLE_EQ(r.column(1, "score").floats[0], 48.0 / 1.4826);
}

TEST(Outliers, InfiniteValues) {
    // Ordered like any value; |inf - m| = inf scores inf.
    EXPECT_EQ(flagged({1, 2, inf_v, 3, 2}, "{window: 5}"), (std::vector<std::size_t>{2}));
    EXPECT_EQ(flagged({1, 2, -inf_v, 3, 2}, "{method: iqr}"), (std::vector<std::size_t>{2}));
}

// The definition, window by window: copy, sort, median, deviations, sort, median.
std::vector<outlier_flag> brute_hampel(const std::vector<std::int64_t>& t, const std::vector<double>& v, bool points,
                                       std::int64_t width, double threshold) {
    const std::int64_t back = width / 2;
    const std::int64_t fwd = width - back - 1;
    const auto n = static_cast<std::int64_t>(v.size());
    std::vector<outlier_flag> out;
    std::int64_t first = 0;  // no window reaches below the previous one's start
    for (std::int64_t i = 0; i < n; ++i) {
        if (std::isnan(v[i])) continue;
        std::vector<double> w;
        while (points ? first < i - back : t[first] < t[i] - back) ++first;
        for (std::int64_t j = first; j < n; ++j) {
            const bool in = points ? j <= i + fwd : t[j] <= t[i] + fwd;
            if (!in) break;
            if (!std::isnan(v[j])) w.push_back(v[j]);
        }
        auto median = [](std::vector<double> x) {
            std::sort(x.begin(), x.end());
            const std::size_t h = x.size() / 2;
            return x.size() % 2 ? x[h] : (x[h - 1] + x[h]) / 2.0;
        };
        const double m = median(w);
        for (double& x : w) x = std::fabs(x - m);
        const double scale = 1.4826 * median(w);
        const double dev = std::fabs(v[i] - m);
        const double score = dev == 0.0 ? 0.0 : dev / scale;
        if (score > threshold) out.push_back({static_cast<std::size_t>(i), m, score});
    }
    return out;
}

TEST(Outliers, HampelMatchesBruteForceOnLongSeries) {
    std::mt19937_64 rng(1998);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const std::size_t n = 2500;
    std::vector<std::int64_t> t(n);
    std::vector<double> v(n);
    std::int64_t at = -40'000;
    for (std::size_t i = 0; i < n; ++i) {
        at += 1 + static_cast<std::int64_t>(rng() % (i % 400 < 10 ? 30000 : 1500));
        t[i] = at;
        // A wave with noise, spikes, NaN runs, and a quantised stretch (ties, MAD 0 windows).
        double x = 10.0 * std::sin(static_cast<double>(i) / 50.0) + noise(rng);
        if (u(rng) < 0.02) x += (u(rng) < 0.5 ? -1.0 : 1.0) * (8.0 + 20.0 * u(rng));
        if (i >= 1200 && i < 1700) x = std::round(x / 4.0);
        v[i] = (i % 131 < 4) ? nan_v : x;
    }
    struct window_case {
        const char* text;
        bool points;
        std::int64_t width;
    };
    const window_case windows[] = {{"7", true, 7},         {"4", true, 4},          {"64", true, 64},
                                   {"601", true, 601},     {"2500ms", false, 2500}, {"40s", false, 40000},
                                   {"400s", false, 400000}};
    for (const auto& w : windows) {
        for (const double threshold : {3.0, 1.0}) {
            const outliers_params p{outlier_method::hampel, parse_rolling_window(w.text), threshold,
                                    outlier_action::flag};
            const auto want = brute_hampel(t, v, w.points, w.width, threshold);
            // The sorted array (as chosen for these widths), the Fenwick tree for every width,
            // and a limit that sends some widths each way.
            for (const std::size_t limit : {std::size_t{8192}, std::size_t{0}, std::size_t{40}}) {
                SCOPED_TRACE(std::string(w.text) + " threshold " + std::to_string(threshold) + " limit " +
                             std::to_string(limit));
                const auto got = limit == 8192 ? detect_outliers(series_view{t, v}, p)
                                               : detail::detect_outliers(series_view{t, v}, p, limit);
                ASSERT_EQ(got.size(), want.size());
                for (std::size_t k = 0; k < want.size(); ++k) {
                    ASSERT_EQ(got[k].index, want[k].index) << k;
                    ASSERT_EQ(got[k].reference, want[k].reference) << k;
                    ASSERT_EQ(got[k].score, want[k].score) << k;
                }
            }
        }
    }
}

TEST(Outliers, RegistrySchema) {
    const operator_def* def = find_operator("outliers");
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->input, data_kind::series);
    ASSERT_EQ(def->outputs.size(), 2u);
    EXPECT_EQ(def->outputs[0].name, "series");
    EXPECT_EQ(def->outputs[0].kind, data_kind::series);
    EXPECT_EQ(def->outputs[1].name, "flags");
    EXPECT_EQ(def->outputs[1].kind, data_kind::table);
    EXPECT_EQ(def->default_series_output(), 0);
    EXPECT_EQ(def->find_output("flags"), 1);
    ASSERT_EQ(def->params.size(), 4u);
    EXPECT_EQ(def->params[0].name, "method");
    EXPECT_EQ(def->params[0].choices, (std::vector<std::string>{"hampel", "mad", "iqr"}));
    EXPECT_EQ(def->params[1].name, "window");
    EXPECT_EQ(def->params[1].type, param_type::string);
    EXPECT_EQ(std::get<std::string>(*def->params[1].default_value), "7");
    EXPECT_EQ(def->params[2].name, "threshold");
    EXPECT_EQ(std::get<double>(*def->params[2].default_value), 3.0);
    EXPECT_TRUE(def->params[2].min_exclusive);
    EXPECT_EQ(def->params[3].name, "action");
    EXPECT_EQ(def->params[3].choices, (std::vector<std::string>{"flag", "remove", "replace"}));
    const bound_operator op = def->bind(test::fixture_params(*def, YAML::Load("{}")));
    ASSERT_TRUE(op.multi);
    const auto cols = op.multi->columns(1);
    ASSERT_EQ(cols.size(), 4u);
    EXPECT_EQ(cols[0].name, "time");
    EXPECT_EQ(cols[0].type, column_type::int64);
    EXPECT_EQ(cols[1].name, "value");
    EXPECT_EQ(cols[2].name, "reference");
    EXPECT_EQ(cols[3].name, "score");
    const outliers_params p = outliers_params::fields().read(test::fixture_params(*def, YAML::Load("{}")));
    EXPECT_EQ(p.window.points, 7);
    EXPECT_EQ(outliers_params::fields().read(test::fixture_params(*def, YAML::Load("{window: 1h}"))).window.ms, 3'600'000);
}

TEST(Outliers, BadParametersThrowNamingThem) {
    const operator_def* def = find_operator("outliers");
    ASSERT_NE(def, nullptr);
    const std::pair<const char*, const char*> bad[] = {
        {"{window: 0}", "window"},        {"{window: '-3'}", "window"},   {"{window: abc}", "window"},
        {"{window: 0s}", "window"},       {"{window: '-1h'}", "window"},  {"{threshold: 0}", "threshold"},
        {"{threshold: -2}", "threshold"}, {"{method: zscore}", "method"}, {"{action: drop}", "action"},
    };
    for (const auto& [yaml, name] : bad) {
        try {
            (void)def->bind(test::fixture_params(*def, YAML::Load(yaml)));
            ADD_FAILURE() << yaml;
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), name) << yaml << ": " << e.what();
        }
    }
    EXPECT_THROW(
        (void)detect_outliers(series_view{}, outliers_params{outlier_method::mad, {0, 0}, 3.0, outlier_action::flag}),
        param_error);
}

}  // namespace
}  // namespace tsbatch
