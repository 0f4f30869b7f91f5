// fft and pattern_search: the FFT against a naive DFT and round trips; distance profiles and
// top-k searches against the brute-force numpy / pure-Python fixtures; hand-made cases
// (planted pattern, 1e9 offset, NaN and inf, constant windows and patterns, short series,
// band 0 == Euclidean); hard data against a long-double brute force; pruning on/off and 1..8
// simulated ranks giving the same bits; the error for a pattern longer than every series.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "algo/kernels/fft.hpp"
#include "algo/params.hpp"
#include "algo/dataset/pattern_search.hpp"
#include "core/error.hpp"
#include "fixture_io.hpp"
#include "simulated_comm.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();
constexpr long double pi_l = 3.141592653589793238462643383279502884L;

// ---- FFT ------------------------------------------------------------------------------

// O(n^2) in long double, with the n roots of unity computed once.
std::vector<std::complex<double>> naive_dft(const std::vector<std::complex<double>>& x) {
    const std::size_t n = x.size();
    std::vector<long double> c(n), s(n);
    for (std::size_t j = 0; j < n; ++j) {
        const long double a = -2.0L * pi_l * static_cast<long double>(j) / static_cast<long double>(n);
        c[j] = std::cos(a);
        s[j] = std::sin(a);
    }
    std::vector<std::complex<double>> out(n);
    for (std::size_t k = 0; k < n; ++k) {
        long double re = 0.0L, im = 0.0L;
        for (std::size_t j = 0; j < n; ++j) {
            const std::size_t e = (j * k) % n;
            re += x[j].real() * c[e] - x[j].imag() * s[e];
            im += x[j].real() * s[e] + x[j].imag() * c[e];
        }
        out[k] = {static_cast<double>(re), static_cast<double>(im)};
    }
    return out;
}

double norm2(const std::vector<std::complex<double>>& x) {
    double s = 0.0;
    for (const auto& v : x) s += std::norm(v);
    return std::sqrt(s);
}

TEST(FFT, MatchesNaiveDft) {
    std::mt19937_64 g(11);
    std::normal_distribution<double> nd;
    for (std::size_t n = 1; n <= 1024; n *= 2) {
        SCOPED_TRACE("n = " + std::to_string(n));
        std::vector<std::complex<double>> x(n);
        for (auto& v : x) v = {nd(g), nd(g)};
        const auto want = naive_dft(x);
        auto got = x;
        fft_plan(n).forward(got);
        // eps * log2(n) * ||x||_2 per output is the classical bound; 2x for a margin.
        const double tol = 2.0 * 2.2e-16 * std::max(1.0, std::log2(static_cast<double>(n))) * norm2(x);
        for (std::size_t k = 0; k < n; ++k) EXPECT_LE(std::abs(got[k] - want[k]), tol) << "k = " << k;
    }
}

TEST(FFT, RoundTrips) {
    std::mt19937_64 g(12);
    std::normal_distribution<double> nd;
    for (std::size_t n = 1; n <= 4096; n *= 2) {
        SCOPED_TRACE("n = " + std::to_string(n));
        std::vector<std::complex<double>> x(n);
        for (auto& v : x) v = {nd(g), nd(g)};
        auto y = x;
        const fft_plan p(n);
        p.forward(y);
        p.inverse(y);
        for (std::size_t k = 0; k < n; ++k) EXPECT_LE(std::abs(y[k] - x[k]), 1e-14) << "k = " << k;
    }
}

TEST(FFT, RealTransformMatchesComplexAndRoundTrips) {
    std::mt19937_64 g(13);
    std::normal_distribution<double> nd;
    for (std::size_t n = 2; n <= 4096; n *= 2) {
        SCOPED_TRACE("n = " + std::to_string(n));
        std::vector<double> x(n);
        for (auto& v : x) v = nd(g);
        std::vector<std::complex<double>> full(x.begin(), x.end());
        fft_plan(n).forward(full);
        const real_fft_plan rp(n);
        ASSERT_EQ(rp.spectrum_size(), n / 2 + 1);
        std::vector<std::complex<double>> half(rp.spectrum_size());
        rp.forward(x, half);
        const double tol = 2.0 * 2.2e-16 * std::log2(static_cast<double>(n)) * norm2(full) / std::sqrt(static_cast<double>(n)) + 1e-15;
        for (std::size_t k = 0; k <= n / 2; ++k) EXPECT_LE(std::abs(half[k] - full[k]), tol) << "k = " << k;
        EXPECT_EQ(half[0].imag(), 0.0);
        EXPECT_EQ(half[n / 2].imag(), 0.0);
        std::vector<double> back(n);
        rp.inverse(half, back);
        for (std::size_t j = 0; j < n; ++j) EXPECT_NEAR(back[j], x[j], 1e-14) << "j = " << j;
    }
}

