// resample: pandas fixtures, hand-worked cases, a brute-force cross-check on random data
// (bucket search, long buckets, up-sampling), registry schema and parameter errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "algo/operator.hpp"
#include "algo/series/resample.hpp"
#include "core/time.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

struct output {
    std::vector<std::int64_t> time;
    std::vector<double> value;
};

output run(const std::vector<std::int64_t>& t, const std::vector<double>& v, const resample_params& p) {
    output o;
    series_sink sink(o.time, o.value);
    resample(series_view{t, v}, p, sink);
    return o;
}

resample_params params(std::int64_t period, resample_aggregation a = resample_aggregation::mean) {
    resample_params p;
    p.period = period;
    p.aggregation = a;
    return p;
}

void expect_values(const std::vector<double>& want, const std::vector<double>& got) {
    ASSERT_EQ(want.size(), got.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_TRUE(test::fixture_near(want[i], got[i], 1e-15))
            << "at " << i << ": expected " << want[i] << ", got " << got[i];
}

// A deliberately naive reference: one floor division and one map insertion per point.
output brute_force(const std::vector<std::int64_t>& t, const std::vector<double>& v, const resample_params& p) {
    output o;
    if (t.empty()) return o;
    const std::int64_t origin = p.origin == resample_origin::first ? t[0] : 0;
    std::map<std::int64_t, std::vector<std::size_t>> buckets;
    for (std::size_t i = 0; i < t.size(); ++i) buckets[floor_div(t[i] - origin, p.period)].push_back(i);
    const std::int64_t offset = p.label == resample_label::start ? 0
                                : p.label == resample_label::mid ? p.period / 2
                                                                 : p.period;
    auto aggregate = [&](const std::vector<std::size_t>& idx) {
        std::vector<double> x;
        for (auto i : idx)
            if (!std::isnan(v[i])) x.push_back(v[i]);
        if (x.empty()) return nan_v;
        long double s = 0;
        for (double y : x) s += y;
        std::vector<double> sorted = x;
        std::sort(sorted.begin(), sorted.end());
        const std::size_t m = x.size();
        switch (p.aggregation) {
            case resample_aggregation::mean:
                return static_cast<double>(s / m);
            case resample_aggregation::sum:
                return static_cast<double>(s);
            case resample_aggregation::count:
                return static_cast<double>(m);
            case resample_aggregation::min:
                return *std::min_element(x.begin(), x.end());
            case resample_aggregation::max:
                return *std::max_element(x.begin(), x.end());
            case resample_aggregation::first:
                return x.front();
            case resample_aggregation::last:
                return x.back();
            case resample_aggregation::median:
                return m % 2 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2.0;
            case resample_aggregation::std: {
                if (m < 2) return nan_v;
                const long double mean = s / m;
                long double m2 = 0;
                for (double y : x) m2 += (y - mean) * (y - mean);
                return static_cast<double>(std::sqrt(m2 / (m - 1)));
            }
        }
        return nan_v;
    };
    const std::int64_t max_gap = p.max_gap ? *p.max_gap : 2 * p.period;
    std::int64_t prev_k = 0;
    bool first = true;
    for (const auto& [k, idx] : buckets) {
        if (!first && p.fill != resample_fill::none) {
            for (std::int64_t e = prev_k + 1; e < k; ++e) {
                const std::int64_t start = origin + e * p.period;
                const auto after = static_cast<std::size_t>(std::lower_bound(t.begin(), t.end(), start) - t.begin());
                const std::size_t before = after - 1;
                if (t[after] - t[before] > max_gap) continue;
                const std::int64_t label = start + offset;
                double val = p.fill == resample_fill::previous ? v[before] : v[after];
                if (p.fill == resample_fill::linear) {
                    const long double frac = static_cast<long double>(label - t[before]) / (t[after] - t[before]);
                    val = static_cast<double>(v[before] + (static_cast<long double>(v[after]) - v[before]) * frac);
                }
                o.time.push_back(label);
                o.value.push_back(val);
            }
        }
        o.time.push_back(origin + k * p.period + offset);
        o.value.push_back(aggregate(idx));
        prev_k = k;
        first = false;
    }
    return o;
}

TEST(Resample, Fixtures) {
    const auto f = test::load_operator_fixture("resample");
    const operator_def* def = find_operator("resample");
    ASSERT_NE(def, nullptr);
    ASSERT_GE(f.cases.size(), 150u);
    test::check_series_fixture(f, *def);
}

TEST(Resample, HandWorkedAggregations) {
    // Buckets of 1 s: [0] {1}, [1000] {2, NaN}, [4000] {4, 6, 8, 9}.
    const std::vector<std::int64_t> t{0, 1000, 1500, 4000, 4100, 4500, 4999};
    const std::vector<double> v{1.0, 2.0, nan_v, 4.0, 6.0, 8.0, 9.0};
    using a = resample_aggregation;
    const std::map<a, std::vector<double>> want = {
        {a::mean, {1.0, 2.0, 6.75}},
        {a::sum, {1.0, 2.0, 27.0}},
        {a::count, {1.0, 1.0, 4.0}},
        {a::min, {1.0, 2.0, 4.0}},
        {a::max, {1.0, 2.0, 9.0}},
        {a::median, {1.0, 2.0, 7.0}},
        {a::first, {1.0, 2.0, 4.0}},
        {a::last, {1.0, 2.0, 9.0}},
        {a::std, {nan_v, nan_v, std::sqrt((7.5625 + 0.5625 + 1.5625 + 5.0625) / 3.0)}},
    };
    for (const auto& [agg, values] : want) {
        SCOPED_TRACE(static_cast<int>(agg));
        const auto o = run(t, v, params(1000, agg));
        EXPECT_EQ(o.time, (std::vector<std::int64_t>{0, 1000, 4000}));
        expect_values(values, o.value);
    }
}

TEST(Resample, AllNanBucketGivesNanForEveryAggregation) {
    const std::vector<std::int64_t> t{0, 10, 20, 1000};
    const std::vector<double> v{nan_v, nan_v, nan_v, 5.0};
    for (int a = 0; a <= static_cast<int>(resample_aggregation::std); ++a) {
        const auto o = run(t, v, params(1000, static_cast<resample_aggregation>(a)));
        ASSERT_EQ(o.time, (std::vector<std::int64_t>{0, 1000})) << a;
        EXPECT_TRUE(std::isnan(o.value[0])) << a;
    }
    // first / last skip NaN at the bucket edges.
    const std::vector<double> w{nan_v, 3.0, nan_v, 5.0};
    EXPECT_EQ(run(t, w, params(1000, resample_aggregation::first)).value[0], 3.0);
    EXPECT_EQ(run(t, w, params(1000, resample_aggregation::last)).value[0], 3.0);
}

TEST(Resample, NegativeTimestampsUseFloorDivision) {
    const std::vector<std::int64_t> t{-2500, -1200, -1000, -1, 0, 999};
    const std::vector<double> v{1, 2, 3, 4, 5, 6};
    auto o = run(t, v, params(1000, resample_aggregation::count));
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{-3000, -2000, -1000, 0}));
    expect_values({1, 1, 2, 2}, o.value);
    auto p = params(1001);
    p.label = resample_label::mid;  // start + 500
    o = run(t, v, p);
    // floor(-2500/1001) = -3 -> -3003; -1200 -> -2002; -1000, -1 -> -1001; 0, 999 -> 0.
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{-2503, -1502, -501, 500}));
    expect_values({1, 2, 3.5, 5.5}, o.value);
}

