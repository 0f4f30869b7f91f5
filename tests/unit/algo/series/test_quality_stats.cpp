// quality_stats: numpy fixtures, hand-worked cases, accuracy and structure of the step
// histogram (dense window, hash map, block boundaries), registry schema and parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <random>

#include "algo/operator.hpp"
#include "algo/series/quality_stats.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

quality_stats_result stats(const std::vector<std::int64_t>& t, const std::vector<double>& v, double gap_factor = 3.0) {
    return compute_quality_stats(series_view{t, v}, gap_factor);
}

// Reference for the time columns by brute force (std::map of step counts).
struct step_reference {
    std::int64_t ref = 0, min = 0, max = 0, nb_gaps = 0, longest = 0;
};

step_reference reference_steps(const std::vector<std::int64_t>& t, double gap_factor) {
    std::map<std::int64_t, std::int64_t> counts;
    for (std::size_t i = 1; i < t.size(); ++i) ++counts[t[i] - t[i - 1]];
    step_reference r;
    std::int64_t best = 0;
    for (const auto& [dt, c] : counts) {
        if (c > best) {  // ascending keys: the first max is the smaller step
            best = c;
            r.ref = dt;
        }
    }
    r.min = counts.begin()->first;
    r.max = counts.rbegin()->first;
    for (const auto& [dt, c] : counts) {
        if (static_cast<double>(dt) > gap_factor * static_cast<double>(r.ref)) {
            r.nb_gaps += c;
            r.longest = dt;
        }
    }
    return r;
}

// Two-pass mean and population variance in long double over the non-NaN values.
std::pair<long double, long double> reference_moments(const std::vector<double>& v) {
    long double s = 0;
    long double n = 0;
    for (double x : v) {
        if (!std::isnan(x)) {
            s += x;
            n += 1;
        }
    }
    const long double mean = s / n;
    long double m2 = 0;
    for (double x : v)
        if (!std::isnan(x)) m2 += (x - mean) * (x - mean);
    return {mean, m2 / n};
}

double rel_err(long double expected, double actual) {
    return static_cast<double>(std::fabs((actual - expected) / expected));
}

TEST(QualityStats, Fixtures) {
    const auto f = test::load_operator_fixture("quality_stats");
    const operator_def* def = find_operator("quality_stats");
    ASSERT_NE(def, nullptr);
    ASSERT_GE(f.cases.size(), 20u);
    for (const auto& c : f.cases) {
        SCOPED_TRACE("case " + c.name);
        const bound_operator op = def->bind(test::fixture_params(*def, c.params));
        ASSERT_TRUE(op.table);
        const auto& cols = op.table->columns();
        table_batch table(cols);
        row_sink row(table);
        op.table->apply(f.input(c).view(), row);
        std::size_t k = 0;
        for (const auto& kv : c.expected) {
            const std::string name = kv.first.as<std::string>();
            ASSERT_LT(k, cols.size());
            EXPECT_EQ(cols[k].name, name) << "fixture columns are in output order";
            SCOPED_TRACE("column " + name);
            const table_column& col = table.columns[k];
            ASSERT_EQ(col.size(), 1u);
            if (cols[k].type == column_type::int64) {
                EXPECT_EQ(col.ints[0], kv.second.as<std::int64_t>());
            } else {
                const double want = kv.second.as<double>();
                EXPECT_TRUE(test::fixture_near(want, col.floats[0], c.abs_tol))
                    << "expected " << want << ", got " << col.floats[0];
            }
            ++k;
        }
        EXPECT_EQ(k, cols.size());
    }
}

