// sax: numpy fixtures, the normal quantile against statistics.NormalDist, hand-worked words
// (classic and IKATS's empirical breakpoints, ties on a breakpoint), constant, near-constant,
// NaN, empty and infinite inputs, a brute-force comparison on random series, registry schema
// and parameter errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "algo/operator.hpp"
#include "algo/series/sax.hpp"
#include "fixture_io.hpp"
#include "pipeline/config.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

struct sax_out {
    std::string word;
    std::vector<double> paa;
};

sax_out run_sax(const std::vector<double>& v, std::int64_t a, std::int64_t w,
                sax_breakpoints rule = sax_breakpoints::gaussian, sax_normalize norm = sax_normalize::zscore) {
    std::vector<std::int64_t> t(v.size());
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = 1000 * static_cast<std::int64_t>(i);
    const sax_encoder enc(sax_params{a, w, rule, norm});
    sax_out o;
    o.paa.assign(static_cast<std::size_t>(w), -1.0);
    enc.encode(series_view{t, v}, o.word, o.paa);
    return o;
}

TEST(Sax, Fixtures) {
    const auto f = test::load_operator_fixture("sax");
    const operator_def* def = find_operator("sax");
    ASSERT_NE(def, nullptr);
    ASSERT_GE(f.cases.size(), 100u);
    std::size_t missing = 0;
    for (const auto& c : f.cases) {
        SCOPED_TRACE("case " + c.name);
        const bound_operator op = def->bind(test::fixture_params(*def, c.params));
        ASSERT_TRUE(op.table);
        const auto& cols = op.table->columns();
        table_batch table(cols);
        row_sink row(table);
        op.table->apply(f.input(c).view(), row);
        ASSERT_EQ(c.expected.size(), cols.size());
        ASSERT_EQ(cols[0].name, "word");
        ASSERT_EQ(table.columns[0].strings.size(), 1u);
        const std::string word = c.expected["word"].as<std::string>();
        EXPECT_EQ(table.columns[0].strings[0], word);
        missing += static_cast<std::size_t>(std::count(word.begin(), word.end(), '?'));
        for (std::size_t k = 1; k < cols.size(); ++k) {
            EXPECT_EQ(cols[k].name, "paa_" + std::to_string(k));
            ASSERT_EQ(table.columns[k].floats.size(), 1u);
            const double want = c.expected[cols[k].name].as<double>();
            const double got = table.columns[k].floats[0];
            EXPECT_TRUE(test::fixture_near(want, got, c.abs_tol))
                << cols[k].name << ": expected " << want << ", got " << got;
        }
    }
    EXPECT_GT(missing, 0u);  // empty, all-NaN and NaN-only segments are covered
}

TEST(Sax, NormalQuantileMatchesNormalDist) {
    // statistics.NormalDist().inv_cdf (Wichura's AS241), an independent implementation.
    const std::pair<double, double> ref[] = {
        {1e-300, -37.0470962993612},    {1e-10, -6.361340902404056},
        {0.001, -3.090232306167813},    {0.02, -2.0537489106318225},
        {0.02425, -1.9729610513118845}, {0.1, -1.2815515655446008},
        {0.3, -0.5244005127080407},     {0.5, 0.0},
        {0.7, 0.5244005127080407},      {0.97575, 1.9729610513118847},
        {0.99, 2.3263478740408408},     {1 - 1e-10, 6.361340889697421},
    };
    for (const auto& [p, x] : ref) EXPECT_NEAR(normal_quantile(p), x, 2e-15 * std::max(1.0, std::fabs(x))) << p;
    EXPECT_EQ(normal_quantile(0.0), -inf_v);
    EXPECT_EQ(normal_quantile(1.0), inf_v);
    EXPECT_TRUE(std::isnan(normal_quantile(1.5)));
}

