#pragma once
// A run report with every kind of picture, from synthetic data with known structure: a
// correlation matrix of three blocks of series given in shuffled order (the heatmap's
// clustering must bring each block together), PCA shares, k-means sizes and centroids,
// pattern matches, a motif group, and a sample series with a planted motif pair and a
// discord under its matrix profile. Used by the unit tests and by synthetic_report.cpp,
// whose page tests/report/synthetic_report.sh checks in headless chromium.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "report/run_report.hpp"

namespace tsbatch::testing {

inline constexpr std::int64_t synthetic_t0 = 1420070400000;  // 2015-01-01T00:00:00Z
inline constexpr std::int64_t synthetic_period = 60'000;     // one point a minute

/// Block of series k of the correlation: series k belongs to block k * 7 % 3 (shuffled).
inline std::size_t synthetic_block(std::size_t k) {
    return k * 7 % 3;
}

/// The N x N correlation: 0.9 within a block (1 on the diagonal), -0.3 between blocks 0 and
/// 1, 0.1 otherwise, NaN for series `nan_series` (when < N) with every other.
inline double synthetic_r(std::size_t i, std::size_t j, std::size_t nan_series = ~std::size_t{0}) {
    if (i == j) return 1;
    if (i == nan_series || j == nan_series) return std::nan("");
    const auto a = synthetic_block(i), b = synthetic_block(j);
    if (a == b) return 0.9;
    if (a + b == 1) return -0.3;
    return 0.1;
}

inline report_heatmap synthetic_heatmap(std::size_t n, std::size_t max_cells = report_heatmap_max_cells) {
    heatmap_reducer red(n, max_cells);
    std::vector<double> row(n);
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) row[j] = synthetic_r(i, j, 5);
        red.add_rows(i, 1, row);
        ids.push_back("gw.level{block=" + std::to_string(synthetic_block(i)) + ",site=BH" + std::to_string(i) + "}");
    }
    return red.result("corr", "r", ids);
}

/// A series of n points a minute apart: a slow wave with noise-like wiggles, the shape
/// `motif(x)` planted at points [a, a + m) and [b, b + m), and a spike train at [d, d + m).
struct planted_series {
    std::vector<std::int64_t> time;
    std::vector<double> value;
    std::size_t a, b, d, m;
};

inline double motif_shape(double x) {
    return 3 * std::sin(6.283185307179586 * x) * std::exp(-2 * x);
}

inline planted_series synthetic_planted(std::size_t n = 2000, std::size_t m = 50) {
    planted_series s{{}, {}, 300, 1400, 900, m};
    for (std::size_t i = 0; i < n; ++i) {
        const double x = static_cast<double>(i);
        s.time.push_back(synthetic_t0 + static_cast<std::int64_t>(i) * synthetic_period);
        s.value.push_back(std::sin(x / 97.0) + 0.3 * std::sin(x * 1.7) * std::cos(x * 0.31));
    }
    for (std::size_t k = 0; k < m; ++k) {
        const double x = static_cast<double>(k) / static_cast<double>(m);
        s.value[s.a + k] = motif_shape(x);
        s.value[s.b + k] = motif_shape(x) + 0.01;
        s.value[s.d + k] = k % 5 == 0 ? 4.0 : -1.0;
    }
    s.value[1700] = std::nan("");  // a missing value: its windows are excluded in the profile
    return s;
}

/// A stand-in for the matrix profile of `s` (a real one is matrix_profile's job): small at
/// the planted pair, large at the discord, excluded (inf/NaN) around the missing value.
inline report_matrix_profile synthetic_profile(const planted_series& s, const std::string& input) {
    report_matrix_profile p;
    p.step = "mp";
    p.input = input;
    p.window = s.m;
    const std::size_t windows = s.time.size() - s.m + 1;
    for (std::size_t i = 0; i < windows; ++i) {
        p.time.push_back(s.time[i]);
        double d = 4 + std::sin(static_cast<double>(i) / 40.0);
        const auto near = [&](std::size_t c) { return i + 10 > c && i < c + 10; };
        if (near(s.a) || near(s.b))
            d = 0.2 + 0.05 * std::fabs(static_cast<double>(i) - static_cast<double>(near(s.a) ? s.a : s.b));
        if (near(s.d)) d = 9;
        if (i + s.m > 1700 && i <= 1700) d = i % 2 ? std::numeric_limits<double>::infinity() : std::nan("");
        p.distance.push_back(d);
    }
    p.motif_a_time = s.time[s.a];
    p.motif_b_time = s.time[s.b];
    p.discord_time = s.time[s.d];
    return p;
}

inline report_window synthetic_window(const std::string& id, std::int64_t rank, double distance, std::size_t m,
                                      double phase) {
    report_window w;
    w.id = id;
    w.rank = rank;
    w.distance = distance;
    w.start_time = synthetic_t0 + rank * 3'600'000;
    w.end_time = w.start_time + static_cast<std::int64_t>(m - 1) * synthetic_period;
    for (std::size_t k = 0; k < m; ++k)
        w.values.push_back(10 * rank + 2 * motif_shape(static_cast<double>(k) / static_cast<double>(m) + phase));
    return w;
}

/// The dataset-wide results of a run of `n` series.
inline report_dataset_results synthetic_dataset(std::size_t n = 30) {
    report_dataset_results r;
    r.correlations.push_back(synthetic_heatmap(n));
    r.pcas.push_back({"pca", {0.52, 0.21, 0.12, 0.07, 0.04, 0.02}, {0.52, 0.73, 0.85, 0.92, 0.96, 0.98}});
    report_kmeans k;
    k.step = "km";
    k.feature_axis = "segment";
    k.sizes = {14, 9, 7};
    for (std::size_t c = 0; c < 3; ++c) {
        std::vector<double> v;
        for (std::size_t i = 0; i < 24; ++i) v.push_back(std::sin(static_cast<double>(i * (c + 1)) / 6.0) * (c + 1.0));
        k.centroids.push_back(v);
    }
    r.kmeans.push_back(k);
    report_pattern_search p;
    p.step = "match";
    for (std::size_t i = 0; i < 40; ++i) p.pattern.push_back(motif_shape(static_cast<double>(i) / 40.0));
    for (int k2 = 1; k2 <= 5; ++k2)
        p.matches.push_back(synthetic_window("ph{site=W" + std::to_string(k2) + "}", k2, 0.1 * k2, 40, 0.01 * k2));
    p.matches.push_back({"ph{site=W9}", 6, 0.9, synthetic_t0, synthetic_t0 + 60'000, {}});  // values not available
    r.patterns.push_back(p);
    report_motif_group g;
    g.step = "mot";
    g.series_count = 4;
    g.windows.push_back(synthetic_window("cond{site=C1}", 0, 0, 30, 0));
    for (int k2 = 1; k2 <= 3; ++k2)
        g.windows.push_back(
            synthetic_window("cond{site=C" + std::to_string(k2 + 1) + "}", k2, 0.05 * k2, 30, 0.02 * k2));
    r.motifs.push_back(g);
    r.notes.push_back("stand-in: a note about what could not be drawn");
    return r;
}

/// A sample with a planted series as its source and its matrix profile.
inline report_sample synthetic_profile_sample() {
    const planted_series s = synthetic_planted();
    report_sample sample;
    sample.id = "seismic{station=ST1}";
    sample.traces.push_back({"source", s.time, s.value});
    sample.profiles.push_back(synthetic_profile(s, "source"));
    return sample;
}

}  // namespace tsbatch::testing