TEST(FFT, SizesAndErrors) {
    EXPECT_TRUE(is_power_of_two(1));
    EXPECT_TRUE(is_power_of_two(1024));
    EXPECT_FALSE(is_power_of_two(0));
    EXPECT_FALSE(is_power_of_two(12));
    EXPECT_EQ(next_power_of_two(0), 1u);
    EXPECT_EQ(next_power_of_two(1), 1u);
    EXPECT_EQ(next_power_of_two(5), 8u);
    EXPECT_EQ(next_power_of_two(1024), 1024u);
    EXPECT_EQ(next_power_of_two(1025), 2048u);
    EXPECT_THROW(fft_plan(0), std::invalid_argument);
    EXPECT_THROW(fft_plan(12), std::invalid_argument);
    EXPECT_THROW(real_fft_plan(1), std::invalid_argument);
    EXPECT_THROW(real_fft_plan(6), std::invalid_argument);
    std::vector<std::complex<double>> x(4);
    EXPECT_THROW(fft_plan(8).forward(x), std::invalid_argument);
}

// ---- pattern_search helpers -------------------------------------------------------------

struct owned {
    std::vector<std::int64_t> time;
    std::vector<double> value;
    series_view view() const { return {time, value}; }
};

owned make_series(std::vector<double> v, std::int64_t t0 = 1'000'000) {
    owned s;
    for (std::size_t i = 0; i < v.size(); ++i) s.time.push_back(t0 + 1000 * static_cast<std::int64_t>(i) + static_cast<std::int64_t>(i % 7));
    s.value = std::move(v);
    return s;
}

std::vector<double> random_walk(std::mt19937_64& g, std::size_t n, double scale = 1.0) {
    std::normal_distribution<double> nd(0.0, scale);
    std::vector<double> v(n);
    double acc = 0.0;
    for (auto& x : v) x = acc += nd(g);
    return v;
}

pattern_params params(pattern_distance d, std::size_t k, std::size_t exclusion, double band = 0.1, bool prune = true) {
    pattern_params p;
    p.distance = d;
    p.top_k = k;
    p.exclusion = exclusion;
    p.band = band;
    p.prune = prune;
    return p;
}

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

void expect_same(const std::vector<pattern_match>& a, const std::vector<pattern_match>& b, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].series_row, b[i].series_row) << what << ", match " << i;
        EXPECT_EQ(a[i].start, b[i].start) << what << ", match " << i;
        EXPECT_EQ(a[i].start_time, b[i].start_time) << what << ", match " << i;
        EXPECT_EQ(a[i].end_time, b[i].end_time) << what << ", match " << i;
        EXPECT_TRUE(same_bits(a[i].distance, b[i].distance)) << what << ", match " << i << ": " << a[i].distance
                                                              << " vs " << b[i].distance;
    }
}

// Rank r of `nranks` holds a contiguous, deliberately uneven, share of the series (some
// ranks none when there are few).
std::pair<std::size_t, std::size_t> share(std::size_t count, int nranks, int r) {
    auto edge = [&](int k) {
        const double f = static_cast<double>(k) / nranks;
        return static_cast<std::size_t>(std::floor(static_cast<double>(count) * f * f * (3.0 - 2.0 * f)));
    };
    return {edge(r), r + 1 == nranks ? count : edge(r + 1)};
}

// pattern_search on `nranks` simulated ranks; checks that every rank got the same bits and
// returns rank 0's answer.
std::vector<pattern_match> search_on(int nranks, const std::vector<owned>& all, std::span<const double> pattern,
                                     const pattern_params& p) {
    std::vector<std::vector<pattern_match>> got(static_cast<std::size_t>(nranks));
    run_simulated(nranks, [&](const comm& c) {
        const auto [lo, hi] = share(all.size(), c.size(), c.rank());
        std::vector<series_view> mine;
        for (std::size_t i = lo; i < hi; ++i) mine.push_back(all[i].view());
        got[static_cast<std::size_t>(c.rank())] = pattern_search(c, mine, lo, pattern, p);
    });
    for (int r = 1; r < nranks; ++r) expect_same(got[0], got[static_cast<std::size_t>(r)], "rank " + std::to_string(r));
    return got[0];
}

std::vector<std::vector<double>> profiles(const std::vector<owned>& all, std::span<const double> pattern,
                                          const pattern_params& p) {
    std::vector<std::vector<double>> out;
    for (const auto& s : all) out.push_back(distance_profile(s.value, pattern, p));
    return out;
}

