// scale: numpy fixtures, hand-worked cases for each method and edge case, accuracy across
// block boundaries, registry schema and parameter errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "algo/operator.hpp"
#include "algo/series/scale.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

std::vector<double> run(const std::vector<double>& v, scale_method m, int ddof = 1) {
    std::vector<std::int64_t> t(v.size());
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<std::int64_t>(i) * 1000 - 7000;
    std::vector<std::int64_t> ot;
    std::vector<double> ov;
    series_sink sink(ot, ov);
    scale(series_view{t, v}, scale_params{m, ddof}, sink);
    EXPECT_EQ(ot, t);
    return ov;
}

void expect_values(const std::vector<double>& want, const std::vector<double>& got) {
    ASSERT_EQ(want.size(), got.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_TRUE(test::fixture_near(want[i], got[i], 1e-15))
            << "at " << i << ": expected " << want[i] << ", got " << got[i];
}

TEST(Scale, Fixtures) {
    const auto f = test::load_operator_fixture("scale");
    const operator_def* def = find_operator("scale");
    ASSERT_NE(def, nullptr);
    ASSERT_GE(f.cases.size(), 60u);
    test::check_series_fixture(f, *def);
}

TEST(Scale, HandWorked) {
    const std::vector<double> v{1.0, 2.0, 3.0, nan_v, 4.0};
    // mean 2.5, squared deviations 5: sample std sqrt(5/3), population std sqrt(5/4).
    const double s1 = std::sqrt(5.0 / 3.0);
    const double s0 = std::sqrt(1.25);
    expect_values({-1.5 / s1, -0.5 / s1, 0.5 / s1, nan_v, 1.5 / s1}, run(v, scale_method::zscore));
    expect_values({-1.5 / s0, -0.5 / s0, 0.5 / s0, nan_v, 1.5 / s0}, run(v, scale_method::zscore, 0));
    expect_values({0.0, 1.0 / 3.0, 2.0 / 3.0, nan_v, 1.0}, run(v, scale_method::minmax));
    expect_values({0.25, 0.5, 0.75, nan_v, 1.0}, run(v, scale_method::maxabs));
    // Quartiles of 1..4 by linear interpolation: 1.75, 2.5, 3.25 -> IQR 1.5.
    expect_values({-1.0, -1.0 / 3.0, 1.0 / 3.0, nan_v, 1.0}, run(v, scale_method::robust));
    // maxabs uses the largest magnitude, negative or not.
    expect_values({-1.0, 0.25, 0.5}, run({-8.0, 2.0, 4.0}, scale_method::maxabs));
}

TEST(Scale, RobustQuartiles) {
    // n = 5: quartiles are order statistics 1, 2, 3 exactly.
    expect_values({-1.0, -0.5, 0.0, 0.5, 3.0}, run({10.0, 20.0, 30.0, 40.0, 90.0}, scale_method::robust));
    // Unsorted input with an even count: p25 at 1.25 between 2 and 3 -> 2.25; median 3.5;
    // p75 at 3.75 between 4 and 5 -> 4.75; IQR 2.5.
    expect_values({(6.0 - 3.5) / 2.5, (1.0 - 3.5) / 2.5, (4.0 - 3.5) / 2.5, (3.0 - 3.5) / 2.5, (2.0 - 3.5) / 2.5,
                   (5.0 - 3.5) / 2.5},
                  run({6.0, 1.0, 4.0, 3.0, 2.0, 5.0}, scale_method::robust));
    // IQR 0 without a constant series: divide by 1 (sklearn's RobustScaler).
    expect_values({0.0, 0.0, 0.0, 0.0, 4.0, -7.0}, run({5.0, 5.0, 5.0, 5.0, 9.0, -2.0}, scale_method::robust));
    // Two values: quartiles 1.25, 1.5, 1.75.
    expect_values({-1.0, 1.0}, run({1.0, 2.0}, scale_method::robust));
}

TEST(Scale, ConstantSingleAllNanEmpty) {
    for (int m = 0; m <= static_cast<int>(scale_method::robust); ++m) {
        const auto method = static_cast<scale_method>(m);
        SCOPED_TRACE(m);
        expect_values({0.0, 0.0, nan_v, 0.0}, run({3.0, 3.0, nan_v, 3.0}, method));
        expect_values({nan_v, 0.0, nan_v}, run({nan_v, -7.0, nan_v}, method));
        expect_values({0.0}, run({7.0}, method, 0));
        expect_values({nan_v, nan_v}, run({nan_v, nan_v}, method));
        EXPECT_TRUE(run({}, method).empty());
        const double inf = std::numeric_limits<double>::infinity();
        expect_values({0.0, 0.0}, run({inf, inf}, method));  // constant, even if infinite
    }
}

TEST(Scale, FitKernel) {
    const std::vector<double> v{2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0};
    auto f = fit_scale(v, {scale_method::zscore, 0});
    EXPECT_DOUBLE_EQ(f.center, 5.0);
    EXPECT_DOUBLE_EQ(f.divisor, 2.0);
    EXPECT_FALSE(f.constant);
    EXPECT_EQ(f.count, 8);
    f = fit_scale(v, {scale_method::minmax, 1});
    EXPECT_EQ(f.center, 2.0);
    EXPECT_EQ(f.divisor, 7.0);
    f = fit_scale(std::vector<double>{1.0, 1.0}, {scale_method::maxabs, 1});
    EXPECT_TRUE(f.constant);
    f = fit_scale(std::vector<double>{nan_v}, {scale_method::robust, 1});
    EXPECT_EQ(f.count, 0);
}

TEST(Scale, LongSeriesAgainstLongDouble) {
    std::mt19937_64 rng(9);
    std::normal_distribution<double> noise(0.0, 3.0);
    for (std::size_t n : {1023u, 1025u, 100'001u}) {
        std::vector<double> v(n);
        for (std::size_t i = 0; i < n; ++i) v[i] = i % 13 == 5 ? nan_v : 250.0 + noise(rng);
        long double s = 0, c = 0;
        for (double x : v) {
            if (!std::isnan(x)) {
                s += x;
                c += 1;
            }
        }
        const long double mean = s / c;
        long double m2 = 0;
        for (double x : v)
            if (!std::isnan(x)) m2 += (x - mean) * (x - mean);
        const long double sd = std::sqrt(m2 / (c - 1));
        const auto out = run(v, scale_method::zscore);
        for (std::size_t i = 0; i < n; ++i) {
            if (std::isnan(v[i])) {
                ASSERT_TRUE(std::isnan(out[i]));
                continue;
            }
            const auto want = static_cast<double>((v[i] - mean) / sd);
            // The centre's rounding (~eps * 250) divided by std 3 bounds the absolute error.
            ASSERT_NEAR(out[i], want, 1e-13) << n << " at " << i;
        }
        // robust agrees with a full sort.
        std::vector<double> sorted;
        for (double x : v)
            if (!std::isnan(x)) sorted.push_back(x);
        std::sort(sorted.begin(), sorted.end());
        auto q = [&](double p) {
            const double h = static_cast<double>(sorted.size() - 1) * p;
            const auto k = static_cast<std::size_t>(std::floor(h));
            const double g = h - std::floor(h);
            return k + 1 < sorted.size() ? sorted[k] + (sorted[k + 1] - sorted[k]) * g : sorted[k];
        };
        const double med = q(0.5), iqr = q(0.75) - q(0.25);
        const auto rob = run(v, scale_method::robust);
        for (std::size_t i = 0; i < n; ++i) {
            if (!std::isnan(v[i])) {
                ASSERT_NEAR(rob[i], (v[i] - med) / iqr, 1e-12) << i;
            }
        }
    }
}

TEST(Scale, RegistrySchema) {
    const operator_def* def = find_operator("scale");
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->input, data_kind::series);
    ASSERT_EQ(def->outputs.size(), 1u);
    EXPECT_EQ(def->outputs[0].kind, data_kind::series);
    EXPECT_FALSE(def->summary.empty());
    ASSERT_EQ(def->params.size(), 2u);
    const param_spec& method = def->params[0];
    EXPECT_EQ(method.name, "method");
    EXPECT_EQ(method.type, param_type::choice);
    EXPECT_EQ(method.choices, (std::vector<std::string>{"zscore", "minmax", "maxabs", "robust"}));
    EXPECT_EQ(std::get<std::string>(method.default_value.value()), "zscore");
    const param_spec& ddof = def->params[1];
    EXPECT_EQ(ddof.name, "ddof");
    EXPECT_EQ(ddof.type, param_type::integer);
    EXPECT_EQ(std::get<std::int64_t>(ddof.default_value.value()), 1);
    EXPECT_EQ(ddof.min.value_or(-1), 0.0);
    EXPECT_EQ(ddof.max.value_or(-1), 1.0);

    const scale_params p = scale_params::fields().read(test::fixture_params(*def, YAML::Load("{method: robust, ddof: 0}")));
    EXPECT_EQ(p.method, scale_method::robust);
    EXPECT_EQ(p.ddof, 0);
    const scale_params d = scale_params::fields().read(test::fixture_params(*def, YAML::Node()));
    EXPECT_EQ(d.method, scale_method::zscore);
    EXPECT_EQ(d.ddof, 1);
}

TEST(Scale, BadParametersThrowNamingThem) {
    const operator_def* def = find_operator("scale");
    ASSERT_NE(def, nullptr);
    auto expect_error = [&](const char* yaml, const char* param) {
        SCOPED_TRACE(yaml);
        try {
            (void)def->bind(test::fixture_params(*def, YAML::Load(yaml)));
            ADD_FAILURE() << "no param_error";
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), param) << e.what();
        }
    };
    expect_error("{ddof: 2}", "ddof");
    expect_error("{ddof: -1}", "ddof");
    expect_error("{method: standard}", "method");
    for (const char* text : {"2", "-1", "0.5"}) {
        try {
            (void)parse_param(*def->find_param("ddof"), text);
            ADD_FAILURE() << text;
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), "ddof");
        }
    }
    EXPECT_THROW((void)parse_param(*def->find_param("method"), "z"), param_error);
    std::vector<std::int64_t> ot;
    std::vector<double> ov;
    series_sink sink(ot, ov);
    EXPECT_THROW(scale(series_view{}, scale_params{scale_method::zscore, 2}, sink), param_error);
}

}  // namespace
}  // namespace tsbatch