TEST(Sax, GaussianBreakpoints) {
    const std::vector<double> b8 = sax_gaussian_breakpoints(8);
    const double want8[] = {-1.1503493803760079, -0.6744897501960817, -0.31863936396437514, 0.0,
                            0.31863936396437514, 0.6744897501960817,  1.1503493803760079};
    ASSERT_EQ(b8.size(), 7u);
    for (std::size_t i = 0; i < 7; ++i) EXPECT_NEAR(b8[i], want8[i], 1e-15) << i;
    EXPECT_EQ(b8[3], 0.0);  // exactly: a value of 0 takes the lower middle letter
    const std::vector<double> b3 = sax_gaussian_breakpoints(3);
    ASSERT_EQ(b3.size(), 2u);
    EXPECT_NEAR(b3[0], -0.43072729929545744, 1e-15);
    EXPECT_EQ(b3[1], -b3[0]);  // mirrored, exactly antisymmetric
    const std::vector<double> b26 = sax_gaussian_breakpoints(26);
    ASSERT_EQ(b26.size(), 25u);
    EXPECT_NEAR(b26[0], -1.7688250385187059, 1e-15);
    EXPECT_NEAR(b26[5], -0.7363159173761294, 1e-15);
    for (std::size_t i = 1; i < b26.size(); ++i) EXPECT_LT(b26[i - 1], b26[i]);
    EXPECT_EQ(sax_gaussian_breakpoints(2), (std::vector<double>{0.0}));
}

TEST(Sax, HandWorkedWords) {
    // 1..8, W=4: PAA 1.5, 3.5, 5.5, 7.5; mean 4.5, population std sqrt(5.25): z = -1.309,
    // -0.436, 0.436, 1.309 against -0.674, 0, 0.674.
    const std::vector<double> ramp{1, 2, 3, 4, 5, 6, 7, 8};
    auto o = run_sax(ramp, 4, 4);
    EXPECT_EQ(o.word, "abcd");
    const double sd = std::sqrt(5.25);
    EXPECT_DOUBLE_EQ(o.paa[0], -3.0 / sd);
    EXPECT_DOUBLE_EQ(o.paa[3], 3.0 / sd);
    // a=3 (breakpoints +-0.4307): -0.436 is just below -0.4307, 0.436 just above 0.4307.
    EXPECT_EQ(run_sax(ramp, 3, 4).word, "aacc");
    // Fractional boundaries: 1..5 in W=2 gives (1 + 2 + 1.5) / 2.5 = 1.8 and 4.2.
    o = run_sax({1, 2, 3, 4, 5}, 2, 2, sax_breakpoints::gaussian, sax_normalize::none);
    EXPECT_DOUBLE_EQ(o.paa[0], 1.8);
    EXPECT_DOUBLE_EQ(o.paa[1], 4.2);
    EXPECT_EQ(o.word, "bb");  // both above the breakpoint 0: normalize=none keeps the raw level
    o = run_sax({1, 2, 3, 4, 5}, 2, 2);
    EXPECT_EQ(o.word, "ab");
}

TEST(Sax, EmpiricalBreakpointsAsIkats) {
    // PAA 1.5, 3.5, 5.5, 7.5 (normalize none), a=4: percentiles 25/50/75 at positions 0.75,
    // 1.5, 2.25: 3.0, 4.5, 6.0.
    const std::vector<double> paa4{1.5, 3.5, 5.5, 7.5};
    EXPECT_EQ(sax_empirical_breakpoints(paa4, 4), (std::vector<double>{3.0, 4.5, 6.0}));
    auto o = run_sax({1, 2, 3, 4, 5, 6, 7, 8}, 4, 4, sax_breakpoints::empirical, sax_normalize::none);
    EXPECT_EQ(o.word, "abcd");
    // A value on a breakpoint takes the lower letter: 5 values, a=2, the median is 3.
    o = run_sax({1, 2, 3, 4, 5}, 2, 5, sax_breakpoints::empirical, sax_normalize::none);
    EXPECT_EQ(o.word, "aaabb");
    // Normalising does not change the empirical word (an increasing affine map).
    EXPECT_EQ(run_sax({1, 2, 3, 4, 5}, 2, 5, sax_breakpoints::empirical).word, "aaabb");
    // NaN segments are left out of the quantiles: position (3-1)*1/2 = 1 among {1, 4, 9}.
    EXPECT_EQ(sax_empirical_breakpoints(std::vector<double>{9, nan_v, 1, 4}, 2), (std::vector<double>{4.0}));
    // Position (4-1)*1/3 = 1: exactly the second value, no interpolation.
    EXPECT_EQ(sax_empirical_breakpoints(std::vector<double>{0.1, 0.7, 0.2, 0.3}, 3)[0], 0.2);
    EXPECT_TRUE(sax_empirical_breakpoints(std::vector<double>{nan_v, nan_v}, 5).empty());
}