TEST(QualityStats, HandWorked) {
    // Steps 10, 10, 20, 10, 60; values 1, 3, 5, 7 around two NaN.
    const std::vector<std::int64_t> t{0, 10, 20, 40, 50, 110};
    const std::vector<double> v{1.0, nan_v, 3.0, 5.0, nan_v, 7.0};
    const auto r = stats(t, v);
    EXPECT_EQ(r.nb_points, 6);
    EXPECT_EQ(r.nb_nan, 2);
    EXPECT_EQ(r.start, 0);
    EXPECT_EQ(r.end, 110);
    EXPECT_EQ(r.min, 1.0);
    EXPECT_EQ(r.max, 7.0);
    EXPECT_DOUBLE_EQ(r.mean, 4.0);
    EXPECT_DOUBLE_EQ(r.variance, 5.0);  // (9 + 1 + 1 + 9) / 4
    EXPECT_DOUBLE_EQ(r.std, std::sqrt(5.0));
    EXPECT_EQ(r.ref_period, 10);
    EXPECT_EQ(r.min_period, 10);
    EXPECT_EQ(r.max_period, 60);
    EXPECT_DOUBLE_EQ(r.mean_period, 22.0);
    EXPECT_EQ(r.nb_gaps, 1);  // only 60 > 30
    EXPECT_EQ(r.longest_gap, 60);

    const auto r15 = stats(t, v, 1.5);  // 20 > 15 and 60 > 15
    EXPECT_EQ(r15.nb_gaps, 2);
    EXPECT_EQ(r15.longest_gap, 60);
    const auto r2 = stats(t, v, 2.0);  // 20 is not > 20
    EXPECT_EQ(r2.nb_gaps, 1);
    const auto r6 = stats(t, v, 6.0);  // 60 is not > 60
    EXPECT_EQ(r6.nb_gaps, 0);
    EXPECT_EQ(r6.longest_gap, 0);
}

TEST(QualityStats, ModalStepTiesPickTheSmaller) {
    const auto r = stats({0, 7, 12, 19, 24}, {1, 2, 3, 4, 5});  // steps 7, 5, 7, 5
    EXPECT_EQ(r.ref_period, 5);
    EXPECT_EQ(r.min_period, 5);
    EXPECT_EQ(r.max_period, 7);
}

TEST(QualityStats, EmptySeries) {
    const auto r = stats({}, {});
    EXPECT_EQ(r.nb_points, 0);
    EXPECT_EQ(r.nb_nan, 0);
    EXPECT_EQ(r.start, 0);
    EXPECT_EQ(r.end, 0);
    EXPECT_EQ(r.ref_period, 0);
    EXPECT_EQ(r.min_period, 0);
    EXPECT_EQ(r.max_period, 0);
    EXPECT_EQ(r.nb_gaps, 0);
    EXPECT_EQ(r.longest_gap, 0);
    for (double x : {r.min, r.max, r.mean, r.variance, r.std, r.mean_period}) EXPECT_TRUE(std::isnan(x));
}

TEST(QualityStats, OnePoint) {
    const auto r = stats({-5000}, {4.5});
    EXPECT_EQ(r.nb_points, 1);
    EXPECT_EQ(r.start, -5000);
    EXPECT_EQ(r.end, -5000);
    EXPECT_EQ(r.min, 4.5);
    EXPECT_EQ(r.max, 4.5);
    EXPECT_EQ(r.mean, 4.5);
    EXPECT_EQ(r.variance, 0.0);
    EXPECT_EQ(r.std, 0.0);
    EXPECT_EQ(r.ref_period, 0);
    EXPECT_EQ(r.min_period, 0);
    EXPECT_EQ(r.max_period, 0);
    EXPECT_TRUE(std::isnan(r.mean_period));
    EXPECT_EQ(r.nb_gaps, 0);
    EXPECT_EQ(r.longest_gap, 0);

    const auto rn = stats({12}, {nan_v});
    EXPECT_EQ(rn.nb_nan, 1);
    EXPECT_TRUE(std::isnan(rn.mean));
    EXPECT_TRUE(std::isnan(rn.min));
}

