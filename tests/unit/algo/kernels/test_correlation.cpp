// correlation kernels: exact/scipy/numpy fixtures, hand-worked cases (empty, one point,
// all-NaN, constant, irregular sampling, ties, lags), precision with large offsets and
// extreme magnitudes, block kernel == pairwise bits, determinism.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "algo/kernels/correlation.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

struct owned {
    std::vector<std::int64_t> time;
    std::vector<double> value;
    series_view view() const { return {time, value}; }
};

owned regular(std::vector<double> v, std::int64_t step = 1000) {
    owned s;
    for (std::size_t i = 0; i < v.size(); ++i) s.time.push_back(static_cast<std::int64_t>(i) * step);
    s.value = std::move(v);
    return s;
}

corr_params params(corr_method m = corr_method::pearson, std::size_t min_overlap = 2, std::size_t max_lag = 0,
                   corr_align a = corr_align::timestamps) {
    return corr_params{m, a, min_overlap, max_lag};
}

corr_status status_of(const std::string& s) {
    for (std::size_t k = 0; k < corr_status_count; ++k)
        if (s == to_string(static_cast<corr_status>(k))) return static_cast<corr_status>(k);
    throw std::runtime_error("unknown status " + s);
}

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

void expect_same(const corr_value& a, const corr_value& b) {
    EXPECT_TRUE(same_bits(a.r, b.r)) << a.r << " vs " << b.r;
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.pairs, b.pairs);
}

void expect_same(const corr_result& a, const corr_result& b) {
    expect_same(a.at_zero, b.at_zero);
    expect_same(a.best, b.best);
    EXPECT_EQ(a.best_lag, b.best_lag);
}

TEST(Correlation, Fixtures) {
    const YAML::Node root = test::load_dataset_fixture("correlation");
    const auto series = test::fixture_series_map(root["series"]);
    std::size_t n = 0;
    for (const auto& c : root["cases"]) {
        const std::string name = c["name"].as<std::string>();
        SCOPED_TRACE("case " + name);
        const auto& pr = c["params"];
        corr_params p;
        p.method = pr["method"].as<std::string>() == "spearman" ? corr_method::spearman : corr_method::pearson;
        p.align = pr["align"].as<std::string>() == "index" ? corr_align::index : corr_align::timestamps;
        p.min_overlap = pr["min_overlap"].as<std::size_t>();
        p.max_lag = pr["max_lag"].as<std::size_t>();
        const double tol = c["abs_tol"].as<double>();
        const auto& e = c["expected"];
        const auto r = correlate(series.at(c["x"].as<std::string>()).view(), series.at(c["y"].as<std::string>()).view(), p);
        EXPECT_EQ(to_string(r.at_zero.status), e["status"].as<std::string>());
        EXPECT_TRUE(test::fixture_near(e["r"].as<double>(), r.at_zero.r, tol)) << e["r"].as<double>() << " vs " << r.at_zero.r;
        EXPECT_EQ(r.at_zero.pairs, e["pairs"].as<std::size_t>());
        EXPECT_EQ(r.best_lag, e["best_lag"].as<std::int64_t>());
        EXPECT_EQ(r.best.status, status_of(e["best_status"].as<std::string>()));
        EXPECT_TRUE(test::fixture_near(e["best_r"].as<double>(), r.best.r, tol)) << e["best_r"].as<double>() << " vs " << r.best.r;
        EXPECT_EQ(r.best.pairs, e["best_pairs"].as<std::size_t>());
        ++n;
    }
    EXPECT_GE(n, 20u);
}

