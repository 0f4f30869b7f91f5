// discretize: numpy fixtures, hand-worked buckets (boundaries, gaps, one point, constant),
// the column layout per bind, each kernel path against a brute-force reference, registry
// schema and parameter errors (buckets, aggregations list).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "algo/series/discretize.hpp"
#include "algo/operator.hpp"
#include "fixture_io.hpp"
#include "pipeline/config.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
using agg = discretize_aggregation;

std::vector<double> run(const std::vector<std::int64_t>& t, const std::vector<double>& v, std::int64_t b,
                        std::vector<agg> aggs) {
    const discretize_params p{b, std::move(aggs)};
    std::vector<double> out(discretize_columns(p).size(), -1.0);
    discretize(series_view{t, v}, p, out);
    return out;
}

TEST(Discretize, Fixtures) {
    const auto f = test::load_operator_fixture("discretize");
    const operator_def* def = find_operator("discretize");
    ASSERT_NE(def, nullptr);
    ASSERT_GE(f.cases.size(), 100u);
    std::size_t nan_cells = 0;
    for (const auto& c : f.cases) {
        SCOPED_TRACE("case " + c.name);
        const bound_operator op = def->bind(test::fixture_params(*def, c.params));
        ASSERT_TRUE(op.table);
        const auto& cols = op.table->columns();
        table_batch table(cols);
        row_sink row(table);
        op.table->apply(f.input(c).view(), row);
        ASSERT_EQ(c.expected.size(), cols.size());
        std::size_t k = 0;
        for (const auto& kv : c.expected) {
            EXPECT_EQ(cols[k].name, kv.first.as<std::string>());
            ASSERT_EQ(table.columns[k].floats.size(), 1u);
            const double want = kv.second.as<double>();
            const double got = table.columns[k].floats[0];
            EXPECT_TRUE(test::fixture_near(want, got, c.abs_tol))
                << cols[k].name << ": expected " << want << ", got " << got;
            nan_cells += std::isnan(want) ? 1 : 0;
            ++k;
        }
    }
    EXPECT_GT(nan_cells, 0u);
}

TEST(Discretize, HandWorked) {
    // start 0, end 90, B=3: [0,30) [30,60) [60,90]; 30 and 60 open the next bucket.
    const std::vector<std::int64_t> t{0, 10, 29, 30, 45, 60, 90};
    const std::vector<double> v{1, nan_v, 5, 2, 4, 7, 7};
    const auto out = run(t, v, 3, {agg::max, agg::std, agg::mean, agg::min});
    const std::vector<double> want{5, 4, 7, 2, 1, 0, 3, 3, 7, 1, 2, 7};
    ASSERT_EQ(out.size(), want.size());
    for (std::size_t k = 0; k < want.size(); ++k) EXPECT_DOUBLE_EQ(out[k], want[k]) << k;
}

TEST(Discretize, EmptyBucketsOnePointAndEmptySeries) {
    // A hole between 10 and 100 leaves the middle buckets empty (NaN in every aggregation).
    const auto gap = run({0, 10, 100}, {1, 2, 3}, 4, {agg::mean, agg::min});
    EXPECT_EQ(gap[0], 1.5);
    EXPECT_TRUE(std::isnan(gap[1]));
    EXPECT_TRUE(std::isnan(gap[2]));
    EXPECT_EQ(gap[3], 3.0);
    EXPECT_EQ(gap[4], 1.0);
    EXPECT_TRUE(std::isnan(gap[5]));
    EXPECT_TRUE(std::isnan(gap[6]));
    EXPECT_EQ(gap[7], 3.0);
    const auto one = run({-86'400'000}, {2.5}, 3, {agg::std, agg::max});
    EXPECT_EQ(one[0], 0.0);
    EXPECT_TRUE(std::isnan(one[1]));
    EXPECT_TRUE(std::isnan(one[2]));
    EXPECT_EQ(one[3], 2.5);
    for (const double x : run({}, {}, 5, {agg::min, agg::max, agg::mean, agg::std})) EXPECT_TRUE(std::isnan(x));
    for (const double x : run({1, 2, 3}, {nan_v, nan_v, nan_v}, 2, {agg::mean, agg::std})) EXPECT_TRUE(std::isnan(x));
}

TEST(Discretize, ConstantIsExact) {
    const std::vector<std::int64_t> t{0, 1, 2, 3, 4, 5, 6, 7, 8};
    const std::vector<double> v(9, 0.1);
    const auto out = run(t, v, 2, {agg::mean, agg::std});
    EXPECT_EQ(out, (std::vector<double>{0.1, 0.1, 0.0, 0.0}));
}