// The brute-force answer from unpruned profiles (distance_profile): every candidate of every
// series, sorted by (distance, row, start), then the greedy selection with the exclusion zone.
std::vector<pattern_match> brute_force(const std::vector<owned>& all, const std::vector<std::vector<double>>& prof,
                                       std::size_t m, const pattern_params& p) {
    struct cand {
        double d;
        std::size_t row, start;
    };
    std::vector<cand> cands;
    for (std::size_t row = 0; row < all.size(); ++row)
        for (std::size_t i = 0; i < prof[row].size(); ++i)
            if (prof[row][i] < inf_v) cands.push_back({prof[row][i], row, i});
    std::sort(cands.begin(), cands.end(), [](const cand& a, const cand& b) {
        return a.d != b.d ? a.d < b.d : a.row != b.row ? a.row < b.row : a.start < b.start;
    });
    std::vector<pattern_match> out;
    for (const auto& c : cands) {
        if (out.size() == p.top_k) break;
        bool suppressed = false;
        for (const auto& o : out)
            if (o.series_row == c.row && (o.start > c.start ? o.start - c.start : c.start - o.start) < std::max<std::size_t>(p.exclusion, 1))
                suppressed = true;
        if (!suppressed)
            out.push_back({c.row, c.start, all[c.row].time[c.start], all[c.row].time[c.start + m - 1], c.d});
    }
    return out;
}

// Long-double brute force of one profile (the conventions of the header), for hard data.
std::vector<double> brute_profile(const std::vector<double>& t, const std::vector<double>& q, bool dtw, std::size_t r) {
    using ld = long double;
    const std::size_t m = q.size();
    auto zn = [&](const double* v, bool& constant) {
        ld mu = 0;
        for (std::size_t j = 0; j < m; ++j) mu += v[j];
        mu /= static_cast<ld>(m);
        ld var = 0;
        for (std::size_t j = 0; j < m; ++j) var += (v[j] - mu) * (v[j] - mu);
        const ld sd = std::sqrt(var / static_cast<ld>(m));
        constant = sd <= 1e-13L * std::fabs(mu);
        std::vector<ld> z(m, 0.0L);
        if (!constant)
            for (std::size_t j = 0; j < m; ++j) z[j] = (v[j] - mu) / sd;
        return z;
    };
    bool qc = false;
    const auto zq = zn(q.data(), qc);
    std::vector<double> out;
    for (std::size_t i = 0; i + m <= t.size(); ++i) {
        if (!std::all_of(t.begin() + static_cast<std::ptrdiff_t>(i), t.begin() + static_cast<std::ptrdiff_t>(i + m),
                         [](double v) { return std::isfinite(v); })) {
            out.push_back(inf_v);
            continue;
        }
        bool wc = false;
        const auto zw = zn(t.data() + i, wc);
        if (qc || wc) {
            out.push_back(qc && wc ? 0.0 : std::sqrt(static_cast<double>(m)));
            continue;
        }
        std::vector<ld> prev(m, inf_v), cur(m, inf_v);
        if (!dtw) {
            ld s = 0;
            for (std::size_t j = 0; j < m; ++j) s += (zq[j] - zw[j]) * (zq[j] - zw[j]);
            out.push_back(static_cast<double>(std::sqrt(s)));
            continue;
        }
        for (std::size_t a = 0; a < m; ++a) {
            std::fill(cur.begin(), cur.end(), static_cast<ld>(inf_v));
            for (std::size_t b = a > r ? a - r : 0; b <= std::min(m - 1, a + r); ++b) {
                const ld c = (zq[a] - zw[b]) * (zq[a] - zw[b]);
                ld best = a == 0 && b == 0 ? 0.0L : static_cast<ld>(inf_v);
                if (a > 0 && b > 0) best = std::min(best, prev[b - 1]);
                if (a > 0) best = std::min(best, prev[b]);
                if (b > 0) best = std::min(best, cur[b - 1]);
                cur[b] = c + best;
            }
            std::swap(prev, cur);
        }
        out.push_back(static_cast<double>(std::sqrt(prev[m - 1])));
    }
    return out;
}

void expect_profiles_near(const std::vector<double>& want, const std::vector<double>& got, double rel, double abs_tol,
                          const std::string& what) {
    ASSERT_EQ(want.size(), got.size()) << what;
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_TRUE(test::fixture_near(want[i], got[i], abs_tol, rel))
            << what << ", window " << i << ": expected " << want[i] << ", got " << got[i];
}

pattern_distance distance_of(const std::string& s) {
    if (s == "dtw") return pattern_distance::dtw;
    if (s == "euclidean_znorm") return pattern_distance::euclidean_znorm;
    throw std::runtime_error("unknown distance " + s);
}

