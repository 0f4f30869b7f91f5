// slope: numpy fixtures, hand-worked cases (empty, one point, NaN, constant, irregular and
// pre-1970 sampling), exactness of the vectorised Δt conversion, registry schema and errors.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "algo/operator.hpp"
#include "algo/series/slope.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

struct output {
    std::vector<std::int64_t> time;
    std::vector<double> value;
};

output run(const std::vector<std::int64_t>& t, const std::vector<double>& v, std::int64_t per = 1000) {
    output o;
    series_sink sink(o.time, o.value);
    slope(series_view{t, v}, slope_params{per}, sink);
    return o;
}

void expect_values(const std::vector<double>& want, const std::vector<double>& got) {
    ASSERT_EQ(want.size(), got.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_TRUE(test::fixture_near(want[i], got[i], 0.0))
            << "at " << i << ": expected " << want[i] << ", got " << got[i];
}

TEST(Slope, Fixtures) {
    const auto f = test::load_operator_fixture("slope");
    const operator_def* def = find_operator("slope");
    ASSERT_NE(def, nullptr);
    ASSERT_GE(f.cases.size(), 30u);
    test::check_series_fixture(f, *def);
}

TEST(Slope, HandWorked) {
    // Irregular steps of 1 s, 2 s, 0.5 s.
    const std::vector<std::int64_t> t{0, 1000, 3000, 3500};
    const std::vector<double> v{1.0, 3.0, 2.0, 2.0};
    auto o = run(t, v);
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{0, 1000, 3000}));
    expect_values({2.0, -0.5, 0.0}, o.value);
    expect_values({120.0, -30.0, 0.0}, run(t, v, 60'000).value);  // per minute
    expect_values({0.002, -0.0005, 0.0}, run(t, v, 1).value);     // per ms, as IKATS
    // Before 1970 and across the epoch: only differences matter.
    o = run({-86'400'000LL * 365 * 70, -86'400'000LL * 365 * 70 + 250, -100, 900}, {5.0, 4.0, 0.0, 10.0});
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{-86'400'000LL * 365 * 70, -86'400'000LL * 365 * 70 + 250, -100}));
    EXPECT_DOUBLE_EQ(o.value[0], -4.0);
    EXPECT_DOUBLE_EQ(o.value[1], (0.0 - 4.0) / static_cast<double>(-100 + 86'400'000LL * 365 * 70 - 250) * 1000.0);
    EXPECT_DOUBLE_EQ(o.value[2], 10.0);
}

TEST(Slope, EmptyOnePointConstantNan) {
    EXPECT_TRUE(run({}, {}).time.empty());
    EXPECT_TRUE(run({5}, {1.0}).time.empty());
    EXPECT_TRUE(run({5}, {nan_v}).time.empty());
    const auto c = run({0, 10, 20, 30}, {7.5, 7.5, 7.5, 7.5});
    expect_values({0.0, 0.0, 0.0}, c.value);
    // NaN in either neighbour gives NaN; the pair count is kept.
    const auto n = run({0, 1000, 2000, 3000, 4000, 5000}, {1.0, nan_v, nan_v, 3.0, 4.0, nan_v});
    EXPECT_EQ(n.time, (std::vector<std::int64_t>{0, 1000, 2000, 3000, 4000}));
    expect_values({nan_v, nan_v, nan_v, 1.0, nan_v}, n.value);
    expect_values({nan_v, nan_v}, run({1, 2, 3}, {nan_v, nan_v, nan_v}).value);
}

TEST(Slope, AppendsAfterEarlierSeries) {
    // The sink holds a batch: slope appends after what is there and leaves it alone.
    std::vector<std::int64_t> ot{-5};
    std::vector<double> ov{42.0};
    series_sink sink(ot, ov);
    const std::vector<std::int64_t> t{0, 500, 1500};
    const std::vector<double> v{0.0, 1.0, 0.0};
    slope(series_view{t, v}, slope_params{1000}, sink);
    slope(series_view{std::span<const std::int64_t>(t).first(1), std::span<const double>(v).first(1)}, {1000}, sink);
    EXPECT_EQ(ot, (std::vector<std::int64_t>{-5, 0, 500}));
    expect_values({42.0, 2.0, -1.0}, ov);
}

