// rolling: pandas/numpy fixtures, hand-worked cases (alignments, truncated windows, NaN,
// duration windows on irregular data), agreement with a brute-force reference on long random
// series, registry schema and parameter errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "algo/operator.hpp"
#include "algo/series/rolling.hpp"
#include "core/time.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

struct output {
    std::vector<std::int64_t> time;
    std::vector<double> value;
};

output run(const std::vector<std::int64_t>& t, const std::vector<double>& v, const char* yaml) {
    const operator_def* def = find_operator("rolling");
    const bound_operator op = def->bind(test::fixture_params(*def, YAML::Load(yaml)));
    output o;
    series_sink sink(o.time, o.value);
    op.series->apply(series_view{t, v}, sink);
    return o;
}

void expect_values(const std::vector<double>& want, const std::vector<double>& got, double tol = 1e-12) {
    ASSERT_EQ(want.size(), got.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_TRUE(test::fixture_near(want[i], got[i], tol))
            << "at " << i << ": expected " << want[i] << ", got " << got[i];
}

const std::vector<std::int64_t> t6{0, 1000, 2000, 3000, 4000, 5000};
const std::vector<double> v6{1.0, 2.0, 4.0, 8.0, 16.0, 32.0};

TEST(Rolling, Fixtures) {
    const auto f = test::load_operator_fixture("rolling");
    const operator_def* def = find_operator("rolling");
    ASSERT_NE(def, nullptr);
    ASSERT_GE(f.cases.size(), 1000u);
    const std::size_t empty = test::check_series_fixture(f, *def);
    EXPECT_GT(empty, 0u);
    EXPECT_LT(empty, f.cases.size() / 2);
}

TEST(Rolling, PointWindowsHandWorked) {
    // Right (IKATS rollmean): N-K+1 points at the window's last point.
    auto o = run(t6, v6, "{window: 3}");
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{2000, 3000, 4000, 5000}));
    expect_values({7.0 / 3, 14.0 / 3, 28.0 / 3, 56.0 / 3}, o.value);
    o = run(t6, v6, "{window: 3, align: left, aggregation: sum}");
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{0, 1000, 2000, 3000}));
    expect_values({7.0, 14.0, 28.0, 56.0}, o.value);
    // Even K centred as pandas: window [i-2, i+1].
    o = run(t6, v6, "{window: 4, align: center, aggregation: max}");
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{2000, 3000, 4000}));
    expect_values({8.0, 16.0, 32.0}, o.value);
    // min_points < K: every label, windows cut at the ends.
    o = run(t6, v6, "{window: 3, align: center, aggregation: min, min_points: 2}");
    EXPECT_EQ(o.time, t6);
    expect_values({1.0, 1.0, 2.0, 4.0, 8.0, 16.0}, o.value);
    o = run(t6, v6, "{window: 4, aggregation: median, min_points: 1}");
    expect_values({1.0, 1.5, 2.0, 3.0, 6.0, 12.0}, o.value);
    o = run(t6, v6, "{window: 2, aggregation: std}");
    expect_values({std::sqrt(0.5), std::sqrt(2.0), std::sqrt(8.0), std::sqrt(32.0), std::sqrt(128.0)}, o.value);
    // K = 1 is a copy; K > N with the default min_points gives nothing.
    EXPECT_EQ(run(t6, v6, "{window: 1}").value, v6);
    EXPECT_TRUE(run(t6, v6, "{window: 7}").time.empty());
    // K > N with min_points: every window is the clipped series.
    o = run(t6, v6, "{window: 100, aggregation: sum, min_points: 6}");
    expect_values({nan_v, nan_v, nan_v, nan_v, nan_v, 63.0}, o.value);
}

TEST(Rolling, NanSkippedAndCounted) {
    const std::vector<double> v{1.0, nan_v, 3.0, nan_v, nan_v, 6.0};
    // Default min_points = K: a full window with NaN gives NaN but keeps its label.
    auto o = run(t6, v, "{window: 2}");
    EXPECT_EQ(o.time.size(), 5u);
    expect_values({nan_v, nan_v, nan_v, nan_v, nan_v}, o.value);
    o = run(t6, v, "{window: 3, min_points: 1, aggregation: mean}");
    expect_values({1.0, 1.0, 2.0, 3.0, 3.0, 6.0}, o.value);
    o = run(t6, v, "{window: 3, min_points: 2, aggregation: sum}");
    expect_values({nan_v, nan_v, 4.0, nan_v, nan_v, nan_v}, o.value);
    o = run(t6, v, "{window: 3, min_points: 1, aggregation: std}");
    expect_values({nan_v, nan_v, std::sqrt(2.0), nan_v, nan_v, nan_v}, o.value);
    // All NaN, one point, empty.
    expect_values({nan_v, nan_v}, run({0, 1, 2}, {nan_v, nan_v, nan_v}, "{window: 2, aggregation: max}").value);
    EXPECT_TRUE(run({}, {}, "{window: 1h}").time.empty());
    expect_values({2.5}, run({7}, {2.5}, "{window: 1h, aggregation: median}").value);
    expect_values({nan_v}, run({7}, {2.5}, "{window: 1h, aggregation: std}").value);
    // Constant: std exactly 0.
    o = run(t6, std::vector<double>(6, 0.1), "{window: 4, aggregation: std}");
    expect_values({0.0, 0.0, 0.0}, o.value, 0.0);
}