// ---- fixtures -----------------------------------------------------------------------------

TEST(PatternSearch, ProfileFixtures) {
    const YAML::Node root = test::load_dataset_fixture("pattern_search");
    const auto series = test::fixture_series_map(root["series"]);
    std::size_t cases = 0;
    for (const auto& c : root["profiles"]) {
        const std::string name = c["name"].as<std::string>();
        const auto pattern = test::fixture_doubles(root["patterns"][c["pattern"].as<std::string>()]);
        pattern_params p;
        p.distance = distance_of(c["distance"].as<std::string>());
        p.band = c["band"].as<double>();
        const auto got = distance_profile(series.at(c["series"].as<std::string>()).value, pattern, p);
        expect_profiles_near(test::fixture_doubles(c["expected"]), got, c["rel_tol"].as<double>(),
                             c["abs_tol"].as<double>(), "case " + name);
        ++cases;
    }
    EXPECT_GE(cases, 15u);
}

TEST(PatternSearch, SearchFixtures) {
    const YAML::Node root = test::load_dataset_fixture("pattern_search");
    const auto series = test::fixture_series_map(root["series"]);
    std::size_t cases = 0;
    for (const auto& c : root["searches"]) {
        const std::string name = c["name"].as<std::string>();
        std::vector<owned> all;
        for (const auto& s : c["series"]) {
            const auto& f = series.at(s.as<std::string>());
            all.push_back({f.time, f.value});
        }
        const auto pattern = test::fixture_doubles(root["patterns"][c["pattern"].as<std::string>()]);
        const auto& pr = c["params"];
        const auto p = params(distance_of(pr["distance"].as<std::string>()), pr["top_k"].as<std::size_t>(),
                              pr["exclusion"].as<std::size_t>(), pr["band"].as<double>());
        const double rel = c["rel_tol"].as<double>(), abs_tol = c["abs_tol"].as<double>();
        for (int nranks : {1, 3}) {
            SCOPED_TRACE("case " + name + ", " + std::to_string(nranks) + " ranks");
            const auto got = search_on(nranks, all, pattern, p);
            const auto& want = c["expected"];
            ASSERT_EQ(got.size(), want.size());
            for (std::size_t i = 0; i < got.size(); ++i) {
                EXPECT_EQ(got[i].series_row, want[i]["row"].as<std::uint64_t>()) << "match " << i;
                EXPECT_EQ(got[i].start, want[i]["start"].as<std::uint64_t>()) << "match " << i;
                EXPECT_EQ(got[i].start_time, want[i]["start_time"].as<std::int64_t>()) << "match " << i;
                EXPECT_EQ(got[i].end_time, want[i]["end_time"].as<std::int64_t>()) << "match " << i;
                EXPECT_TRUE(test::fixture_near(want[i]["distance"].as<double>(), got[i].distance, abs_tol, rel))
                    << "match " << i << ": expected " << want[i]["distance"].as<double>() << ", got " << got[i].distance;
            }
        }
        ++cases;
    }
    EXPECT_GE(cases, 9u);
}

// ---- hand-made cases ----------------------------------------------------------------------

TEST(PatternSearch, PlantedPatternIsFoundAtDistanceZero) {
    std::mt19937_64 g(21);
    const auto q = random_walk(g, 50);
    std::vector<owned> all;
    for (int s = 0; s < 6; ++s) all.push_back(make_series(random_walk(g, 600)));
    // Series 4 holds 3 q + 5 at 217: the same shape, z-normalised.
    for (std::size_t j = 0; j < q.size(); ++j) all[4].value[217 + j] = 3.0 * q[j] + 5.0;
    for (auto d : {pattern_distance::euclidean_znorm, pattern_distance::dtw}) {
        SCOPED_TRACE(to_string(d));
        const auto got = search_on(2, all, q, params(d, 3, default_exclusion(q.size())));
        ASSERT_EQ(got.size(), 3u);
        EXPECT_EQ(got[0].series_row, 4u);
        EXPECT_EQ(got[0].start, 217u);
        EXPECT_EQ(got[0].start_time, all[4].time[217]);
        EXPECT_EQ(got[0].end_time, all[4].time[217 + 49]);
        EXPECT_LT(got[0].distance, 1e-9);
        EXPECT_GT(got[1].distance, 0.1);
    }
}