TEST(QualityStats, AllNanKeepsTimeColumns) {
    const auto r = stats({0, 100, 200, 1000}, {nan_v, nan_v, nan_v, nan_v});
    EXPECT_EQ(r.nb_points, 4);
    EXPECT_EQ(r.nb_nan, 4);
    for (double x : {r.min, r.max, r.mean, r.variance, r.std}) EXPECT_TRUE(std::isnan(x));
    EXPECT_EQ(r.ref_period, 100);
    EXPECT_EQ(r.max_period, 800);
    EXPECT_EQ(r.nb_gaps, 1);
    EXPECT_EQ(r.longest_gap, 800);
    EXPECT_DOUBLE_EQ(r.mean_period, 1000.0 / 3.0);
}

TEST(QualityStats, ConstantHasExactlyZeroVariance) {
    // 0.1 is not representable: naive sums drift, the contract says exactly 0.
    for (std::size_t n : {2u, 10u, 1023u, 5000u}) {
        std::vector<std::int64_t> t(n);
        for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<std::int64_t>(i) * 1000;
        std::vector<double> v(n, 0.1);
        v[n / 2] = nan_v;
        const auto r = stats(t, v);
        EXPECT_EQ(r.variance, 0.0) << n;
        EXPECT_EQ(r.std, 0.0) << n;
        EXPECT_EQ(r.mean, 0.1) << n;
    }
}

TEST(QualityStats, AccurateOnLargeOffset) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(0.0, 1.0);
    const std::size_t n = 1'000'003;  // not a multiple of the block size
    std::vector<std::int64_t> t(n);
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        t[i] = static_cast<std::int64_t>(i) * 1000;
        v[i] = i % 1001 == 17 ? nan_v : 1e6 + noise(rng);
    }
    const auto r = stats(t, v);
    const auto [mean, var] = reference_moments(v);
    EXPECT_LT(rel_err(mean, r.mean), 1e-14);
    EXPECT_LT(rel_err(var, r.variance), 1e-12);

    // A drifting series (0 -> 1e6): a single global shift would cancel catastrophically.
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<double>(i) + noise(rng);
    const auto rd = stats(t, v);
    const auto [mean_d, var_d] = reference_moments(v);
    EXPECT_LT(rel_err(mean_d, rd.mean), 1e-13);
    EXPECT_LT(rel_err(var_d, rd.variance), 1e-12);

    // An outlier at the start of every block: the worst case for the block-local shift.
    for (std::size_t i = 0; i < n; ++i) v[i] = (i % 1024 == 0 ? 1e9 : 1e6) + noise(rng);
    const auto ro = stats(t, v);
    const auto [mean_o, var_o] = reference_moments(v);
    EXPECT_LT(rel_err(mean_o, ro.mean), 1e-12);
    EXPECT_LT(rel_err(var_o, ro.variance), 1e-12);
}

TEST(QualityStats, BlockBoundariesAndInfinities) {
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> u(-10.0, 10.0);
    for (std::size_t n : {2u, 7u, 8u, 9u, 1023u, 1024u, 1025u, 2047u, 2049u, 4100u}) {
        std::vector<std::int64_t> t(n);
        std::vector<double> v(n);
        std::int64_t nan_count = 0;
        double lo = 1e300, hi = -1e300;
        for (std::size_t i = 0; i < n; ++i) {
            t[i] = static_cast<std::int64_t>(i) * 10 - 5000;
            const bool is_nan = i % 5 == 3 || i + 1 == n || i == 1024;
            v[i] = is_nan ? nan_v : u(rng);
            if (is_nan) {
                ++nan_count;
            } else {
                lo = std::min(lo, v[i]);
                hi = std::max(hi, v[i]);
            }
        }
        SCOPED_TRACE(n);
        const auto r = stats(t, v);
        EXPECT_EQ(r.nb_nan, nan_count);
        EXPECT_EQ(r.min, lo);
        EXPECT_EQ(r.max, hi);
        const auto [mean, var] = reference_moments(v);
        EXPECT_NEAR(r.mean, static_cast<double>(mean), 1e-13);
        EXPECT_NEAR(r.variance, static_cast<double>(var), 1e-13 * std::max(1.0, static_cast<double>(var)));
    }
    // Infinite values take part like in numpy: inf mean, NaN variance.
    const auto ri = stats({0, 1, 2}, {1.0, std::numeric_limits<double>::infinity(), 2.0});
    EXPECT_EQ(ri.max, std::numeric_limits<double>::infinity());
    EXPECT_EQ(ri.mean, std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::isnan(ri.variance));
    const double inf = std::numeric_limits<double>::infinity();
    const auto rf = stats({0, 1, 2}, {inf, 1.0, 2.0});  // an infinite first value is no shift
    EXPECT_EQ(rf.mean, inf);
    EXPECT_EQ(rf.min, 1.0);
    const auto rb = stats({0, 1}, {-inf, inf});
    EXPECT_TRUE(std::isnan(rb.mean));
    EXPECT_EQ(rb.min, -inf);
    EXPECT_EQ(rb.max, inf);
}