TEST(Rolling, DurationWindowsFollowTimestamps) {
    // Irregular with a hole longer than the window.
    const std::vector<std::int64_t> t{0, 400, 1000, 1500, 9000, 9999};
    const std::vector<double> v{1.0, 2.0, 3.0, 4.0, 5.0, 6.0};
    // right: (t-1000, t].
    auto o = run(t, v, "{window: 1s, aggregation: sum}");
    EXPECT_EQ(o.time, t);
    expect_values({1.0, 3.0, 5.0, 7.0, 5.0, 11.0}, o.value);
    // left: [t, t+1000).
    expect_values({3.0, 5.0, 7.0, 4.0, 11.0, 6.0}, run(t, v, "{window: PT1S, aggregation: sum, align: left}").value);
    // center W=1000: [t-500, t+500).
    expect_values({3.0, 3.0, 3.0, 7.0, 5.0, 6.0}, run(t, v, "{window: 1000ms, aggregation: sum, align: center}").value);
    // min_points on duration windows; W = 1 ms holds one point.
    expect_values({nan_v, 2.0, 3.0, 4.0, nan_v, 6.0}, run(t, v, "{window: 1s, aggregation: max, min_points: 2}").value);
    EXPECT_EQ(run(t, v, "{window: 1ms, aggregation: median}").value, v);
}

// Brute force over explicit windows, for long random series with NaN and every path.
double brute(const std::vector<double>& v, std::size_t lo, std::size_t hi, const std::string& agg, std::int64_t m) {
    std::vector<double> x;
    for (std::size_t j = lo; j < hi; ++j)
        if (!std::isnan(v[j])) x.push_back(v[j]);
    const auto n = static_cast<std::int64_t>(x.size());
    if (n < m || n == 0 || (agg == "std" && n < 2)) return nan_v;
    std::sort(x.begin(), x.end());
    double s = 0.0;
    for (double a : x) s += a;
    if (agg == "sum") return s;
    if (agg == "mean") return s / static_cast<double>(n);
    if (agg == "min") return x.front();
    if (agg == "max") return x.back();
    if (agg == "median") return n % 2 ? x[x.size() / 2] : (x[x.size() / 2 - 1] + x[x.size() / 2]) / 2.0;
    const double mu = s / static_cast<double>(n);
    double q = 0.0;
    for (double a : x) q += (a - mu) * (a - mu);
    return std::sqrt(q / static_cast<double>(n - 1));
}

TEST(Rolling, MatchesBruteForceOnLongSeries) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(0.0, 1.0);
    const std::size_t n = 3000;
    std::vector<std::int64_t> t(n);
    std::vector<double> v(n);
    std::int64_t at = -5000;
    for (std::size_t i = 0; i < n; ++i) {
        at += 1 + static_cast<std::int64_t>(rng() % (i % 500 < 20 ? 20000 : 1500));
        t[i] = at;
        // 1e3 + noise, NaN runs, and a high-variance stretch followed by a quiet one (drift).
        v[i] = (i % 97 < 5) ? nan_v : 1e3 + noise(rng) * (i < 1500 ? 100.0 : 0.01);
    }
    for (const char* agg : {"mean", "sum", "min", "max", "std", "median"}) {
        for (const char* align : {"left", "center", "right"}) {
            for (const char* win : {"13", "64", "2500ms", "40s"}) {
                for (int m : {0, 1, 9}) {
                    std::string yaml = std::string("{window: ") + win + ", aggregation: " + agg + ", align: " + align;
                    if (m > 0) yaml += ", min_points: " + std::to_string(m);
                    yaml += "}";
                    SCOPED_TRACE(yaml);
                    const output o = run(t, v, yaml.c_str());
                    const bool points = win[std::string(win).size() - 1] != 's';
                    const std::int64_t width = points ? std::stoll(win) : parse_duration(win);
                    const std::int64_t back = std::string(align) == "left"     ? 0
                                              : std::string(align) == "center" ? width / 2
                                                                               : width - 1;
                    const std::int64_t fwd = width - 1 - back;
                    const std::int64_t mm = m > 0 ? m : (points ? width : 1);
                    std::size_t k = 0;
                    for (std::size_t i = 0; i < n; ++i) {
                        std::size_t lo = 0, hi = 0;
                        if (points) {
                            if (mm == width && (i < static_cast<std::size_t>(back) || i + fwd >= n)) continue;
                            lo = i >= static_cast<std::size_t>(back) ? i - back : 0;
                            hi = std::min(n, i + fwd + 1);
                        } else {
                            while (lo < n && t[lo] < t[i] - back) ++lo;
                            hi = lo;
                            while (hi < n && t[hi] <= t[i] + fwd) ++hi;
                        }
                        ASSERT_LT(k, o.value.size());
                        ASSERT_EQ(o.time[k], t[i]);
                        const double want = brute(v, lo, hi, agg, mm);
                        ASSERT_TRUE(
                            test::fixture_near(want, o.value[k], 1e-9 * (std::string(agg) == "sum" ? 1e5 : 1.0), 1e-9))
                            << "label " << i << ": " << want << " vs " << o.value[k];
                        ++k;
                    }
                    EXPECT_EQ(k, o.value.size());
                }
            }
        }
    }
}