TEST(PatternSearch, LargeOffsetKeepsItsDigits) {
    std::mt19937_64 g(22);
    auto base = random_walk(g, 2000);
    std::vector<double> high(base.size()), low(base.size());
    for (std::size_t i = 0; i < base.size(); ++i) {
        high[i] = 1e9 + base[i];
        low[i] = high[i] - 1e9;  // exact (Sterbenz): the very same data, shifted
    }
    const auto q = random_walk(g, 40);
    for (auto d : {pattern_distance::euclidean_znorm, pattern_distance::dtw}) {
        SCOPED_TRACE(to_string(d));
        auto p = params(d, 5, 20);
        const auto a = distance_profile(high, q, p);
        const auto b = distance_profile(low, q, p);
        expect_profiles_near(b, a, 1e-9, 1e-12, "1e9 + x against x");
        expect_profiles_near(brute_profile(low, q, d == pattern_distance::dtw, dtw_band_width(40, 0.1)), a, 1e-9, 1e-12,
                             "1e9 + x against long double");
    }
}

TEST(PatternSearch, HardDataMatchesLongDoubleBruteForce) {
    // Data where plain MASS loses digits: spikes next to quiet stretches, values near the ends
    // of the double range (subnormal ones too), a steep trend with small noise, loud and quiet
    // blocks.
    std::mt19937_64 g(23);
    std::normal_distribution<double> nd;
    std::uniform_real_distribution<double> ud(0.0, 1.0);
    const std::size_t n = 1200, m = 32;
    for (int kind = 0; kind < 7; ++kind) {
        std::vector<double> t(n);
        double acc = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            acc += nd(g);
            switch (kind) {
                case 0: t[i] = ud(g) < 0.01 ? 1e7 * nd(g) : nd(g); break;
                case 1: t[i] = (i / 150) % 2 ? 1e-3 * nd(g) : 1e6 * nd(g); break;
                case 2: t[i] = 1e300 * std::sin(static_cast<double>(i) * 0.01) + 1e290 * nd(g); break;
                case 3: t[i] = 1e-300 * acc; break;
                case 5: t[i] = 1e-310 * acc; break;  // subnormal
                case 6: t[i] = 1.7e308 * std::sin(static_cast<double>(i) * 0.05) + 1e306 * nd(g); break;
                default: t[i] = 1e8 * static_cast<double>(i) + nd(g); break;
            }
        }
        std::vector<double> q(t.begin() + 100, t.begin() + 100 + static_cast<std::ptrdiff_t>(m));
        for (double& v : q) v += 1e-2 * std::fabs(v) * nd(g);
        for (auto d : {pattern_distance::euclidean_znorm, pattern_distance::dtw}) {
            const auto got = distance_profile(t, q, params(d, 1, 0));
            expect_profiles_near(brute_profile(t, q, d == pattern_distance::dtw, dtw_band_width(m, 0.1)), got, 1e-9,
                                 1e-12, "kind " + std::to_string(kind) + ", " + to_string(d));
        }
    }
}

TEST(PatternSearch, NonFiniteWindowsAreNotCandidates) {
    std::mt19937_64 g(24);
    auto v = random_walk(g, 300);
    const std::size_t m = 20;
    const std::vector<double> q(v.begin() + 50, v.begin() + 50 + static_cast<std::ptrdiff_t>(m));
    v[55] = nan_v;  // kills the planted match at 50 and its neighbours
    v[200] = inf_v;
    v[299] = -inf_v;
    for (auto d : {pattern_distance::euclidean_znorm, pattern_distance::dtw}) {
        SCOPED_TRACE(to_string(d));
        const auto prof = distance_profile(v, q, params(d, 1, 0));
        ASSERT_EQ(prof.size(), 300 - m + 1);
        for (std::size_t i = 0; i < prof.size(); ++i) {
            const bool touches = (i <= 55 && 55 < i + m) || (i <= 200 && 200 < i + m) || i + m > 299;
            EXPECT_EQ(std::isinf(prof[i]), touches) << "window " << i;
        }
        const auto got = search_on(1, {make_series(v)}, q, params(d, 50, 0));
        ASSERT_EQ(got.size(), 50u);
        for (const auto& mt : got) EXPECT_TRUE(std::isfinite(mt.distance));
    }
    // All-NaN and empty series: no candidates, no error.
    const auto none = search_on(2, {make_series(std::vector<double>(100, nan_v)), make_series({})}, q,
                                params(pattern_distance::euclidean_znorm, 3, 0));
    EXPECT_TRUE(none.empty());
}