TEST(Sax, ConstantAndNearConstant) {
    const std::vector<double> c(12, 0.1);
    for (const auto norm : {sax_normalize::zscore, sax_normalize::none}) {
        // Every segment exactly equal: 0 (zscore) or the value itself (none).
        const auto o = run_sax(c, 8, 5, sax_breakpoints::gaussian, norm);
        for (const double x : o.paa) EXPECT_EQ(x, norm == sax_normalize::zscore ? 0.0 : 0.1);
        // The empirical breakpoints all coincide with the values: 'a' everywhere.
        EXPECT_EQ(run_sax(c, 8, 5, sax_breakpoints::empirical, norm).word, "aaaaa");
    }
    EXPECT_EQ(run_sax(c, 8, 5).word, "ddddd");  // 0 is on the middle breakpoint: lower letter
    EXPECT_EQ(run_sax(c, 3, 5).word, "bbbbb");
    // Spread at rounding level (std ~ 1e-15 << 1e-12 * 1): centred, not scaled.
    std::vector<double> nc(10);
    for (std::size_t i = 0; i < nc.size(); ++i) nc[i] = 1.0 + static_cast<double>(i % 3) * 1e-15;
    const auto o = run_sax(nc, 3, 5);
    EXPECT_EQ(o.word, "bbbbb");
    for (const double x : o.paa) EXPECT_LT(std::fabs(x), 1e-14);
    // Just above the threshold it is scaled: std 1e-9 relative.
    for (std::size_t i = 0; i < nc.size(); ++i) nc[i] = 1.0 + static_cast<double>(i) * 1e-9;
    EXPECT_EQ(run_sax(nc, 4, 4).word, "abcd");
}

TEST(Sax, NanEmptyAndShortSeries) {
    // A NaN run covering segment 2 of 4 (points 3..5 of 12).
    std::vector<double> v{1, 2, 3, nan_v, nan_v, nan_v, 7, 8, 9, 10, 11, 12};
    auto o = run_sax(v, 4, 4);
    EXPECT_EQ(o.word[1], '?');
    EXPECT_TRUE(std::isnan(o.paa[1]));
    EXPECT_EQ(o.word.size(), 4u);
    // Statistics over the 9 non-NaN values only.
    const double mean = (1 + 2 + 3 + 7 + 8 + 9 + 10 + 11 + 12) / 9.0;
    double ss = 0;
    for (const double x : v)
        if (!std::isnan(x)) ss += (x - mean) * (x - mean);
    EXPECT_NEAR(o.paa[0], (2.0 - mean) / std::sqrt(ss / 9.0), 1e-14);
    // Empty and all-NaN: W '?' and NaN columns.
    for (const auto& s : {std::vector<double>{}, std::vector<double>(5, nan_v)}) {
        o = run_sax(s, 5, 3);
        EXPECT_EQ(o.word, "???");
        for (const double x : o.paa) EXPECT_TRUE(std::isnan(x));
        EXPECT_EQ(run_sax(s, 5, 3, sax_breakpoints::empirical).word, "???");
    }
    // Fewer points than letters: 2 points over 5 segments (paa's N < S rule).
    o = run_sax({10, 20}, 3, 5);
    EXPECT_EQ(o.word, "aabcc");
    EXPECT_EQ(o.paa[0], -1.0);
    EXPECT_EQ(o.paa[2], 0.0);
    EXPECT_EQ(o.paa[4], 1.0);
    // One point: constant.
    EXPECT_EQ(run_sax({4.5}, 4, 3).word, "bbb");
}

