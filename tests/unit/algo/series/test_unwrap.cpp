// unwrap: numpy fixtures, hand-worked cases (radians, degrees, discontinuities below and above
// half a period, the half-period boundary, NaN runs, empty, constant), properties of long
// series, registry schema and parameter errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "algo/operator.hpp"
#include "algo/series/unwrap.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double pi = std::numbers::pi;

std::vector<double> run(const std::vector<double>& v, unwrap_unit unit = unwrap_unit::radians,
                        std::optional<double> discont = std::nullopt) {
    std::vector<std::int64_t> t(v.size());
    // Irregular and before 1970: unwrap does not look at the timestamps.
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = -5'000'000 + static_cast<std::int64_t>(i * i) * 37;
    std::vector<std::int64_t> ot;
    std::vector<double> ov;
    series_sink sink(ot, ov);
    unwrap(series_view{t, v}, unwrap_params{unit, discont}, sink);
    EXPECT_EQ(ot, t);
    return ov;
}

void expect_values(const std::vector<double>& want, const std::vector<double>& got, double tol = 1e-12) {
    ASSERT_EQ(want.size(), got.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_TRUE(test::fixture_near(want[i], got[i], tol))
            << "at " << i << ": expected " << want[i] << ", got " << got[i];
}

TEST(Unwrap, Fixtures) {
    const auto f = test::load_operator_fixture("unwrap");
    const operator_def* def = find_operator("unwrap");
    ASSERT_NE(def, nullptr);
    ASSERT_GE(f.cases.size(), 60u);
    test::check_series_fixture(f, *def);
}

TEST(Unwrap, HandWorkedRadians) {
    // 3 -> -3 is a jump of -6: one wrap up (+2 pi); -3 -> 3 takes it back down.
    expect_values({0.0, 3.0, -3.0 + 2 * pi, 3.0}, run({0.0, 3.0, -3.0, 3.0}));
    // A steadily increasing phase wrapped into [-pi, pi) comes back as the straight line.
    std::vector<double> wrapped;
    std::vector<double> line;
    for (int i = 0; i < 40; ++i) {
        line.push_back(-1.0 + 0.7 * i);
        wrapped.push_back(std::remainder(line.back(), 2 * pi));
    }
    expect_values(line, run(wrapped), 1e-12);
    // Jumps of several periods are reduced to within half a period.
    const auto big = run({0.0, 10 * pi + 0.5});
    EXPECT_NEAR(big[1], 0.5, 1e-12);
}

TEST(Unwrap, HandWorkedDegrees) {
    expect_values({350.0, 370.0, 390.0, 340.0}, run({350.0, 10.0, 30.0, 340.0}, unwrap_unit::degrees));
    expect_values({-170.0, -190.0, -210.0}, run({-170.0, 170.0, 150.0}, unwrap_unit::degrees));
    // Degrees read as radians: every jump of 20 is several periods of 2 pi.
    const auto as_rad = run({350.0, 10.0}, unwrap_unit::radians);
    EXPECT_NEAR(as_rad[1], 10.0 + 2 * pi * std::round((350.0 - 10.0) / (2 * pi)), 1e-12);
}

TEST(Unwrap, HalfPeriodBoundary) {
    // |jump| == P/2 is not below the discontinuity, but numpy keeps +P/2 for positive jumps
    // and -P/2 for negative ones: nothing changes.
    expect_values({0.0, 180.0, 0.0, -180.0, 0.0}, run({0.0, 180.0, 0.0, -180.0, 0.0}, unwrap_unit::degrees), 0.0);
    expect_values({0.0, pi, 0.0, -pi}, run({0.0, pi, 0.0, -pi}), 0.0);
    // Just over half a period: wrapped.
    expect_values({0.0, -179.0}, run({0.0, 181.0}, unwrap_unit::degrees));
}

TEST(Unwrap, Discontinuity) {
    // Jumps 90, 110, -100, 200, -290.
    const std::vector<double> v{0.0, 90.0, 200.0, 100.0, 300.0, 10.0};
    const auto def = run(v, unwrap_unit::degrees);
    expect_values({0.0, 90.0, 200.0, 100.0, -60.0, 10.0}, def);
    // Below half a period it acts as half a period: jumps between 10 and 180 get only a
    // rounding-level correction, never a period.
    expect_values(def, run(v, unwrap_unit::degrees, 10.0), 1e-12);
    expect_values(def, run(v, unwrap_unit::degrees, 179.999), 1e-12);
    // Above half a period, smaller jumps stay: 200 < 250 kept, |-290| >= 250 wrapped.
    expect_values({0.0, 90.0, 200.0, 100.0, 300.0, 370.0}, run(v, unwrap_unit::degrees, 250.0));
    expect_values(v, run(v, unwrap_unit::degrees, 1000.0), 0.0);
    // Radians: a jump of 4 (> pi) stays below a discontinuity of 5; 6 does not.
    expect_values({0.0, 4.0, 10.0 - 2 * pi}, run({0.0, 4.0, 10.0}, unwrap_unit::radians, 5.0));
}

TEST(Unwrap, NanPassesThroughWithoutResettingTheOffset) {
    // The jump 0 -> 6 is measured across the NaN run and wrapped; 6 -> 0.5 wraps back.
    expect_values({nan_v, 0.0, nan_v, nan_v, 6.0 - 2 * pi, nan_v, 0.5, nan_v},
                  run({nan_v, 0.0, nan_v, nan_v, 6.0, nan_v, 0.5, nan_v}));
    // The offset survives a NaN run: 340 -> 10 after NaN still continues upwards.
    expect_values({340.0, nan_v, 370.0, 380.0}, run({340.0, nan_v, 10.0, 20.0}, unwrap_unit::degrees));
    expect_values({nan_v, nan_v, nan_v}, run({nan_v, nan_v, nan_v}));
    expect_values({nan_v}, run({nan_v}));
}

TEST(Unwrap, EmptyOnePointConstant) {
    EXPECT_TRUE(run({}).empty());
    expect_values({1e6}, run({1e6}), 0.0);
    expect_values({2.5, 2.5, 2.5, 2.5}, run({2.5, 2.5, 2.5, 2.5}), 0.0);
    expect_values({400.0, 400.0}, run({400.0, 400.0}, unwrap_unit::degrees), 0.0);
    // The first value is kept as it is, sign of zero included (as numpy).
    const auto z = run({-0.0, nan_v, -0.0});
    EXPECT_TRUE(std::signbit(z[0]));
    EXPECT_EQ(z[2], 0.0);
}

TEST(Unwrap, InfinityMakesTheRestNan) {
    const auto o = run({1.0, 2.0, std::numeric_limits<double>::infinity(), 3.0, nan_v});
    EXPECT_EQ(o[0], 1.0);
    EXPECT_EQ(o[1], 2.0);
    for (std::size_t i = 2; i < o.size(); ++i) EXPECT_TRUE(std::isnan(o[i])) << i;
}

TEST(Unwrap, LongSeriesProperties) {
    // Random phases with NaN runs: consecutive non-NaN outputs differ by at most half a
    // period, and every output differs from its input by a whole number of periods.
    std::mt19937_64 rng(77);
    std::normal_distribution<double> step(0.4, 1.6);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (const auto unit : {unwrap_unit::radians, unwrap_unit::degrees}) {
        const double period = unit == unwrap_unit::radians ? 2 * pi : 360.0;
        const double k = period / (2 * pi);
        for (std::size_t n : {1u, 2u, 3u, 1000u, 50'001u}) {
            std::vector<double> v(n);
            double phase = 0.0;
            for (std::size_t i = 0; i < n; ++i) {
                phase += step(rng) * k;
                v[i] = u(rng) < 0.02 ? nan_v : std::fmod(phase, period);
            }
            const auto o = run(v, unit);
            double prev = nan_v;
            for (std::size_t i = 0; i < n; ++i) {
                ASSERT_EQ(std::isnan(o[i]), std::isnan(v[i])) << i;
                if (std::isnan(v[i])) continue;
                const double turns = (o[i] - v[i]) / period;
                ASSERT_NEAR(turns, std::round(turns), 1e-9) << i;
                if (!std::isnan(prev)) {
                    ASSERT_LE(std::fabs(o[i] - prev), period / 2 + 1e-9 * std::fabs(o[i])) << i;
                }
                prev = o[i];
            }
        }
    }
}

TEST(Unwrap, RegistrySchema) {
    const operator_def* def = find_operator("unwrap");
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->input, data_kind::series);
    ASSERT_EQ(def->outputs.size(), 1u);
    EXPECT_EQ(def->outputs[0].kind, data_kind::series);
    EXPECT_FALSE(def->summary.empty());
    ASSERT_EQ(def->params.size(), 2u);
    const param_spec& unit = def->params[0];
    EXPECT_EQ(unit.name, "unit");
    EXPECT_EQ(unit.type, param_type::choice);
    EXPECT_EQ(unit.choices, (std::vector<std::string>{"radians", "degrees"}));
    EXPECT_EQ(std::get<std::string>(unit.default_value.value()), "radians");
    const param_spec& disc = def->params[1];
    EXPECT_EQ(disc.name, "discontinuity");
    EXPECT_EQ(disc.type, param_type::number);
    EXPECT_FALSE(disc.default_value.has_value());  // derived from the unit
    EXPECT_FALSE(disc.required());
    EXPECT_EQ(disc.default_text, "pi for radians, 180 for degrees");
    EXPECT_EQ(disc.min.value_or(-1), 0.0);
    EXPECT_TRUE(disc.min_exclusive);

    unwrap_params p = unwrap_params::fields().read(test::fixture_params(*def, YAML::Node()));
    EXPECT_EQ(p.unit, unwrap_unit::radians);
    EXPECT_FALSE(p.discontinuity.has_value());
    EXPECT_EQ(p.period(), 2 * pi);
    EXPECT_EQ(p.effective_discontinuity(), pi);
    p = unwrap_params::fields().read(test::fixture_params(*def, YAML::Load("{unit: degrees}")));
    EXPECT_EQ(p.period(), 360.0);
    EXPECT_EQ(p.effective_discontinuity(), 180.0);
    p = unwrap_params::fields().read(test::fixture_params(*def, YAML::Load("{unit: degrees, discontinuity: 90}")));
    EXPECT_EQ(p.effective_discontinuity(), 90.0);
}

TEST(Unwrap, BadParametersThrowNamingThem) {
    const operator_def* def = find_operator("unwrap");
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
    expect_error("{discontinuity: 0}", "discontinuity");
    expect_error("{discontinuity: -1.5}", "discontinuity");
    expect_error("{unit: gradians}", "unit");
    for (const char* text : {"0", "-3", "nan", "inf", "pi", ""}) {
        try {
            (void)parse_param(*def->find_param("discontinuity"), text);
            ADD_FAILURE() << text;
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), "discontinuity") << text;
        }
    }
    EXPECT_THROW((void)parse_param(*def->find_param("unit"), "Radians"), param_error);
    std::vector<std::int64_t> ot;
    std::vector<double> ov;
    series_sink sink(ot, ov);
    EXPECT_THROW(unwrap(series_view{}, unwrap_params{unwrap_unit::degrees, 0.0}, sink), param_error);
    EXPECT_THROW(unwrap(series_view{}, unwrap_params{unwrap_unit::degrees, nan_v}, sink), param_error);
}

}  // namespace
}  // namespace tsbatch