TEST(Correlation, EmptyOnePointAllNan) {
    const owned empty;
    const owned one = regular({1.0});
    const owned nan3 = regular({nan_v, nan_v, nan_v});
    const owned ok3 = regular({1.0, 2.0, 4.0});
    for (const auto m : {corr_method::pearson, corr_method::spearman}) {
        auto r = correlate(empty.view(), ok3.view(), params(m, 0));
        EXPECT_EQ(r.at_zero.status, corr_status::too_little_overlap);
        EXPECT_EQ(r.at_zero.pairs, 0u);
        EXPECT_TRUE(std::isnan(r.at_zero.r));
        r = correlate(one.view(), one.view(), params(m, 0));  // min_overlap 0 still needs 2 pairs
        EXPECT_EQ(r.at_zero.status, corr_status::too_little_overlap);
        EXPECT_EQ(r.at_zero.pairs, 1u);
        r = correlate(nan3.view(), ok3.view(), params(m, 0, 2));
        EXPECT_EQ(r.at_zero.status, corr_status::too_little_overlap);
        EXPECT_EQ(r.best.status, corr_status::too_little_overlap);
        EXPECT_EQ(r.best_lag, 0);
    }
}

TEST(Correlation, ConstantIsZeroVariance) {
    // 0.1 * 10 does not sum to exactly 1: the mean of a constant is not the constant, so only
    // the exact min == max test keeps a spurious r out.
    const owned c = regular(std::vector<double>(10, 0.1));
    const owned v = regular({1, 2, 3, 4, 5, 6, 7, 8, 9, 11});
    for (const auto m : {corr_method::pearson, corr_method::spearman}) {
        EXPECT_EQ(correlate(c.view(), v.view(), params(m)).at_zero.status, corr_status::zero_variance);
        EXPECT_EQ(correlate(v.view(), c.view(), params(m)).at_zero.status, corr_status::zero_variance);
    }
    // Constant once the NaN pairs are dropped.
    const owned x = regular({1.0, 5.0, 1.0, 1.0});
    const owned y = regular({1.0, nan_v, 2.0, 3.0});
    EXPECT_EQ(correlate(x.view(), y.view(), params()).at_zero.status, corr_status::zero_variance);
    EXPECT_EQ(correlate(x.view(), y.view(), params()).at_zero.pairs, 3u);
}

TEST(Correlation, HandWorkedPearson) {
    // dx = (-1, 0, 1), dy = (-1, 1, 0): sxy = 1, sxx = syy = 2, r = 1/2.
    EXPECT_EQ(pearson(std::vector<double>{1, 2, 3}, std::vector<double>{1, 3, 2}, 2).r, 0.5);
    EXPECT_EQ(pearson(std::vector<double>{1, 2, 3, 4}, std::vector<double>{2, 4, 6, 8}, 2).r, 1.0);
    EXPECT_EQ(pearson(std::vector<double>{1, 2, 3, 4}, std::vector<double>{8, 6, 4, 2}, 2).r, -1.0);
    EXPECT_EQ(pearson(std::vector<double>{1, 2}, std::vector<double>{5, -3}, 2).r, -1.0);
    // min_overlap is inclusive.
    EXPECT_EQ(pearson(std::vector<double>{1, 2, 3}, std::vector<double>{1, 3, 2}, 3).status, corr_status::ok);
    EXPECT_EQ(pearson(std::vector<double>{1, 2, 3}, std::vector<double>{1, 3, 2}, 4).status, corr_status::too_little_overlap);
    EXPECT_THROW(pearson(std::vector<double>{1, 2}, std::vector<double>{1}, 2), std::invalid_argument);
}

