#include "synthetic/generate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>

#include "core/time.hpp"

namespace tsbatch {
namespace {

generate_options options(std::uint64_t series, std::uint64_t mean_points, std::uint64_t seed = 1) {
    generate_options o;
    o.series = series;
    o.mean_points = mean_points;
    o.seed = seed;
    return o;
}

series_batch generate_all(const generate_options& opt) {
    const auto lengths = plan_series_lengths(opt);
    series_batch b;
    for (std::uint64_t i = 0; i < lengths.size(); ++i) generate_series(opt, i, lengths[i], b);
    return b;
}

// Byte equality, so that NaNs compare equal to themselves.
template <class T>
bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

bool same_series(series_view a, series_view b) {
    return a.size() == b.size() && std::equal(a.time.begin(), a.time.end(), b.time.begin()) &&
           std::memcmp(a.value.data(), b.value.data(), a.size() * sizeof(double)) == 0;
}

std::uint64_t sum(const std::vector<std::uint64_t>& v) { return std::accumulate(v.begin(), v.end(), std::uint64_t{0}); }

// Every series non-empty, starting within the start window, strictly increasing.
void check_timestamps(const generate_options& opt) {
    const auto b = generate_all(opt);
    ASSERT_EQ(b.point_count(), opt.series * opt.mean_points);
    for (std::size_t i = 0; i < b.size(); ++i) {
        const auto s = b.series(i);
        ASSERT_FALSE(s.empty());
        EXPECT_GE(s.time[0], opt.start_ms);
        EXPECT_LE(s.time[0], opt.start_ms + 31 * ms_per_day);
        for (std::size_t k = 1; k < s.size(); ++k) ASSERT_LT(s.time[k - 1], s.time[k]) << b.meta[i].id << " at " << k;
    }
}

TEST(PlanSeriesLengths, SumsExactlyAndEverySeriesHasAPoint) {
    for (const auto& [n, mean] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{
             {1, 1}, {1, 1000}, {7, 1}, {7, 2}, {1000, 37}, {10000, 3}, {333, 1001}, {100000, 10}}) {
        const auto len = plan_series_lengths(options(n, mean));
        ASSERT_EQ(len.size(), n);
        EXPECT_EQ(sum(len), n * mean) << n << " x " << mean;
        EXPECT_GE(*std::min_element(len.begin(), len.end()), 1U) << n << " x " << mean;
    }
}

TEST(PlanSeriesLengths, SingleSeriesGetsAllPoints) {
    EXPECT_EQ(plan_series_lengths(options(1, 123456)), std::vector<std::uint64_t>{123456});
}

TEST(PlanSeriesLengths, EdgeCases) {
    EXPECT_TRUE(plan_series_lengths(options(0, 100)).empty());
    EXPECT_EQ(plan_series_lengths(options(3, 0)), (std::vector<std::uint64_t>{0, 0, 0}));
    EXPECT_EQ(plan_series_lengths(options(5, 1)), (std::vector<std::uint64_t>{1, 1, 1, 1, 1}));
    EXPECT_THROW(plan_series_lengths(options(std::uint64_t{1} << 40, std::uint64_t{1} << 30)), std::invalid_argument);
}

TEST(PlanSeriesLengths, HugeTotalStillExact) {
    // Beyond 2^53 points the shares are rounded doubles; the plan must still be exact.
    const std::uint64_t mean = (std::uint64_t{1} << 60) / 1000 + 12345;
    const auto len = plan_series_lengths(options(1000, mean));
    EXPECT_EQ(sum(len), 1000 * mean);
    EXPECT_GE(*std::min_element(len.begin(), len.end()), 1U);
}

TEST(PlanSeriesLengths, SkewedAndSeedDependent) {
    auto len = plan_series_lengths(options(1000, 1000));
    EXPECT_EQ(len, plan_series_lengths(options(1000, 1000)));
    EXPECT_NE(len, plan_series_lengths(options(1000, 1000, 2)));
    std::sort(len.begin(), len.end());
    const auto median = len[len.size() / 2];
    EXPECT_GT(len.back(), 10 * median);  // a few very long series
    EXPECT_LT(median, 1000U);            // many short ones
    EXPECT_LT(len.back(), 1000U * 1000 / 4);  // but no single series dominates
}

TEST(GeneratedMeta, IdsUniqueAndCanonical) {
    const auto opt = options(10000, 1);
    std::set<std::string> ids;
    std::set<std::string> metrics;
    for (std::uint64_t i = 0; i < opt.series; ++i) {
        const auto m = generated_meta(opt, i);
        EXPECT_EQ(m.source_index, i);
        EXPECT_EQ(m.id, m.metric + "{" + m.tags + "}");
        ASSERT_EQ(m.tags.rfind("region=", 0), 0U) << m.tags;
        const auto comma = m.tags.find(",site=");
        ASSERT_NE(comma, std::string::npos) << m.tags;
        EXPECT_EQ(m.tags.find(',', comma + 1), std::string::npos);
        ids.insert(m.id);
        metrics.insert(m.metric);
    }
    EXPECT_EQ(ids.size(), opt.series);
    EXPECT_GE(metrics.size(), 8U);
    EXPECT_TRUE(metrics.count("gw.level") && metrics.count("water.ph") && metrics.count("water.conductivity") &&
                metrics.count("seismic.velocity") && metrics.count("plant.pressure"));
    const auto m42 = generated_meta(opt, 42);
    EXPECT_EQ(m42.id, generated_meta(opt, 42).id);
}

TEST(GeneratedMeta, RegionBelongsToTheSite) {
    const auto opt = options(1000, 1);
    // Series of the same site (same number) share the region.
    const auto region_of = [](const series_meta& m) { return m.tags.substr(0, m.tags.find(',')); };
    const auto site_no = [](const series_meta& m) { return m.tags.substr(m.tags.size() - 5); };
    for (std::uint64_t i = 0; i + 1 < 200; ++i) {
        const auto a = generated_meta(opt, i), b = generated_meta(opt, i + 1);
        if (site_no(a) == site_no(b)) {
            EXPECT_EQ(region_of(a), region_of(b));
        }
    }
}

TEST(GenerateSeries, Deterministic) {
    const auto opt = options(60, 500, 7);
    const auto a = generate_all(opt);
    const auto b = generate_all(opt);
    EXPECT_TRUE(same_bytes(a.time, b.time));
    EXPECT_TRUE(same_bytes(a.value, b.value));
    EXPECT_EQ(a.offset, b.offset);
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a.meta[i].id, b.meta[i].id);