TEST(PatternSearch, ConstantWindowsAndPatterns) {
    std::mt19937_64 g(25);
    const std::size_t m = 16;
    const double root_m = std::sqrt(static_cast<double>(m));
    auto v = random_walk(g, 200);
    for (std::size_t i = 60; i < 100; ++i) v[i] = 0.1;  // constant run
    for (std::size_t i = 120; i < 150; ++i) v[i] = 0.0;  // exact zeros
    for (std::size_t i = 160; i < 190; ++i) v[i] = 1e5 * (1.0 + static_cast<double>(i % 3) * 0x1p-52);  // a few ulps of spread
    const auto q = random_walk(g, m);
    const std::vector<double> flat(m, -4.25);
    auto is_const = [&](std::size_t i) {
        return (i >= 60 && i + m <= 100) || (i >= 120 && i + m <= 150) || (i >= 160 && i + m <= 190);
    };
    for (auto d : {pattern_distance::euclidean_znorm, pattern_distance::dtw}) {
        SCOPED_TRACE(to_string(d));
        const auto a = distance_profile(v, q, params(d, 1, 0));
        const auto b = distance_profile(v, flat, params(d, 1, 0));
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (is_const(i)) {
                EXPECT_EQ(a[i], root_m) << "window " << i;  // exact: the convention, not a computation
                EXPECT_EQ(b[i], 0.0) << "window " << i;
            } else {
                EXPECT_NE(a[i], root_m) << "window " << i;
                EXPECT_EQ(b[i], root_m) << "window " << i;
            }
        }
        // A constant pattern's matches are the constant windows, ties in row and start order.
        const auto got = search_on(1, {make_series(v)}, flat, params(d, 3, 8));
        ASSERT_EQ(got.size(), 3u);
        EXPECT_EQ(got[0].start, 60u);
        EXPECT_EQ(got[1].start, 68u);
        EXPECT_EQ(got[2].start, 76u);
    }
    // Tiny values are not constant: the series is scaled before anything is squared.
    std::vector<double> tiny(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) tiny[i] = 1e-200 * v[i];
    const auto a = distance_profile(v, q, params(pattern_distance::euclidean_znorm, 1, 0));
    const auto b = distance_profile(tiny, q, params(pattern_distance::euclidean_znorm, 1, 0));
    expect_profiles_near(a, b, 1e-9, 1e-12, "1e-200 x against x");
}

TEST(PatternSearch, ShortSeriesAreSkipped) {
    std::mt19937_64 g(26);
    const auto q = random_walk(g, 30);
    EXPECT_TRUE(distance_profile(random_walk(g, 29), q, pattern_params{}).empty());
    EXPECT_EQ(distance_profile(random_walk(g, 30), q, pattern_params{}).size(), 1u);
    std::vector<owned> all{make_series(random_walk(g, 10)), make_series(random_walk(g, 100)),
                           make_series(random_walk(g, 29)), make_series(random_walk(g, 30))};
    const auto got = search_on(3, all, q, params(pattern_distance::euclidean_znorm, 10, 0));
    ASSERT_EQ(got.size(), 10u);  // 71 + 1 candidates
    for (const auto& mt : got) EXPECT_TRUE(mt.series_row == 1 || mt.series_row == 3);
}

TEST(PatternSearch, BandZeroIsTheEuclideanDistance) {
    std::mt19937_64 g(27);
    std::vector<owned> all;
    for (int s = 0; s < 5; ++s) all.push_back(make_series(random_walk(g, 400)));
    const auto q = random_walk(g, 25);
    for (const auto& s : all) {
        const auto e = distance_profile(s.value, q, params(pattern_distance::euclidean_znorm, 1, 0));
        const auto d = distance_profile(s.value, q, params(pattern_distance::dtw, 1, 0, 0.0));
        expect_profiles_near(e, d, 1e-9, 1e-12, "dtw band 0 against euclidean");
    }
    const auto e = search_on(1, all, q, params(pattern_distance::euclidean_znorm, 8, 13));
    const auto d = search_on(1, all, q, params(pattern_distance::dtw, 8, 13, 0.0));
    ASSERT_EQ(e.size(), d.size());
    for (std::size_t i = 0; i < e.size(); ++i) {
        EXPECT_EQ(e[i].series_row, d[i].series_row);
        EXPECT_EQ(e[i].start, d[i].start);
        EXPECT_NEAR(e[i].distance, d[i].distance, 1e-9 * e[i].distance);
    }
}

TEST(PatternSearch, DtwDistanceByHand) {
    const std::vector<double> a{1, 2, 3, 4}, b{1, 1, 2, 3};
    EXPECT_DOUBLE_EQ(dtw_distance(a, b, 0), std::sqrt(3.0));  // the diagonal: 0 + 1 + 1 + 1
    EXPECT_DOUBLE_EQ(dtw_distance(a, b, 1), 1.0);             // a0-b0, a0-b1, a1-b2, a2-b3, a3-b3
    EXPECT_DOUBLE_EQ(dtw_distance(a, b, 9), 1.0);             // wider than the sequences
    EXPECT_DOUBLE_EQ(dtw_distance(b, a, 1), 1.0);
    EXPECT_THROW(dtw_distance(a, std::vector<double>{1, 2}, 1), std::invalid_argument);
    EXPECT_EQ(dtw_band_width(100, 0.1), 10u);
    EXPECT_EQ(dtw_band_width(10, 0.3), 3u);
    EXPECT_EQ(dtw_band_width(24, 1.0), 23u);
    EXPECT_EQ(dtw_band_width(24, 0.0), 0u);
    EXPECT_EQ(default_exclusion(100), 50u);
    EXPECT_EQ(default_exclusion(7), 4u);
}