TEST(Resample, OriginFirst) {
    const std::vector<std::int64_t> t{7, 8, 1006, 2007};
    const std::vector<double> v{1, 2, 3, 4};
    auto p = params(1000);
    p.origin = resample_origin::first;
    auto o = run(t, v, p);
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{7, 2007}));
    expect_values({2, 4}, o.value);
    p.origin = resample_origin::epoch;
    o = run(t, v, p);
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{0, 1000, 2000}));
}

TEST(Resample, FillAndLabels) {
    const std::vector<std::int64_t> t{0, 3000};
    const std::vector<double> v{0.0, 3.0};
    auto p = params(1000);
    // Distance 3000 > default max_gap 2000: nothing filled.
    p.fill = resample_fill::linear;
    EXPECT_EQ(run(t, v, p).time, (std::vector<std::int64_t>{0, 3000}));
    p.max_gap = 3000;
    auto o = run(t, v, p);
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{0, 1000, 2000, 3000}));
    expect_values({0, 1, 2, 3}, o.value);
    p.label = resample_label::mid;
    o = run(t, v, p);
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{500, 1500, 2500, 3500}));
    expect_values({0, 1.5, 2.5, 3}, o.value);
    p.label = resample_label::end;
    o = run(t, v, p);
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{1000, 2000, 3000, 4000}));
    expect_values({0, 2, 3, 3}, o.value);  // the last filled label is the next point itself
    p.label = resample_label::start;
    p.fill = resample_fill::previous;
    expect_values({0, 0, 0, 3}, run(t, v, p).value);
    p.fill = resample_fill::next;
    expect_values({0, 3, 3, 3}, run(t, v, p).value);
    p.fill = resample_fill::none;
    EXPECT_EQ(run(t, v, p).time.size(), 2u);  // max_gap ignored without fill

    // The neighbours are raw points: a NaN neighbour gives NaN (except for the other side).
    const std::vector<double> w{nan_v, 3.0};
    p.fill = resample_fill::linear;
    auto on = run(t, w, p);
    ASSERT_EQ(on.value.size(), 4u);
    EXPECT_TRUE(std::isnan(on.value[1]) && std::isnan(on.value[2]));
    p.fill = resample_fill::next;
    expect_values({nan_v, 3, 3, 3}, run(t, w, p).value);

    // The neighbours are the points next to the hole, not the bucket aggregates.
    const std::vector<std::int64_t> t2{0, 900, 3100, 3200};
    const std::vector<double> v2{10.0, 20.0, 40.0, 60.0};
    p = params(1000);
    p.fill = resample_fill::linear;
    p.max_gap = 2200;
    o = run(t2, v2, p);
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{0, 1000, 2000, 3000}));
    expect_values({15.0, 20.0 + 20.0 * 100.0 / 2200.0, 20.0 + 20.0 * 1100.0 / 2200.0, 50.0}, o.value);
    p.max_gap = 2199;
    EXPECT_EQ(run(t2, v2, p).time, (std::vector<std::int64_t>{0, 3000}));
}