TEST(Correlation, HandWorkedSpearmanTies) {
    // Ranks x = (1, 2.5, 2.5, 4), y = (1, 2, 3, 4): sxy = 4.5, sxx = 4.5, syy = 5.
    corr_workspace ws;
    const auto r = spearman(std::vector<double>{1, 2, 2, 3}, std::vector<double>{10, 20, 30, 40}, 2, ws);
    EXPECT_EQ(r.status, corr_status::ok);
    EXPECT_NEAR(r.r, 4.5 / std::sqrt(4.5 * 5.0), 1e-15);
    // Monotone but not linear: rho = 1, r < 1.
    const std::vector<double> x{0.5, 1, 2, 3, 4, 7};
    std::vector<double> y;
    for (double v : x) y.push_back(v * v * v);
    EXPECT_EQ(spearman(x, y, 2, ws).r, 1.0);
    EXPECT_LT(pearson(x, y, 2).r, 0.99);
    // Infinities rank like any value; Pearson refuses them.
    const std::vector<double> xi{1, 2, 3, inf_v}, yi{-inf_v, 0, 1, 2};
    EXPECT_EQ(spearman(xi, yi, 2, ws).r, 1.0);
    EXPECT_EQ(pearson(xi, yi, 2).status, corr_status::non_finite);
}

TEST(Correlation, IrregularSamplingJoinsOnEqualTimestamps) {
    const owned x{{0, 10, 20, 30, 40}, {1.0, 2.0, 3.0, nan_v, 5.0}};
    const owned y{{5, 10, 20, 30, 35, 40, 50}, {9.0, 1.0, 3.0, 7.0, 9.0, 2.0, 9.0}};
    aligned_pairs a;
    align_series(x.view(), y.view(), corr_align::timestamps, a);
    ASSERT_EQ(a.x.size(), 4u);  // t = 10, 20, 30, 40; the NaN stays in the aligned sequence
    EXPECT_EQ(a.y, (std::vector<double>{1.0, 3.0, 7.0, 2.0}));
    const auto r = correlate(x.view(), y.view(), params());
    EXPECT_EQ(r.at_zero.pairs, 3u);  // (2,1), (3,3), (5,2)
    EXPECT_EQ(r.at_zero.r, pearson(std::vector<double>{2, 3, 5}, std::vector<double>{1, 3, 2}, 2).r);
    // Index alignment pairs the first min(n) points whatever their timestamps (IKATS).
    align_series(x.view(), y.view(), corr_align::index, a);
    EXPECT_EQ(a.y, (std::vector<double>{9.0, 1.0, 3.0, 7.0, 9.0}));
    const auto ri = correlate(x.view(), y.view(), params(corr_method::pearson, 2, 0, corr_align::index));
    EXPECT_EQ(ri.at_zero.pairs, 4u);
    // Disjoint time axes: nothing pairs.
    const owned z{{1, 11, 21}, {1.0, 2.0, 3.0}};
    EXPECT_EQ(correlate(x.view(), z.view(), params()).at_zero.pairs, 0u);
}

TEST(Correlation, LargeOffsetKeepsItsDigits) {
    // 1e9 + k/1024 is exact, so the shifted copy is the same data; naive sums of squares
    // (~1e19, rounding ~1e3) would return noise.
    std::mt19937_64 g(3);
    std::normal_distribution<double> nd(0.0, 1.0);
    std::vector<double> ex, ey, x, y;
    for (int i = 0; i < 5000; ++i) {
        const double a = std::round(nd(g) * 1024) / 1024, b = std::round((0.3 * a + nd(g)) * 1024) / 1024;
        ex.push_back(a);
        ey.push_back(b);
        x.push_back(1e9 + a);
        y.push_back(1e9 + b);
    }
    const double want = pearson(ex, ey, 2).r;
    EXPECT_NEAR(pearson(x, y, 2).r, want, 1e-13);
    corr_workspace ws;
    EXPECT_NEAR(spearman(x, y, 2, ws).r, spearman(ex, ey, 2, ws).r, 1e-15);
}