TEST(Discretize, EveryKernelPathAgainstBruteForce) {
    std::mt19937_64 rng(3);
    std::normal_distribution<double> val(100.0, 5.0);
    const std::vector<std::vector<agg>> lists{{agg::mean},          {agg::min},
                                              {agg::max, agg::min}, {agg::mean, agg::max},
                                              {agg::std},           {agg::min, agg::max, agg::mean, agg::std}};
    for (int trial = 0; trial < 120; ++trial) {
        const std::size_t n = 1 + rng() % 3000;
        std::vector<std::int64_t> t(n);
        std::vector<double> v(n);
        std::int64_t x = 1'420'070'400'000;
        for (std::size_t i = 0; i < n; ++i) {
            t[i] = x;
            x += 1 + static_cast<std::int64_t>(rng() % 2000);
            v[i] = rng() % 7 == 0 ? nan_v : val(rng);
        }
        const std::int64_t b = 1 + static_cast<std::int64_t>(rng() % 30);
        const auto& aggs = lists[static_cast<std::size_t>(trial) % lists.size()];
        const auto out = run(t, v, b, aggs);
        const auto d = static_cast<long double>(t.back() - t.front());
        for (std::int64_t k = 0; k < b; ++k) {
            std::vector<double> sel;
            for (std::size_t i = 0; i < n; ++i) {
                const long double pos = static_cast<long double>(t[i] - t.front()) * b;
                const bool in = pos >= k * d && (pos < (k + 1) * d || k == b - 1);
                if (in && !std::isnan(v[i])) sel.push_back(v[i]);
            }
            long double s = 0;
            for (const double y : sel) s += y;
            const long double mean = s / sel.size();
            long double m2 = 0;
            for (const double y : sel) m2 += (y - mean) * (y - mean);
            for (std::size_t a = 0; a < aggs.size(); ++a) {
                const double got = out[a * static_cast<std::size_t>(b) + static_cast<std::size_t>(k)];
                if (sel.empty()) {
                    EXPECT_TRUE(std::isnan(got));
                    continue;
                }
                double want = 0;
                switch (aggs[a]) {
                    case agg::min:
                        want = *std::min_element(sel.begin(), sel.end());
                        break;
                    case agg::max:
                        want = *std::max_element(sel.begin(), sel.end());
                        break;
                    case agg::mean:
                        want = static_cast<double>(mean);
                        break;
                    case agg::std:
                        want = static_cast<double>(std::sqrt(m2 / sel.size()));
                        break;
                }
                EXPECT_TRUE(test::fixture_near(want, got, 1e-12, 1e-12))
                    << "trial " << trial << " bucket " << k << " agg " << a << ": " << want << " vs " << got;
            }
        }
    }
}

TEST(Discretize, ColumnsPerBind) {
    const operator_def* def = find_operator("discretize");
    ASSERT_NE(def, nullptr);
    param_values p;
    p.set("buckets", std::int64_t{2});
    p.set("aggregations", std::string(" std, min "));
    const bound_operator op = def->bind(p);
    ASSERT_TRUE(op.table);
    std::vector<std::string> names;
    for (const auto& c : op.table->columns()) names.push_back(c.name);
    EXPECT_EQ(names, (std::vector<std::string>{"std_b1", "std_b2", "min_b1", "min_b2"}));
    param_values q;
    q.set("buckets", std::int64_t{3});
    q.set("aggregations", std::string("mean"));
    const bound_operator op2 = def->bind(q);
    ASSERT_EQ(op2.table->columns().size(), 3u);
    EXPECT_EQ(op2.table->columns()[2].name, "mean_b3");
}

TEST(Discretize, RegistrySchema) {
    const operator_def* def = find_operator("discretize");
    ASSERT_NE(def, nullptr);
    ASSERT_EQ(def->outputs.size(), 1u);
    EXPECT_EQ(def->outputs[0].kind, data_kind::table);
    const param_spec* b = def->find_param("buckets");
    ASSERT_NE(b, nullptr);
    EXPECT_TRUE(b->required());
    const param_spec* a = def->find_param("aggregations");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->type, param_type::string);
    EXPECT_EQ(std::get<std::string>(*a->default_value), "mean");
    // Registered after paa, which follows cut.
    const auto& cat = operator_catalogue();
    std::size_t at = cat.size();
    for (std::size_t k = 0; k < cat.size(); ++k)
        if (cat[k].name == "discretize") at = k;
    ASSERT_LT(at, cat.size());
    ASSERT_GE(at, 1u);
    EXPECT_EQ(cat[at - 1].name, "paa");
}

TEST(Discretize, ParamErrorsNameTheParameter) {
    const operator_def* def = find_operator("discretize");
    ASSERT_NE(def, nullptr);
    auto param_of = [&](std::int64_t buckets, const char* aggs) {
        param_values p;
        p.set("buckets", buckets);
        p.set("aggregations", std::string(aggs));
        try {
            (void)def->bind(p);
        } catch (const param_error& e) {
            return e.param();
        }
        return std::string();
    };
    EXPECT_EQ(param_of(0, "mean"), "buckets");
    EXPECT_EQ(param_of(-1, "mean"), "buckets");
    EXPECT_EQ(param_of(3, "mean,foo"), "aggregations");
    EXPECT_EQ(param_of(3, ""), "aggregations");
    EXPECT_EQ(param_of(3, " "), "aggregations");
    EXPECT_EQ(param_of(3, "mean,mean"), "aggregations");
    EXPECT_EQ(param_of(3, "mean,,max"), "aggregations");
    EXPECT_EQ(param_of(3, "Mean"), "aggregations");
    EXPECT_EQ(param_of(3, "min,max,mean,std"), "");
    try {
        (void)parse_discretize_aggregations("mean,foo");
        ADD_FAILURE();
    } catch (const param_error& e) {
        EXPECT_NE(std::string(e.what()).find("'foo'"), std::string::npos) << e.what();
    }
    try {
        (void)parse_discretize_aggregations("std,mean,std");
        ADD_FAILURE();
    } catch (const param_error& e) {
        EXPECT_NE(std::string(e.what()).find("twice"), std::string::npos) << e.what();
    }
    std::vector<double> out(1);
    EXPECT_THROW(discretize(series_view{}, discretize_params{1, {}}, out), param_error);
    try {
        (void)parse_run_config(
            "input: {path: in.h5}\nsteps:\n  - {name: d, op: discretize, params: {buckets: 4, aggregations: "
            "'mean,foo'}}\noutput: {path: o.h5}\n",
            "d.yaml");
        ADD_FAILURE() << "mean,foo accepted";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("params.aggregations"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace tsbatch