TEST(Sax, InfiniteValues) {
    // No z-normalisation is defined: every segment NaN, '?'.
    const auto o = run_sax({1, 2, inf_v, 4}, 4, 2);
    EXPECT_EQ(o.word, "??");
    // Without normalisation the infinite segment takes the last letter.
    EXPECT_EQ(run_sax({-1, -2, inf_v, 4}, 4, 2, sax_breakpoints::gaussian, sax_normalize::none).word, "ad");
}

// Brute force: z-normalise in long double, weighted PAA by explicit overlaps, letters by
// counting breakpoints; a letter may differ only where the value is within rounding of a
// breakpoint.
TEST(Sax, RandomSeriesAgainstBruteForce) {
    std::mt19937_64 rng(2003);
    std::normal_distribution<double> val(5.0, 3.0);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int trial = 0; trial < 400; ++trial) {
        const std::size_t n = rng() % 300;
        const auto w = static_cast<std::int64_t>(1 + rng() % 40);
        const auto a = static_cast<std::int64_t>(2 + rng() % 25);
        const bool empirical = trial % 3 == 0;
        const bool zscore = trial % 4 != 1;
        const double nan_rate = trial % 2 == 0 ? 0.0 : u(rng) * 0.5;
        std::vector<double> v(n);
        for (auto& x : v) x = u(rng) < nan_rate ? nan_v : val(rng);
        SCOPED_TRACE("trial " + std::to_string(trial) + " n=" + std::to_string(n) + " w=" + std::to_string(w) +
                     " a=" + std::to_string(a));
        long double s = 0, c = 0;
        for (const double x : v)
            if (!std::isnan(x)) s += x, c += 1;
        const long double mu = c > 0 ? s / c : 0;
        long double q = 0;
        for (const double x : v)
            if (!std::isnan(x)) q += (x - mu) * (x - mu);
        const long double sd = c > 0 ? std::sqrt(q / c) : 1;
        const auto ws = static_cast<std::size_t>(w);
        std::vector<double> paa(ws, nan_v);
        for (std::size_t k = 0; k < ws; ++k) {
            long double num = 0, den = 0;
            for (std::size_t i = 0; i < n; ++i) {
                const long long lo = std::max<long long>(i * ws, k * n);
                const long long hi = std::min<long long>((i + 1) * ws, (k + 1) * n);
                if (hi > lo && !std::isnan(v[i])) {
                    num += static_cast<long double>(hi - lo) * (zscore ? (v[i] - mu) / sd : v[i]);
                    den += hi - lo;
                }
            }
            if (den > 0) paa[k] = static_cast<double>(num / den);
        }
        const auto o = run_sax(v, a, w, empirical ? sax_breakpoints::empirical : sax_breakpoints::gaussian,
                               zscore ? sax_normalize::zscore : sax_normalize::none);
        const std::vector<double> bp = empirical ? sax_empirical_breakpoints(paa, a) : sax_gaussian_breakpoints(a);
        ASSERT_EQ(o.word.size(), ws);
        for (std::size_t k = 0; k < ws; ++k) {
            EXPECT_TRUE(test::fixture_near(paa[k], o.paa[k], 1e-12, 1e-12))
                << k << ": " << paa[k] << " vs " << o.paa[k];
            const char want = sax_symbol(paa[k], bp);
            if (want == o.word[k]) continue;
            bool near = false;
            for (const double b : bp) near |= std::fabs(paa[k] - b) < 1e-11;
            EXPECT_TRUE(near) << "segment " << k << ": " << want << " vs " << o.word[k];
        }
    }
}