TEST(Slope, MatchesScalarReferenceBitForBit) {
    // Lengths around the two-lane body and its tail; Δt across the whole uint64 range the
    // unsigned difference can reach (conversion exactness beyond 2^53).
    std::mt19937_64 rng(31);
    std::normal_distribution<double> noise(0.0, 1.0);
    for (std::size_t n : {2u, 3u, 4u, 5u, 17u, 1000u, 1001u}) {
        for (int scale = 0; scale < 4; ++scale) {
            std::vector<std::int64_t> t(n);
            std::vector<double> v(n);
            std::uint64_t at = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::min());
            const std::uint64_t room = std::numeric_limits<std::uint64_t>::max() / n;
            for (std::size_t i = 0; i < n; ++i) {
                const std::uint64_t step = scale == 0   ? 1 + rng() % 3
                                           : scale == 1 ? 1 + rng() % 100'000
                                           : scale == 2 ? (std::uint64_t{1} << 53) + rng() % 4096
                                                        : 1 + rng() % room;
                at += step;
                t[i] = std::bit_cast<std::int64_t>(at);
                v[i] = i % 11 == 4 ? nan_v : noise(rng) * 100.0;
            }
            for (const std::int64_t per : {std::int64_t{1}, std::int64_t{1000}, std::int64_t{86'400'000}}) {
                const auto o = run(t, v, per);
                ASSERT_EQ(o.value.size(), n - 1);
                for (std::size_t i = 0; i + 1 < n; ++i) {
                    const std::uint64_t dt =
                        std::bit_cast<std::uint64_t>(t[i + 1]) - std::bit_cast<std::uint64_t>(t[i]);
                    const double want = (v[i + 1] - v[i]) / static_cast<double>(dt) * static_cast<double>(per);
                    ASSERT_TRUE(std::isnan(want)
                                    ? std::isnan(o.value[i])
                                    : std::bit_cast<std::uint64_t>(want) == std::bit_cast<std::uint64_t>(o.value[i]))
                        << n << " scale " << scale << " at " << i << ": " << want << " vs " << o.value[i];
                }
            }
        }
    }
}

TEST(Slope, RegistrySchema) {
    const operator_def* def = find_operator("slope");
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->input, data_kind::series);
    ASSERT_EQ(def->outputs.size(), 1u);
    EXPECT_EQ(def->outputs[0].kind, data_kind::series);
    EXPECT_FALSE(def->summary.empty());
    ASSERT_EQ(def->params.size(), 1u);
    const param_spec& per = def->params[0];
    EXPECT_EQ(per.name, "per");
    EXPECT_EQ(per.type, param_type::duration);
    EXPECT_EQ(std::get<std::int64_t>(per.default_value.value()), 1000);
    EXPECT_EQ(per.min.value_or(-1), 0.0);
    EXPECT_TRUE(per.min_exclusive);
    EXPECT_GE(def->cost.per_point, 1.0);
    EXPECT_LE(def->cost.per_point, 1.5);
    // After scale in the catalogue.
    const auto& cat = operator_catalogue();
    std::size_t scale_at = cat.size(), slope_at = cat.size();
    for (std::size_t k = 0; k < cat.size(); ++k) {
        if (cat[k].name == "scale") scale_at = k;
        if (cat[k].name == "slope") slope_at = k;
    }
    EXPECT_EQ(slope_at, scale_at + 1);

    EXPECT_EQ(slope_params::fields().read(test::fixture_params(*def, YAML::Node())).per, 1000);
    EXPECT_EQ(slope_params::fields().read(test::fixture_params(*def, YAML::Load("{per: 60000}"))).per, 60'000);
    EXPECT_EQ(std::get<std::int64_t>(parse_param(per, "15min")), 900'000);
}

TEST(Slope, BadParametersThrowNamingThem) {
    const operator_def* def = find_operator("slope");
    ASSERT_NE(def, nullptr);
    for (const char* yaml : {"{per: 0}", "{per: -1000}"}) {
        try {
            (void)def->bind(test::fixture_params(*def, YAML::Load(yaml)));
            ADD_FAILURE() << yaml;
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), "per") << e.what();
        }
    }
    for (const char* text : {"0s", "0", "-1s", "soon", "1mo"}) {
        try {
            (void)parse_param(*def->find_param("per"), text);
            ADD_FAILURE() << text;
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), "per") << text;
        }
    }
    std::vector<std::int64_t> ot;
    std::vector<double> ov;
    series_sink sink(ot, ov);
    EXPECT_THROW(slope(series_view{}, slope_params{0}, sink), param_error);
}

}  // namespace
}  // namespace tsbatch