TEST(Correlation, ExtremeMagnitudesAreRescaled) {
    const std::vector<double> x{1, 2, 3, 4}, y{1, 3, 2, 4};
    const double want = pearson(x, y, 2).r;
    EXPECT_NEAR(want, 0.8, 1e-15);
    std::vector<double> big, tiny;
    for (std::size_t i = 0; i < 4; ++i) {
        big.push_back(x[i] * 1e300);
        tiny.push_back(y[i] * 1e-300);
    }
    const auto r = pearson(big, tiny, 2);
    EXPECT_EQ(r.status, corr_status::ok);
    EXPECT_NEAR(r.r, want, 1e-14);
    const auto s = pearson(std::vector<double>{-1e308, 1e308, 0.0}, std::vector<double>{1, 3, 2}, 2);
    EXPECT_EQ(s.status, corr_status::ok);
    EXPECT_NEAR(s.r, pearson(std::vector<double>{-1, 1, 0}, std::vector<double>{1, 3, 2}, 2).r, 1e-14);
}

TEST(Correlation, SymmetricAndExactSelf) {
    std::mt19937_64 g(11);
    std::normal_distribution<double> nd(5.0, 2.0);
    std::vector<double> x(333), y(333);
    for (auto& v : x) v = nd(g);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = 0.5 * x[i] + nd(g);
    EXPECT_TRUE(same_bits(pearson(x, y, 2).r, pearson(y, x, 2).r));
    EXPECT_EQ(pearson(x, x, 2).r, 1.0);
    corr_workspace ws;
    EXPECT_TRUE(same_bits(spearman(x, y, 2, ws).r, spearman(y, x, 2, ws).r));
    EXPECT_EQ(spearman(x, x, 2, ws).r, 1.0);
}

TEST(Correlation, LagFindsTheResponseDelay) {
    // y is x delayed by 2 steps, with a NaN inside: the NaN keeps its slot.
    std::vector<double> xv, yv;
    std::mt19937_64 g(5);
    std::normal_distribution<double> nd(0.0, 1.0);
    for (int i = 0; i < 60; ++i) xv.push_back(nd(g));
    yv.assign(60, 0.0);
    for (int i = 2; i < 60; ++i) yv[static_cast<std::size_t>(i)] = 3.0 * xv[static_cast<std::size_t>(i - 2)] + 1.0;
    yv[30] = nan_v;
    const owned x = regular(xv), y = regular(yv);
    const auto r = correlate(x.view(), y.view(), params(corr_method::pearson, 10, 5));
    EXPECT_EQ(r.best_lag, 2);
    EXPECT_NEAR(r.best.r, 1.0, 1e-15);
    EXPECT_EQ(r.best.pairs, 57u);  // 58 overlapping positions, one NaN
    // Lag 0 of the lagged call is the unlagged result, bit for bit.
    expect_same(r.at_zero, correlate(x.view(), y.view(), params(corr_method::pearson, 10)).at_zero);
    // The other way round, the delay is negative.
    EXPECT_EQ(correlate(y.view(), x.view(), params(corr_method::pearson, 10, 5)).best_lag, -2);
    // Spearman too.
    EXPECT_EQ(correlate(x.view(), y.view(), params(corr_method::spearman, 10, 5)).best_lag, 2);
}

TEST(Correlation, LagTiesGoToSmallestThenNegative) {
    // x = (1, 0, -1, 0, ...), y_i = x_{i+1}: lag -1 pairs x_i with x_i (r = 1), lag 1 pairs
    // x_i with x_{i+2} = -x_i (r = -1), lags +-3 again +-1, lag 0 gives 0.
    std::vector<double> xv, yv;
    const double cycle[] = {1.0, 0.0, -1.0, 0.0};
    for (int i = 0; i < 41; ++i) xv.push_back(cycle[i % 4]);
    for (int i = 0; i < 41; ++i) yv.push_back(cycle[(i + 1) % 4]);
    const owned x = regular(xv), y = regular(yv);
    const auto r = correlate(x.view(), y.view(), params(corr_method::pearson, 2, 3));
    EXPECT_EQ(r.best_lag, -1);
    EXPECT_EQ(r.best.r, 1.0);
    const auto lag1 = correlate(x.view(), regular(std::vector<double>(yv.begin() + 1, yv.end())).view(),
                                params(corr_method::pearson, 2, 0, corr_align::index));
    EXPECT_EQ(lag1.at_zero.r, -1.0);
}