TEST(PatternSearch, MatchesBruteForceGreedy) {
    std::mt19937_64 g(28);
    std::vector<owned> all;
    for (int s = 0; s < 12; ++s) all.push_back(make_series(random_walk(g, 80 + 40 * static_cast<std::size_t>(s % 5))));
    const auto q = random_walk(g, 24);
    // Near copies of q in a few places, so that exclusion zones overlap good candidates.
    std::normal_distribution<double> nd(0.0, 0.3);
    for (int s : {2, 5, 9})
        for (std::size_t j = 0; j < q.size(); ++j) all[static_cast<std::size_t>(s)].value[30 + j] = q[j] + nd(g);
    for (auto d : {pattern_distance::euclidean_znorm, pattern_distance::dtw}) {
        const auto prof = profiles(all, q, params(d, 1, 0, 0.15));
        for (std::size_t k : {1u, 4u, 15u})
            for (std::size_t excl : {0u, 1u, 5u, 12u, 60u}) {
                const auto p = params(d, k, excl, 0.15);
                expect_same(search_on(2, all, q, p), brute_force(all, prof, q.size(), p),
                            std::string(to_string(d)) + " k " + std::to_string(k) + " exclusion " + std::to_string(excl));
            }
    }
}

TEST(PatternSearch, PruningNeverChangesTheResult) {
    std::mt19937_64 g(29);
    std::vector<owned> all;
    for (int s = 0; s < 30; ++s) all.push_back(make_series(random_walk(g, 150 + 10 * static_cast<std::size_t>(s))));
    const auto q = random_walk(g, 32);
    std::normal_distribution<double> nd(0.0, 0.2);
    for (int s : {3, 17, 18, 29})
        for (std::size_t j = 0; j < q.size(); ++j) all[static_cast<std::size_t>(s)].value[40 + j] = 2.0 * q[j] + nd(g);
    for (std::size_t j = 0; j < 40; ++j) all[7].value[60 + j] = 1.5;  // constant windows among them
    // The bounds do prune here (so the comparisons below test something), and only when asked.
    std::vector<series_view> views;
    for (const auto& s : all) views.push_back(s.view());
    pattern_search_stats st;
    pattern_search(comm{}, views, 0, q, params(pattern_distance::dtw, 3, 16, 0.1, true), &st);
    EXPECT_GT(st.pruned, st.windows / 2);
    EXPECT_GT(st.abandoned, 0u);
    EXPECT_EQ(st.candidates + st.pruned + st.abandoned, st.windows);
    pattern_search(comm{}, views, 0, q, params(pattern_distance::dtw, 3, 16, 0.1, false), &st);
    EXPECT_EQ(st.pruned + st.abandoned, 0u);
    EXPECT_EQ(st.candidates, st.windows);
    for (double band : {0.05, 0.1, 0.3, 1.0}) {
        const std::string what = "band " + std::to_string(band);
        // The switch itself...
        expect_same(search_on(1, all, q, params(pattern_distance::dtw, 3, 16, band, true)),
                    search_on(1, all, q, params(pattern_distance::dtw, 3, 16, band, false)), what + " k 3 exclusion 16");
        // ...and more settings against the greedy selection over unpruned profiles.
        const auto prof = profiles(all, q, params(pattern_distance::dtw, 1, 0, band, false));
        for (std::size_t k : {1u, 3u, 10u})
            for (std::size_t excl : {0u, 1u, 16u, 64u})
                expect_same(search_on(1, all, q, params(pattern_distance::dtw, k, excl, band, true)),
                            brute_force(all, prof, q.size(), params(pattern_distance::dtw, k, excl, band)),
                            what + " k " + std::to_string(k) + " exclusion " + std::to_string(excl));
    }
}