TEST(Resample, EmptyAndSinglePoint) {
    for (int fill = 0; fill <= static_cast<int>(resample_fill::next); ++fill) {
        auto p = params(60000);
        p.fill = static_cast<resample_fill>(fill);
        EXPECT_TRUE(run({}, {}, p).time.empty());
        const auto o = run({-1}, {2.0}, p);
        EXPECT_EQ(o.time, (std::vector<std::int64_t>{-60000}));
        EXPECT_EQ(o.value, (std::vector<double>{2.0}));
    }
}

TEST(Resample, MatchesBruteForceOnRandomSeries) {
    std::mt19937_64 rng(5);
    std::uniform_int_distribution<int> coin(0, 99);
    std::normal_distribution<double> noise(0.0, 1.0);
    struct shape {
        const char* name;
        std::int64_t base_step;
        int jitter;
        std::size_t n;
    };
    const shape shapes[] = {{"dense", 10, 0, 20000}, {"jitter", 1000, 300, 5000}, {"sparse", 50000, 40000, 400}};
    for (const auto& s : shapes) {
        std::uniform_int_distribution<int> j(-s.jitter, s.jitter);
        std::vector<std::int64_t> t(s.n);
        std::vector<double> v(s.n);
        t[0] = -1'000'003;
        for (std::size_t i = 0; i < s.n; ++i) {
            if (i > 0) {
                std::int64_t step = s.base_step + j(rng);
                if (coin(rng) == 0) step *= 37;  // occasional gaps
                t[i] = t[i - 1] + std::max<std::int64_t>(1, step);
            }
            v[i] = coin(rng) < 10 ? nan_v : 100.0 + noise(rng);
        }
        for (std::int64_t period :
             {std::int64_t{7}, std::int64_t{1000}, std::int64_t{60000}, std::int64_t{3'600'000}}) {
            for (int a = 0; a <= static_cast<int>(resample_aggregation::std); ++a) {
                for (int fill = 0; fill <= static_cast<int>(resample_fill::next); ++fill) {
                    if (period == 7 && s.base_step >= 1000 && fill != 0) continue;  // millions of filled points
                    resample_params p = params(period, static_cast<resample_aggregation>(a));
                    p.fill = static_cast<resample_fill>(fill);
                    p.label = static_cast<resample_label>((a + fill) % 3);
                    p.origin = static_cast<resample_origin>(a % 2);
                    if (fill == 2) p.max_gap = period * 5;
                    SCOPED_TRACE(std::string(s.name) + " period " + std::to_string(period) + " agg " +
                                 std::to_string(a) + " fill " + std::to_string(fill));
                    const output got = run(t, v, p);
                    const output want = brute_force(t, v, p);
                    ASSERT_EQ(got.time, want.time);
                    for (std::size_t i = 0; i < want.value.size(); ++i)
                        ASSERT_TRUE(test::fixture_near(want.value[i], got.value[i], 1e-11))
                            << i << ": " << want.value[i] << " vs " << got.value[i];
                    ASSERT_TRUE(std::is_sorted(got.time.begin(), got.time.end()));
                    ASSERT_TRUE(std::adjacent_find(got.time.begin(), got.time.end()) == got.time.end());
                }
            }
        }
    }
}

