// paa: numpy fixtures, hand-worked fractional boundaries, N < S, NaN weights, by=time edge
// cases, a brute-force check of the running boundaries on random sizes, the shared
// duration_segmenter, registry schema and parameter errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "algo/operator.hpp"
#include "algo/series/paa.hpp"
#include "fixture_io.hpp"
#include "pipeline/config.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
__extension__ using u128 = unsigned __int128;  // exact products of 64-bit times and counts

std::vector<double> run_paa(const std::vector<std::int64_t>& t, const std::vector<double>& v, std::int64_t s,
                            paa_by by = paa_by::points) {
    std::vector<double> out(static_cast<std::size_t>(s), -1.0);
    paa(series_view{t, v}, paa_params{s, by}, out);
    return out;
}

std::vector<std::int64_t> iota_times(std::size_t n, std::int64_t t0 = 0, std::int64_t dt = 1000) {
    std::vector<std::int64_t> t(n);
    for (std::size_t i = 0; i < n; ++i) t[i] = t0 + static_cast<std::int64_t>(i) * dt;
    return t;
}

// The weighted definition in long double: overlap of [i, i+1) with [k*N/S, (k+1)*N/S).
std::vector<double> brute_paa(const std::vector<double>& v, std::size_t s) {
    const std::size_t n = v.size();
    std::vector<double> out(s);
    for (std::size_t k = 0; k < s; ++k) {
        long double num = 0;
        long double den = 0;
        for (std::size_t i = 0; i < n; ++i) {
            // In units of 1/S point, exactly: overlap of [i*S, (i+1)*S) and [k*N, (k+1)*N).
            const long long lo = std::max<long long>(i * s, k * n);
            const long long hi = std::min<long long>((i + 1) * s, (k + 1) * n);
            if (hi > lo && !std::isnan(v[i])) {
                num += static_cast<long double>(hi - lo) * v[i];
                den += hi - lo;
            }
        }
        out[k] = den > 0 ? static_cast<double>(num / den) : nan_v;
    }
    return out;
}

void expect_same(const std::vector<double>& want, const std::vector<double>& got, double rel = 1e-13) {
    ASSERT_EQ(want.size(), got.size());
    for (std::size_t k = 0; k < want.size(); ++k)
        EXPECT_TRUE(test::fixture_near(want[k], got[k], 0.0, rel))
            << "segment " << k << ": " << want[k] << " vs " << got[k];
}

TEST(Paa, Fixtures) {
    const auto f = test::load_operator_fixture("paa");
    const operator_def* def = find_operator("paa");
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
    EXPECT_GT(nan_cells, 0u);  // empty, all-NaN and empty time segments are covered
}

TEST(Paa, HandWorkedFractionalBoundary) {
    // N=5, S=2: segment 1 = points 0, 1 and half of 2; segment 2 = the other half, 3, 4.
    const auto out = run_paa(iota_times(5), {1, 2, 3, 4, 5}, 2);
    EXPECT_DOUBLE_EQ(out[0], (1 + 2 + 0.5 * 3) / 2.5);
    EXPECT_DOUBLE_EQ(out[1], (0.5 * 3 + 4 + 5) / 2.5);
    // N=3, S=2 with a NaN in the split point: weights renormalise over the rest.
    const auto nan_mid = run_paa(iota_times(3), {2, nan_v, 8}, 2);
    EXPECT_DOUBLE_EQ(nan_mid[0], 2.0);
    EXPECT_DOUBLE_EQ(nan_mid[1], 8.0);
    // Exact division: plain means of consecutive groups.
    const auto even = run_paa(iota_times(6), {1, 3, 5, 7, 9, 11}, 3);
    EXPECT_EQ(even, (std::vector<double>{2, 6, 10}));
    // S = 1: the mean of the non-NaN values.
    EXPECT_DOUBLE_EQ(run_paa(iota_times(4), {1, nan_v, 2, 6}, 1)[0], 3.0);
}