TEST(PatternSearch, SameBitsOnAnyRankCount) {
    std::mt19937_64 g(30);
    std::vector<owned> all;
    for (int s = 0; s < 23; ++s) {
        auto v = random_walk(g, 60 + 37 * static_cast<std::size_t>(s % 7));
        if (s % 5 == 0) v[v.size() / 2] = nan_v;
        all.push_back(make_series(std::move(v), 1000 * s));
    }
    const auto q = random_walk(g, 28);
    for (auto d : {pattern_distance::euclidean_znorm, pattern_distance::dtw}) {
        const auto p = params(d, 7, default_exclusion(q.size()));
        const auto one = search_on(1, all, q, p);
        ASSERT_EQ(one.size(), 7u);
        for (int nranks = 2; nranks <= 8; ++nranks)
            expect_same(one, search_on(nranks, all, q, p), std::string(to_string(d)) + ", " + std::to_string(nranks) + " ranks");
    }
}

TEST(PatternSearch, PatternLongerThanEverySeriesFailsOnEveryRank) {
    std::mt19937_64 g(31);
    std::vector<owned> all{make_series(random_walk(g, 40)), make_series(random_walk(g, 12)), make_series(random_walk(g, 33))};
    const auto q = random_walk(g, 50);
    std::atomic<int> thrown{0};
    run_simulated(4, [&](const comm& c) {
        const auto [lo, hi] = share(all.size(), c.size(), c.rank());
        std::vector<series_view> mine;
        for (std::size_t i = lo; i < hi; ++i) mine.push_back(all[i].view());
        try {
            pattern_search(c, mine, lo, q, pattern_params{});
        } catch (const input_error& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find("50 points"), std::string::npos) << what;
            EXPECT_NE(what.find("longest series has 40"), std::string::npos) << what;
            ++thrown;
        }
    });
    EXPECT_EQ(thrown.load(), 4);
    // No series at all: the longest has 0 points.
    EXPECT_THROW(search_on(2, {}, q, pattern_params{}), input_error);
}

TEST(PatternSearch, RejectsBadParameters) {
    const std::vector<double> ok{1, 2, 3, 2};
    const std::vector<double> one{1};
    const std::vector<double> with_nan{1, nan_v, 3};
    const std::vector<double> with_inf{1, inf_v, 3};
    auto param_of = [](const std::vector<double>& q, const pattern_params& p) {
        try {
            check_pattern_params(q, p);
        } catch (const param_error& e) {
            return e.param();
        }
        return std::string();
    };
    EXPECT_EQ(param_of(ok, pattern_params{}), "");
    EXPECT_EQ(param_of(one, pattern_params{}), "pattern");
    EXPECT_EQ(param_of(with_nan, pattern_params{}), "pattern");
    EXPECT_EQ(param_of(with_inf, pattern_params{}), "pattern");
    pattern_params p;
    p.top_k = 0;
    EXPECT_EQ(param_of(ok, p), "top_k");
    for (double band : {-0.1, 1.5, nan_v}) {
        p = pattern_params{};
        p.band = band;
        EXPECT_EQ(param_of(ok, p), "band") << band;
    }
    EXPECT_THROW(distance_profile(ok, one, pattern_params{}), param_error);
    const std::vector<owned> none;
    EXPECT_THROW(search_on(2, none, with_nan, pattern_params{}), param_error);
}

TEST(PatternSearch, ExclusionZone) {
    std::mt19937_64 g(32);
    std::vector<owned> all{make_series(random_walk(g, 500)), make_series(random_walk(g, 500))};
    const auto q = random_walk(g, 40);
    for (std::size_t excl : {0u, 1u, 7u, 20u, 100u}) {
        const auto got = search_on(1, all, q, params(pattern_distance::euclidean_znorm, 12, excl));
        // 461 windows a series: a zone of 100 each side leaves room for fewer than 12 picks.
        if (excl < 100)
            ASSERT_EQ(got.size(), 12u);
        else
            ASSERT_GE(got.size(), 6u);
        for (std::size_t i = 0; i < got.size(); ++i)
            for (std::size_t j = 0; j < i; ++j) {
                if (got[i].series_row != got[j].series_row) continue;
                const std::size_t gap = got[i].start > got[j].start ? got[i].start - got[j].start : got[j].start - got[i].start;
                EXPECT_GE(gap, std::max<std::size_t>(excl, 1)) << "exclusion " << excl;
            }
        for (std::size_t i = 1; i < got.size(); ++i) EXPECT_LE(got[i - 1].distance, got[i].distance);
        if (excl <= 1) {  // a smooth series' best windows come in runs of neighbours
            bool neighbours = false;
            for (std::size_t i = 0; i < got.size(); ++i)
                for (std::size_t j = 0; j < i; ++j)
                    neighbours |= got[i].series_row == got[j].series_row &&
                                  (got[i].start == got[j].start + 1 || got[j].start == got[i].start + 1);
            EXPECT_TRUE(neighbours);
        }
    }
}

}  // namespace
}  // namespace tsbatch