    auto other = opt;
    other.seed = 8;
    const auto c = generate_all(other);
    EXPECT_FALSE(same_bytes(a.value, c.value));
}

TEST(GenerateSeries, SeriesAloneEqualsSeriesAmongOthers) {
    const auto opt = options(40, 300, 3);
    const auto lengths = plan_series_lengths(opt);
    const auto all = generate_all(opt);
    // In reverse order and one by one, as different ranks would.
    for (std::uint64_t k = lengths.size(); k-- > 0;) {
        series_batch alone;
        generate_series(opt, k, lengths[k], alone);
        ASSERT_EQ(alone.size(), 1U);
        EXPECT_EQ(alone.meta[0].id, all.meta[k].id);
        EXPECT_EQ(alone.meta[0].source_index, k);
        EXPECT_TRUE(same_series(alone.series(0), all.series(k))) << "series " << k;
    }
}

TEST(GenerateSeries, StrictlyIncreasingTimestampsAfterStart) {
    // Also before 1970, where the clock-grid alignment meets negative division.
    for (const std::int64_t start : {std::int64_t{1420070400000}, std::int64_t{-1000000000123}}) {
        auto opt = options(240, 800, 11);
        opt.start_ms = start;
        check_timestamps(opt);
    }
}

TEST(GenerateSeries, StartsOnTheSamplingGrid) {
    // Loggers sample at :00, :15, ...: the first point is within the jitter of a whole
    // multiple of the series' period (the smallest step, give or take jitter).
    const auto opt = options(120, 200, 17);
    const auto b = generate_all(opt);
    for (std::size_t i = 0; i < b.size(); ++i) {
        const auto s = b.series(i);
        std::int64_t step = std::numeric_limits<std::int64_t>::max();
        for (std::size_t k = 1; k < s.size(); ++k) step = std::min(step, s.time[k] - s.time[k - 1]);
        if (step < 1000) continue;  // seismic: period too close to the jitter to tell
        for (const std::int64_t period : {ms_per_second, 10 * ms_per_second, ms_per_minute, 15 * ms_per_minute, ms_per_hour}) {
            if (std::abs(step - period) > 6) continue;
            const std::int64_t off = s.time[0] - floor_div(s.time[0] + period / 2, period) * period;
            EXPECT_LE(std::abs(off), 3) << b.meta[i].id;
        }
    }
}

TEST(GenerateSeries, ZeroMeanPointsGivesEmptySeries) {
    const auto opt = options(5, 0);
    const auto b = generate_all(opt);
    EXPECT_EQ(b.size(), 5U);
    EXPECT_EQ(b.point_count(), 0U);
    EXPECT_EQ(b.offset, (std::vector<std::uint64_t>{0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(b.meta[4].source_index, 4U);
}

TEST(GenerateSeries, LooksLikeSensorData) {
    const auto opt = options(240, 2000, 5);
    const auto b = generate_all(opt);

    std::uint64_t nans = 0, gaps = 0, series_with_gaps = 0;
    std::vector<std::size_t> lengths;
    for (std::size_t i = 0; i < b.size(); ++i) {
        const auto s = b.series(i);
        lengths.push_back(s.size());
        for (const double v : s.value) nans += std::isnan(v) ? 1 : 0;
        if (s.size() < 3) continue;
        // The typical step is the sampling period; an outage is far longer.
        std::vector<std::int64_t> dt;
        for (std::size_t k = 1; k < s.size(); ++k) dt.push_back(s.time[k] - s.time[k - 1]);
        std::nth_element(dt.begin(), dt.begin() + static_cast<std::ptrdiff_t>(dt.size() / 2), dt.end());
        const std::int64_t period = dt[dt.size() / 2];
        std::uint64_t g = 0;
        for (std::size_t k = 1; k < s.size(); ++k) g += s.time[k] - s.time[k - 1] > 4 * period ? 1 : 0;
        gaps += g;
        series_with_gaps += g > 0 ? 1 : 0;
    }
    const auto total = b.point_count();
    EXPECT_GT(nans, 0U);
    EXPECT_LT(nans, total / 20);  // missing values are occasional
    EXPECT_GT(gaps, 10U);
    EXPECT_GT(series_with_gaps, 5U);

    std::sort(lengths.begin(), lengths.end());
    EXPECT_GT(lengths.back(), 10 * lengths[lengths.size() / 2]);
}

TEST(GenerateSeries, PlausibleMagnitudesPerMetric) {
    const auto opt = options(120, 3000, 9);
    const auto b = generate_all(opt);
    for (std::size_t i = 0; i < b.size(); ++i) {
        std::vector<double> v;
        for (const double x : b.series(i).value)
            if (!std::isnan(x)) v.push_back(x);
        if (v.size() < 10) continue;
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
        const double median = v[v.size() / 2];
        const auto& metric = b.meta[i].metric;
        if (metric == "water.ph") {
            EXPECT_GT(median, 6.0) << b.meta[i].id;
            EXPECT_LT(median, 9.0) << b.meta[i].id;
            for (const double x : v) ASSERT_TRUE(x >= 0 && x <= 14) << x;
        } else if (metric == "water.conductivity") {
            EXPECT_GT(median, 50.0);
            EXPECT_LT(median, 3000.0);
            for (const double x : v) ASSERT_GE(x, 0.0);
        } else if (metric == "gw.level") {
            EXPECT_GT(median, 1.0);
            EXPECT_LT(median, 100.0);
        } else if (metric == "seismic.velocity") {
            EXPECT_LT(std::abs(median), 5.0);
        }
    }
}

TEST(GenerateSeries, HasOutliers) {
    // Spikes stand far outside the noise: look for jumps of many times the typical step.
    const auto opt = options(36, 5000, 13);
    const auto b = generate_all(opt);
    std::uint64_t spikes = 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
        const auto s = b.series(i);
        std::vector<double> d;
        for (std::size_t k = 1; k < s.size(); ++k)
            if (!std::isnan(s.value[k]) && !std::isnan(s.value[k - 1])) d.push_back(std::abs(s.value[k] - s.value[k - 1]));
        if (d.size() < 100) continue;
        auto sorted = d;
        std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
        const double typical = std::max(sorted[sorted.size() / 2], 1e-3);
        for (const double x : d) spikes += x > 30 * typical ? 1 : 0;
    }
    EXPECT_GT(spikes, 0U);
}

}  // namespace
}  // namespace tsbatch