TEST(Paa, FewerPointsThanSegments) {
    // N=2, S=5: segment k covers [0.4k, 0.4k+0.4); segment 3 = [0.8, 1.2) straddles both.
    const auto out = run_paa(iota_times(2), {10, 20}, 5);
    EXPECT_EQ(out[0], 10.0);
    EXPECT_EQ(out[1], 10.0);
    EXPECT_DOUBLE_EQ(out[2], (0.2 * 10 + 0.2 * 20) / 0.4);
    EXPECT_EQ(out[3], 20.0);
    EXPECT_EQ(out[4], 20.0);
    // One NaN point spreads NaN only where it is alone.
    const auto with_nan = run_paa(iota_times(2), {nan_v, 20}, 5);
    EXPECT_TRUE(std::isnan(with_nan[0]));
    EXPECT_TRUE(std::isnan(with_nan[1]));
    EXPECT_EQ(with_nan[2], 20.0);
    // One point: every segment is that value.
    EXPECT_EQ(run_paa({5}, {4.5}, 3), (std::vector<double>{4.5, 4.5, 4.5}));
}

TEST(Paa, EmptyAndAllNan) {
    for (const auto by : {paa_by::points, paa_by::time}) {
        for (const double x : run_paa({}, {}, 4, by)) EXPECT_TRUE(std::isnan(x));
        for (const double x : run_paa(iota_times(7), std::vector<double>(7, nan_v), 3, by)) EXPECT_TRUE(std::isnan(x));
    }
}

TEST(Paa, ByTimeEqualDurations) {
    // start 0, end 100, S=4: [0,25) [25,50) [50,75) [75,100]; 25 and 75 open new segments.
    const std::vector<std::int64_t> t{0, 10, 25, 40, 74, 75, 100};
    const std::vector<double> v{1, 3, 5, nan_v, 7, 9, 11};
    const auto out = run_paa(t, v, 4, paa_by::time);
    EXPECT_EQ(out[0], 2.0);
    EXPECT_EQ(out[1], 5.0);
    EXPECT_EQ(out[2], 7.0);
    EXPECT_EQ(out[3], 10.0);
    // A gap leaves segments empty; before 1970 works the same.
    const std::vector<std::int64_t> tg{-1000, -990, -200, -100, 0};
    const auto gap = run_paa(tg, {1, 2, 3, 4, 5}, 5, paa_by::time);  // width 200
    EXPECT_EQ(gap[0], 1.5);
    EXPECT_TRUE(std::isnan(gap[1]));
    EXPECT_TRUE(std::isnan(gap[2]));
    EXPECT_TRUE(std::isnan(gap[3]));
    EXPECT_EQ(gap[4], 4.0);  // [-200, 0]: -200, -100, 0
    // One point (D = 0) goes to segment 1.
    const auto one = run_paa({123}, {6.5}, 3, paa_by::time);
    EXPECT_EQ(one[0], 6.5);
    EXPECT_TRUE(std::isnan(one[1]));
    EXPECT_TRUE(std::isnan(one[2]));
}

TEST(Paa, RandomSizesAgainstBruteForce) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> val(3.0, 2.0);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int trial = 0; trial < 300; ++trial) {
        const std::size_t n = rng() % 200;
        const std::size_t s = 1 + rng() % 40;
        const double nan_rate = trial % 3 == 0 ? 0.0 : u(rng) * 0.6;
        std::vector<double> v(n);
        for (auto& x : v) x = u(rng) < nan_rate ? nan_v : val(rng);
        SCOPED_TRACE("n=" + std::to_string(n) + " s=" + std::to_string(s));
        expect_same(n == 0 ? std::vector<double>(s, nan_v) : brute_paa(v, s),
                    run_paa(iota_times(n), v, static_cast<std::int64_t>(s)), 1e-12);
    }
}

TEST(Paa, DurationSegmenterAgainstExactBounds) {
    std::mt19937_64 rng(11);
    for (int trial = 0; trial < 300; ++trial) {
        const std::size_t n = 1 + rng() % 300;
        const std::uint64_t s = 1 + rng() % 70;
        std::vector<std::int64_t> t(n);
        std::int64_t x = -static_cast<std::int64_t>(rng() % 100000) - 5'000'000'000'000LL * (trial % 2);
        for (auto& ti : t) {
            ti = x;
            x += 1 + static_cast<std::int64_t>(rng() % (trial % 4 == 0 ? 5000 : 3));  // some with big holes
        }
        duration_segmenter seg(t, s);
        const auto d = static_cast<u128>(t.back() - t.front());
        std::size_t begin = 0;
        for (std::uint64_t k = 0; k < s; ++k) {
            const std::size_t end = seg.next_end();
            ASSERT_GE(end, begin);
            for (std::size_t i = 0; i < n; ++i) {
                const auto us = static_cast<u128>(t[i] - t.front()) * s;
                const bool in = d == 0 ? k == 0 : us >= k * d && (us < (k + 1) * d || k == s - 1);
                EXPECT_EQ(in, i >= begin && i < end) << "trial " << trial << " k " << k << " i " << i;
            }
            begin = end;
        }
        EXPECT_EQ(begin, n);
    }
}