TEST(Correlation, LagLongerThanTheSeries) {
    const owned x = regular({1, 2, 3, 5, 4}), y = regular({2, 1, 4, 3, 5});
    const auto r = correlate(x.view(), y.view(), params(corr_method::pearson, 2, 1000000));
    const auto small = correlate(x.view(), y.view(), params(corr_method::pearson, 2, 3));
    expect_same(r, small);  // lags beyond +-3 leave fewer than 2 pairs
}

std::vector<owned> random_collection(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 g(seed);
    std::normal_distribution<double> nd(0.0, 1.0);
    std::uniform_int_distribution<int> step(1, 3), coin(0, 9);
    std::vector<owned> out(n);
    for (std::size_t s = 0; s < n; ++s) {
        std::int64_t t = step(g);
        for (int i = 0; i < 80; ++i) {
            out[s].time.push_back(t);
            out[s].value.push_back(coin(g) == 0 ? nan_v : nd(g) + 1e6 * static_cast<double>(s % 2));
            t += step(g);
        }
    }
    out.push_back(regular(std::vector<double>(50, 3.0), 1));  // constant
    out.push_back(owned{});                                   // empty
    return out;
}

TEST(Correlation, BlockKernelMatchesPairwiseBits) {
    const auto coll = random_collection(9, 21);
    std::vector<series_view> views;
    for (const auto& s : coll) views.push_back(s.view());
    for (const auto& p : {params(corr_method::pearson, 5), params(corr_method::spearman, 5, 3),
                          params(corr_method::pearson, 5, 4, corr_align::index)}) {
        const std::size_t n = views.size();
        std::vector<corr_result> full(n * n);
        correlate_block(views, views, p, full);
        // Tiles of uneven sizes, each with its own workspace history.
        for (const std::size_t cut : {std::size_t{1}, std::size_t{4}, std::size_t{7}}) {
            const std::span<const series_view> all(views);
            std::vector<corr_result> tile(cut * (n - cut));
            correlate_block(all.first(cut), all.subspan(cut), p, tile);
            for (std::size_t i = 0; i < cut; ++i)
                for (std::size_t j = cut; j < n; ++j) expect_same(tile[i * (n - cut) + (j - cut)], full[i * n + j]);
        }
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j) {
                SCOPED_TRACE(std::to_string(i) + "," + std::to_string(j));
                expect_same(full[i * n + j], correlate(views[i], views[j], p));
                expect_same(full[i * n + j].at_zero, full[j * n + i].at_zero);  // symmetric
            }
    }
    std::vector<corr_result> wrong(3);
    EXPECT_THROW(correlate_block(views, views, params(), wrong), std::invalid_argument);
}

TEST(Correlation, DeterministicAcrossCallsAndWorkspaces) {
    const auto coll = random_collection(4, 8);
    corr_workspace ws;
    for (const auto& p : {params(corr_method::pearson, 3, 6), params(corr_method::spearman, 3, 6)}) {
        const auto a = correlate(coll[0].view(), coll[1].view(), p, ws);
        (void)correlate(coll[2].view(), coll[3].view(), p, ws);  // dirty the workspace
        const auto b = correlate(coll[0].view(), coll[1].view(), p, ws);
        const auto c = correlate(coll[0].view(), coll[1].view(), p);
        expect_same(a, b);
        expect_same(a, c);
    }
}

TEST(Correlation, StatusNames) {
    EXPECT_STREQ(to_string(corr_status::ok), "ok");
    EXPECT_STREQ(to_string(corr_status::too_little_overlap), "too_little_overlap");
    EXPECT_STREQ(to_string(corr_status::zero_variance), "zero_variance");
    EXPECT_STREQ(to_string(corr_status::non_finite), "non_finite");
}

}  // namespace
}  // namespace tsbatch