TEST(Sax, RegistrySchema) {
    const operator_def* def = find_operator("sax");
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->input, data_kind::series);
    ASSERT_EQ(def->outputs.size(), 1u);
    EXPECT_EQ(def->outputs[0].kind, data_kind::table);
    EXPECT_EQ(def->outputs[0].name, "");
    ASSERT_EQ(def->params.size(), 4u);
    const param_spec* a = def->find_param("alphabet_size");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->type, param_type::integer);
    EXPECT_EQ(std::get<std::int64_t>(*a->default_value), 8);
    EXPECT_EQ(*a->min, 2.0);
    EXPECT_EQ(*a->max, 26.0);
    const param_spec* w = def->find_param("word_length");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(std::get<std::int64_t>(*w->default_value), 16);
    EXPECT_EQ(def->find_param("breakpoints")->choices, (std::vector<std::string>{"gaussian", "empirical"}));
    EXPECT_EQ(std::get<std::string>(*def->find_param("breakpoints")->default_value), "gaussian");
    EXPECT_EQ(def->find_param("normalize")->choices, (std::vector<std::string>{"zscore", "none"}));
    EXPECT_EQ(std::get<std::string>(*def->find_param("normalize")->default_value), "zscore");
    // Defaults only: 16 letters, 17 columns.
    const bound_operator op = def->bind(test::fixture_params(*def, YAML::Load("{}")));
    ASSERT_TRUE(op.table);
    const auto& cols = op.table->columns();
    ASSERT_EQ(cols.size(), 17u);
    EXPECT_EQ(cols[0].name, "word");
    EXPECT_EQ(cols[0].type, column_type::string);
    EXPECT_EQ(cols[16].name, "paa_16");
    EXPECT_EQ(cols[16].type, column_type::float64);
    // After discretize in the catalogue.
    const auto& cat = operator_catalogue();
    std::size_t disc = cat.size(), at = cat.size();
    for (std::size_t k = 0; k < cat.size(); ++k) {
        if (cat[k].name == "discretize") disc = k;
        if (cat[k].name == "sax") at = k;
    }
    EXPECT_EQ(at, disc + 1);
}

TEST(Sax, ParamErrorsNameTheParameter) {
    const operator_def* def = find_operator("sax");
    ASSERT_NE(def, nullptr);
    const std::pair<const char*, const char*> bad[] = {
        {"{alphabet_size: 27}", "alphabet_size"},  {"{alphabet_size: 1}", "alphabet_size"},
        {"{word_length: 0}", "word_length"},       {"{word_length: 1000001}", "word_length"},
        {"{breakpoints: uniform}", "breakpoints"}, {"{normalize: minmax}", "normalize"},
    };
    for (const auto& [yaml, name] : bad) {
        try {
            (void)def->bind(test::fixture_params(*def, YAML::Load(yaml)));
            ADD_FAILURE() << yaml;
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), name) << yaml << ": " << e.what();
        }
    }
    try {
        (void)def->bind(test::fixture_params(*def, YAML::Load("{alphabet_size: 27}")));
    } catch (const param_error& e) {
        EXPECT_EQ(std::string(e.what()), "must be <= 26, got 27");
    }
    EXPECT_THROW(sax_encoder(sax_params{30, 4, sax_breakpoints::gaussian, sax_normalize::zscore}), param_error);
    // Through the config layer, before any data is read.
    try {
        (void)parse_run_config(
            "input: {path: in.h5}\nsteps:\n  - {name: s, op: sax, params: {alphabet_size: 27}}\noutput: {path: o.h5}\n",
            "s.yaml");
        ADD_FAILURE() << "alphabet_size: 27 accepted";
    } catch (const std::exception& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("params.alphabet_size"), std::string::npos) << msg;
        EXPECT_NE(msg.find("must be <= 26"), std::string::npos) << msg;
    }
}

}  // namespace
}  // namespace tsbatch