TEST(QualityStats, StepsAgainstBruteForce) {
    std::mt19937_64 rng(11);
    struct scenario {
        const char* name;
        std::function<std::int64_t(std::size_t)> step;
        std::size_t n;
    };
    std::uniform_int_distribution<int> jitter3(-3, 3);
    std::uniform_int_distribution<int> jitter300(-300, 300);
    std::uniform_int_distribution<std::int64_t> wide(1, 1'000'000);
    std::uniform_int_distribution<int> coin(0, 99);
    const std::vector<scenario> scenarios = {
        {"regular", [](std::size_t) { return std::int64_t{1000}; }, 20000},
        {"jitter", [&](std::size_t) { return std::int64_t{1000} + jitter3(rng); }, 20000},
        {"wide_jitter", [&](std::size_t) { return std::int64_t{1000} + jitter300(rng); }, 20000},
        {"gappy",
         [&](std::size_t i) { return i % 500 == 0 ? std::int64_t{3'600'000} + jitter3(rng) : std::int64_t{60'000}; },
         20000},
        {"wide", [&](std::size_t) { return wide(rng); }, 5000},
        {"mostly_tiny_then_big",
         [&](std::size_t) { return coin(rng) < 30 ? std::int64_t{1} : std::int64_t{900'000} + jitter3(rng); }, 5000},
        {"two_points", [](std::size_t) { return std::int64_t{42}; }, 2},
        {"three_points", [](std::size_t i) { return static_cast<std::int64_t>(i) * 1000; }, 3},
    };
    for (const auto& s : scenarios) {
        SCOPED_TRACE(s.name);
        std::vector<std::int64_t> t(s.n);
        std::vector<double> v(s.n, 1.0);
        t[0] = -123'456'789;
        for (std::size_t i = 1; i < s.n; ++i) t[i] = t[i - 1] + s.step(i);
        for (double gf : {0.5, 1.0, 3.0, 100.0}) {
            const auto r = stats(t, v, gf);
            const auto ref = reference_steps(t, gf);
            EXPECT_EQ(r.ref_period, ref.ref) << gf;
            EXPECT_EQ(r.min_period, ref.min) << gf;
            EXPECT_EQ(r.max_period, ref.max) << gf;
            EXPECT_EQ(r.nb_gaps, ref.nb_gaps) << gf;
            EXPECT_EQ(r.longest_gap, ref.longest) << gf;
            EXPECT_DOUBLE_EQ(r.mean_period, static_cast<double>(t.back() - t.front()) / static_cast<double>(s.n - 1));
        }
    }
}

TEST(QualityStats, ValueMomentsKernel) {
    const std::vector<double> v{2.0, nan_v, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0};
    const auto m = compute_value_moments(v);
    EXPECT_EQ(m.count, 8);
    EXPECT_EQ(m.nb_nan, 1);
    EXPECT_DOUBLE_EQ(m.mean, 5.0);
    EXPECT_DOUBLE_EQ(m.m2, 32.0);
    EXPECT_DOUBLE_EQ(m.variance(0), 4.0);
    EXPECT_DOUBLE_EQ(m.variance(1), 32.0 / 7.0);
    const auto e = compute_value_moments({});
    EXPECT_EQ(e.count, 0);
    EXPECT_TRUE(std::isnan(e.mean));
    EXPECT_TRUE(std::isnan(e.variance(0)));
    const std::vector<double> one{3.0};
    EXPECT_TRUE(std::isnan(compute_value_moments(one).variance(1)));
}

TEST(QualityStats, RegistrySchema) {
    const operator_def* def = find_operator("quality_stats");
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->input, data_kind::series);
    ASSERT_EQ(def->outputs.size(), 1u);
    EXPECT_EQ(def->outputs[0].kind, data_kind::table);
    EXPECT_FALSE(def->summary.empty());
    EXPECT_GT(def->cost.per_point, 0.0);
    ASSERT_EQ(def->params.size(), 1u);
    const param_spec& gap = def->params[0];
    EXPECT_EQ(gap.name, "gap_factor");
    EXPECT_EQ(gap.type, param_type::number);
    ASSERT_TRUE(gap.default_value.has_value());
    EXPECT_EQ(std::get<double>(*gap.default_value), 3.0);
    EXPECT_FALSE(gap.required());
    ASSERT_TRUE(gap.min.has_value());
    EXPECT_EQ(*gap.min, 0.0);
    EXPECT_TRUE(gap.min_exclusive);

    const bound_operator b = def->bind(test::fixture_params(*def, YAML::Node()));
    ASSERT_TRUE(b.table);
    EXPECT_FALSE(b.series);
    const std::vector<std::pair<std::string, column_type>> want = {
        {"nb_points", column_type::int64},     {"nb_nan", column_type::int64},     {"start", column_type::int64},
        {"end", column_type::int64},           {"min", column_type::float64},      {"max", column_type::float64},
        {"mean", column_type::float64},        {"variance", column_type::float64}, {"std", column_type::float64},
        {"ref_period", column_type::int64},    {"min_period", column_type::int64}, {"max_period", column_type::int64},
        {"mean_period", column_type::float64}, {"nb_gaps", column_type::int64},    {"longest_gap", column_type::int64},
    };
    const auto& cols = b.table->columns();
    ASSERT_EQ(cols.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(cols[i].name, want[i].first);
        EXPECT_EQ(cols[i].type, want[i].second) << cols[i].name;
        EXPECT_FALSE(cols[i].summary.empty()) << cols[i].name;
    }

    // Rows accumulate: every column gets exactly one value per series.
    table_batch table(cols);
    row_sink row(table);
    const std::vector<std::int64_t> t{0, 10};
    const std::vector<double> v{1.0, 2.0};
    b.table->apply(series_view{t, v}, row);
    b.table->apply(series_view{}, row);
    for (const auto& c : table.columns) EXPECT_EQ(c.size(), 2u) << c.spec.name;
}

TEST(QualityStats, BadGapFactorThrowsNamingIt) {
    const operator_def* def = find_operator("quality_stats");
    ASSERT_NE(def, nullptr);
    for (double bad : {0.0, -1.0, nan_v, std::numeric_limits<double>::infinity()}) {
        param_values pv;
        pv.set("gap_factor", bad);
        try {
            (void)def->bind(pv);
            ADD_FAILURE() << "no error for " << bad;
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), "gap_factor");
        }
        EXPECT_THROW((void)compute_quality_stats(series_view{}, bad), param_error);
    }
    // The schema rejects the same values when they are parsed from text.
    const param_spec* spec = def->find_param("gap_factor");
    ASSERT_NE(spec, nullptr);
    for (const char* text : {"0", "-2", "abc"}) {
        try {
            (void)parse_param(*spec, text);
            ADD_FAILURE() << "no error for " << text;
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), "gap_factor");
        }
    }
    EXPECT_EQ(std::get<double>(parse_param(*spec, "0.25")), 0.25);
    param_values wrong_type;
    wrong_type.set("gap_factor", std::string("3"));
    EXPECT_THROW((void)def->bind(wrong_type), param_error);
}

}  // namespace
}  // namespace tsbatch