TEST(Resample, RegistrySchema) {
    const operator_def* def = find_operator("resample");
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->input, data_kind::series);
    ASSERT_EQ(def->outputs.size(), 1u);
    EXPECT_EQ(def->outputs[0].kind, data_kind::series);
    EXPECT_FALSE(def->summary.empty());
    const std::vector<std::string> names = {"period", "aggregation", "label", "fill", "max_gap", "origin"};
    ASSERT_EQ(def->params.size(), names.size());
    for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(def->params[i].name, names[i]);

    const param_spec& period = def->params[0];
    EXPECT_EQ(period.type, param_type::duration);
    EXPECT_TRUE(period.required());
    EXPECT_TRUE(period.min_exclusive);
    EXPECT_EQ(period.min.value_or(-1), 0.0);
    EXPECT_EQ(period.unit, "ms");

    auto expect_choice = [&](const char* name, std::vector<std::string> choices) {
        const param_spec* s = def->find_param(name);
        ASSERT_NE(s, nullptr);
        EXPECT_EQ(s->type, param_type::choice);
        EXPECT_EQ(s->choices, choices);
        ASSERT_TRUE(s->default_value.has_value());
        EXPECT_EQ(std::get<std::string>(*s->default_value), choices.front());
    };
    expect_choice("aggregation", {"mean", "min", "max", "median", "sum", "count", "first", "last", "std"});
    expect_choice("label", {"start", "mid", "end"});
    expect_choice("fill", {"none", "linear", "previous", "next"});
    expect_choice("origin", {"epoch", "first"});

    const param_spec* max_gap = def->find_param("max_gap");
    ASSERT_NE(max_gap, nullptr);
    EXPECT_EQ(max_gap->type, param_type::duration);
    EXPECT_FALSE(max_gap->default_value.has_value());
    EXPECT_EQ(max_gap->default_text, "2*period when fill != none");
    EXPECT_FALSE(max_gap->required());
    EXPECT_TRUE(max_gap->min_exclusive);

    // bind reads every parameter into the typed struct.
    YAML::Node p =
        YAML::Load("{period: 900000, aggregation: std, label: end, fill: next, max_gap: 3600000, origin: first}");
    const resample_params rp = resample_params::fields().read(test::fixture_params(*def, p));
    EXPECT_EQ(rp.period, 900000);
    EXPECT_EQ(rp.aggregation, resample_aggregation::std);
    EXPECT_EQ(rp.label, resample_label::end);
    EXPECT_EQ(rp.fill, resample_fill::next);
    EXPECT_EQ(rp.max_gap.value_or(0), 3600000);
    EXPECT_EQ(rp.origin, resample_origin::first);
    EXPECT_EQ(rp.effective_max_gap(), 3600000);
    resample_params dflt;
    dflt.period = 1000;
    EXPECT_EQ(dflt.effective_max_gap(), 2000);
}

void expect_param_error(const operator_def& def, const char* yaml, const char* param) {
    SCOPED_TRACE(yaml);
    try {
        (void)def.bind(test::fixture_params(def, YAML::Load(yaml)));
        ADD_FAILURE() << "no param_error";
    } catch (const param_error& e) {
        EXPECT_EQ(e.param(), param) << e.what();
    }
}

TEST(Resample, BadParametersThrowNamingThem) {
    const operator_def* def = find_operator("resample");
    ASSERT_NE(def, nullptr);
    expect_param_error(*def, "{period: 0}", "period");
    expect_param_error(*def, "{period: -60000}", "period");
    expect_param_error(*def, "{}", "period");  // required
    expect_param_error(*def, "{period: 1000, aggregation: avg}", "aggregation");
    expect_param_error(*def, "{period: 1000, label: left}", "label");
    expect_param_error(*def, "{period: 1000, fill: nearest}", "fill");
    expect_param_error(*def, "{period: 1000, origin: start}", "origin");
    expect_param_error(*def, "{period: 1000, fill: linear, max_gap: 0}", "max_gap");
    expect_param_error(*def, "{period: 1000, fill: linear, max_gap: -5}", "max_gap");

    // The schema rejects the same values parsed from config text.
    auto parse_error_names = [&](const char* name, const char* text) {
        try {
            (void)parse_param(*def->find_param(name), text);
            ADD_FAILURE() << name << "=" << text << " accepted";
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), name);
        }
    };
    parse_error_names("period", "0s");
    parse_error_names("period", "0");
    parse_error_names("aggregation", "avg");
    parse_error_names("max_gap", "0min");
    EXPECT_EQ(std::get<std::int64_t>(parse_param(*def->find_param("period"), "15min")), 15 * 60000);

    resample_params p;
    p.period = 0;
    std::vector<std::int64_t> ot;
    std::vector<double> ov;
    series_sink sink(ot, ov);
    EXPECT_THROW(resample(series_view{}, p, sink), param_error);
}

}  // namespace
}  // namespace tsbatch