TEST(Paa, ExtremeTimeRange) {
    // D close to 2^64: the running quotient never multiplies.
    const std::vector<std::int64_t> t{std::numeric_limits<std::int64_t>::min(), -1, 0,
                                      std::numeric_limits<std::int64_t>::max()};
    const auto out = run_paa(t, {1, 2, 3, 4}, 2, paa_by::time);
    EXPECT_EQ(out[0], 1.5);  // the midpoint is -0.5: -1 is before it, 0 after
    EXPECT_EQ(out[1], 3.5);
}

TEST(Paa, SumKernelBlocksAndNan) {
    std::vector<double> v(37);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = i % 5 == 0 ? nan_v : static_cast<double>(i);
    for (std::size_t len = 0; len <= v.size(); ++len) {
        double s = 0;
        double c = 0;
        for (std::size_t i = 0; i < len; ++i)
            if (!std::isnan(v[i])) s += v[i], c += 1;
        const non_nan_sum r = sum_non_nan(std::span<const double>(v.data(), len));
        EXPECT_EQ(r.sum, s) << len;
        EXPECT_EQ(r.count, c) << len;
    }
}

TEST(Paa, RegistrySchema) {
    const operator_def* def = find_operator("paa");
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->input, data_kind::series);
    ASSERT_EQ(def->outputs.size(), 1u);
    EXPECT_EQ(def->outputs[0].kind, data_kind::table);
    const param_spec* seg = def->find_param("segments");
    ASSERT_NE(seg, nullptr);
    EXPECT_TRUE(seg->required());
    EXPECT_EQ(seg->type, param_type::integer);
    const param_spec* by = def->find_param("by");
    ASSERT_NE(by, nullptr);
    EXPECT_EQ(by->type, param_type::choice);
    EXPECT_EQ(by->choices, (std::vector<std::string>{"points", "time"}));
    EXPECT_EQ(std::get<std::string>(*by->default_value), "points");
    param_values p;
    p.set("segments", std::int64_t{3});
    const bound_operator op = def->bind(p);
    ASSERT_TRUE(op.table);
    ASSERT_EQ(op.table->columns().size(), 3u);
    EXPECT_EQ(op.table->columns()[0].name, "paa_1");
    EXPECT_EQ(op.table->columns()[2].name, "paa_3");
    EXPECT_EQ(op.table->columns()[2].type, column_type::float64);
}

TEST(Paa, ParamErrorsNameTheParameter) {
    const operator_def* def = find_operator("paa");
    ASSERT_NE(def, nullptr);
    auto param_of = [&](std::int64_t segments, const char* by) {
        param_values p;
        p.set("segments", segments);
        p.set("by", std::string(by));
        try {
            (void)def->bind(p);
        } catch (const param_error& e) {
            return e.param();
        }
        return std::string();
    };
    EXPECT_EQ(param_of(0, "points"), "segments");
    EXPECT_EQ(param_of(-3, "time"), "segments");
    EXPECT_EQ(param_of(max_paa_segments + 1, "time"), "segments");
    EXPECT_EQ(param_of(2, "seconds"), "by");
    EXPECT_EQ(param_of(2, "time"), "");
    EXPECT_THROW((void)def->bind(param_values{}), param_error);
    std::vector<double> out(1);
    EXPECT_THROW(paa(series_view{}, paa_params{0, paa_by::points}, out), param_error);
    // Through the config layer, before any data is read.
    try {
        (void)parse_run_config(
            "input: {path: in.h5}\nsteps:\n  - {name: p, op: paa, params: {segments: 0}}\noutput: {path: o.h5}\n",
            "p.yaml");
        ADD_FAILURE() << "segments: 0 accepted";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("params.segments"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace tsbatch