TEST(Rolling, RegistrySchema) {
    const operator_def* def = find_operator("rolling");
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->input, data_kind::series);
    ASSERT_EQ(def->outputs.size(), 1u);
    EXPECT_EQ(def->outputs[0].kind, data_kind::series);
    ASSERT_EQ(def->params.size(), 4u);
    EXPECT_EQ(def->params[0].name, "window");
    EXPECT_EQ(def->params[0].type, param_type::string);
    EXPECT_TRUE(def->params[0].required());
    EXPECT_EQ(def->params[1].name, "aggregation");
    EXPECT_EQ(def->params[1].choices.size(), 6u);
    EXPECT_EQ(def->params[2].name, "align");
    EXPECT_EQ(std::get<std::string>(def->params[2].default_value.value()), "right");
    EXPECT_EQ(def->params[3].name, "min_points");
    EXPECT_FALSE(def->params[3].default_value.has_value());
    EXPECT_FALSE(def->params[3].required());
    // After the cut operators in the catalogue.
    const auto& cat = operator_catalogue();
    std::size_t cut_at = cat.size(), at = cat.size();
    for (std::size_t k = 0; k < cat.size(); ++k) {
        if (cat[k].name == "cut") cut_at = k;
        if (cat[k].name == "rolling") at = k;
    }
    EXPECT_GT(at, cut_at);
    EXPECT_LT(at, cat.size());

    EXPECT_EQ(parse_rolling_window("12").points, 12);
    EXPECT_EQ(parse_rolling_window("1h").ms, 3'600'000);
    EXPECT_EQ(parse_rolling_window("PT15M").ms, 900'000);
    const rolling_params p = rolling_params::fields().read(test::fixture_params(*def, YAML::Load("{window: 12}")));
    EXPECT_EQ(effective_min_points(p), 12);
    EXPECT_EQ(effective_min_points(rolling_params::fields().read(test::fixture_params(*def, YAML::Load("{window: 1h}")))), 1);
}

TEST(Rolling, BadParametersThrowNamingThem) {
    const operator_def* def = find_operator("rolling");
    ASSERT_NE(def, nullptr);
    const std::pair<const char*, const char*> bad[] = {
        {"{window: 0}", "window"},
        {"{window: '-3'}", "window"},
        {"{window: abc}", "window"},
        {"{window: 0s}", "window"},
        {"{window: '99999999999999999999'}", "window"},
        {"{window: 5, min_points: 6}", "min_points"},
        {"{window: 5, min_points: 0}", "min_points"},
        {"{window: 1h, min_points: 0}", "min_points"},
        {"{window: 5, aggregation: mode}", "aggregation"},
        {"{window: 5, align: middle}", "align"},
        {"{}", "window"},
    };
    for (const auto& [yaml, name] : bad) {
        try {
            (void)def->bind(test::fixture_params(*def, YAML::Load(yaml)));
            ADD_FAILURE() << yaml;
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), name) << yaml << ": " << e.what();
        }
    }
    // A duration window takes any min_points.
    EXPECT_NO_THROW((void)def->bind(test::fixture_params(*def, YAML::Load("{window: 1s, min_points: 500}"))));
    std::vector<std::int64_t> ot;
    std::vector<double> ov;
    series_sink sink(ot, ov);
    EXPECT_THROW(rolling(series_view{}, rolling_params{}, sink), param_error);
}

}  // namespace
}  // namespace tsbatch
