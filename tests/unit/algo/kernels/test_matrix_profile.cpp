// matrix_profile kernel: every case of the numpy brute force
// (tests/fixtures/make_matrix_profile_fixtures.py: random walks, noisy sine, a NaN run and an
// inf, flat stretches, a 1e9 offset, m from 4 to 500, n < 2m, n = m, AB-joins) for several
// tile sides, the same bits for every tile order and vector width, the tile grid, and the
// top-k rules.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "algo/kernels/matrix_profile.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

constexpr double inf_v = std::numeric_limits<double>::infinity();
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

struct mp_case {
    std::string name;
    bool self_join = true;
    bool normalize = true;
    std::size_t window = 0, exclusion = 0, top_k = 0;
    std::vector<double> a, b, distance;
    std::vector<std::int64_t> index;
    std::map<std::int64_t, std::vector<std::int64_t>> near;
    std::vector<mp_event> motifs, discords;
};

std::vector<mp_event> events(const YAML::Node& n) {
    std::vector<mp_event> out;
    for (const auto& e : n) out.push_back({e[0].as<std::uint64_t>(), e[1].as<std::int64_t>(), e[2].as<double>()});
    return out;
}

const std::vector<mp_case>& cases() {
    static const std::vector<mp_case> all = [] {
        std::vector<mp_case> v;
        const YAML::Node root = YAML::LoadFile(test::fixtures_dir().string() + "/dataset/matrix_profile.yaml");
        for (const auto& c : root["cases"]) {
            mp_case k;
            k.name = c["name"].as<std::string>();
            k.self_join = c["join"].as<std::string>() == "self";
            k.normalize = c["normalize"].as<bool>();
            k.window = c["window"].as<std::size_t>();
            k.exclusion = c["exclusion"].as<std::size_t>();
            k.top_k = c["top_k"].as<std::size_t>();
            k.a = test::fixture_doubles(c["values"]);
            if (c["values_b"]) k.b = test::fixture_doubles(c["values_b"]);
            k.distance = test::fixture_doubles(c["distance"]);
            k.index = test::fixture_ints(c["index"]);
            for (const auto& e : c["near"]) k.near[e.first.as<std::int64_t>()] = test::fixture_ints(e.second);
            k.motifs = events(c["motifs"]);
            k.discords = events(c["discords"]);
            v.push_back(std::move(k));
        }
        return v;
    }();
    return all;
}

struct profile {
    std::vector<double> distance;
    std::vector<std::int64_t> index;
    std::vector<double> score;  ///< the tile loop's correlation for the chosen neighbour
};

// The statistics of a case's series A and B (B relative to A's shift, as plain distances
// between two series need).
std::pair<window_stats, window_stats> stats_of(const mp_case& c) {
    window_stats a = compute_window_stats(c.a, c.window, c.normalize);
    window_stats b = c.self_join ? window_stats{} : compute_window_stats(c.b, c.window, c.normalize, a.shift);
    return {std::move(a), std::move(b)};
}

profile run_case(const mp_case& c, std::uint64_t side) {
    const auto [a, b] = stats_of(c);
    const window_stats& bb = c.self_join ? a : b;
    const profile_part p = c.self_join ? self_join_candidates(a, c.exclusion, side) : ab_join_candidates(a, b, side);
    profile out;
    out.distance.resize(a.windows());
    out.index.resize(a.windows());
    finish_profile(a, bb, p, out.distance, out.index);
    out.score = p.score;
    return out;
}

// Relative 1e-9 of the distance, with a floor of 1e-9 * sqrt(m) (the distance scale) for
// near-identical windows, whose distance is rounding noise in both implementations.
double tolerance(double expected, std::size_t m) {
    return 1e-9 * std::max(std::abs(expected), std::sqrt(static_cast<double>(m)));
}

void expect_matches(const mp_case& c, const profile& got) {
    ASSERT_EQ(got.distance.size(), c.distance.size());
    std::size_t near_picks = 0;
    for (std::size_t i = 0; i < c.distance.size(); ++i) {
        SCOPED_TRACE(c.name + " window " + std::to_string(i));
        if (std::isinf(c.distance[i])) {
            EXPECT_TRUE(std::isinf(got.distance[i]) && got.distance[i] > 0) << got.distance[i];
            EXPECT_EQ(got.index[i], -1);
            continue;
        }
        EXPECT_NEAR(got.distance[i], c.distance[i], tolerance(c.distance[i], c.window));
        // The recurrence itself (not only the exact recomputation) must be accurate: its
        // correlation is 1 - d^2 / (2 m) of the reference distance to ~1e-9; a plain score
        // is -d^2 / 2, to 1e-9 of the windows' squared size.
        const double d2 = c.distance[i] * c.distance[i];
        if (c.normalize)
            EXPECT_NEAR(got.score[i], 1.0 - d2 / (2.0 * static_cast<double>(c.window)), 1e-9);
        else
            EXPECT_NEAR(got.score[i], -d2 / 2.0, 1e-9 * std::max(d2, static_cast<double>(c.window)));
        if (got.index[i] != c.index[i]) {
            const auto n = c.near.find(static_cast<std::int64_t>(i));
            ASSERT_TRUE(n != c.near.end()) << "index " << got.index[i] << ", expected " << c.index[i];
            EXPECT_TRUE(std::find(n->second.begin(), n->second.end(), got.index[i]) != n->second.end())
                << "index " << got.index[i] << " is not among the near-tied ones";
            ++near_picks;
        }
    }
    EXPECT_LE(near_picks, c.near.size());
}

TEST(MatrixProfileKernel, MatchesBruteForceForEveryCaseAndTileSide) {
    ASSERT_GE(cases().size(), 14u);
    for (const auto& c : cases())
        for (std::uint64_t side : {4096u, 257u, 64u, 7u}) {
            SCOPED_TRACE("tile side " + std::to_string(side));
            expect_matches(c, run_case(c, side));
        }
}

TEST(MatrixProfileKernel, TopMotifsAndDiscordsFollowTheReference) {
    for (const auto& c : cases()) {
        SCOPED_TRACE(c.name);
        const profile p = run_case(c, 4096);
        const auto motifs = top_motifs(p.distance, p.index, c.exclusion, c.top_k, c.self_join);
        const auto discords = top_discords(p.distance, p.index, c.exclusion, c.top_k);
        ASSERT_EQ(motifs.size(), c.motifs.size());
        for (std::size_t k = 0; k < motifs.size(); ++k) {
            EXPECT_EQ(motifs[k].start, c.motifs[k].start) << "motif " << k;
            EXPECT_EQ(motifs[k].neighbor, c.motifs[k].neighbor) << "motif " << k;
            EXPECT_NEAR(motifs[k].distance, c.motifs[k].distance, tolerance(c.motifs[k].distance, c.window));
        }
        ASSERT_EQ(discords.size(), c.discords.size());
        for (std::size_t k = 0; k < discords.size(); ++k) {
            EXPECT_EQ(discords[k].start, c.discords[k].start) << "discord " << k;
            EXPECT_EQ(discords[k].neighbor, c.discords[k].neighbor) << "discord " << k;
            EXPECT_NEAR(discords[k].distance, c.discords[k].distance, tolerance(c.discords[k].distance, c.window));
        }
    }
}

bool same_bits(const profile_part& x, const profile_part& y) {
    if (x.size() != y.size() || x.first != y.first) return false;
    for (std::size_t k = 0; k < x.size(); ++k)
        if (std::bit_cast<std::uint64_t>(x.score[k]) != std::bit_cast<std::uint64_t>(y.score[k]) ||
            x.index[k] != y.index[k])
            return false;
    return true;
}

TEST(MatrixProfileKernel, MergeOrderDoesNotChangeABit) {
    const auto& c = cases().front();
    const window_stats s = compute_window_stats(c.a, c.window);
    const auto tiles = self_join_tiles(s.windows(), c.exclusion, 300);
    ASSERT_GT(tiles.size(), 100u);
    std::vector<profile_part> parts;
    for (const auto& t : tiles) {
        profile_part rows, cols;
        compute_tile(s, s, t, rows, &cols);
        parts.push_back(std::move(rows));
        parts.push_back(std::move(cols));
    }
    profile_part forward(0, s.windows()), shuffled(0, s.windows());
    for (const auto& p : parts) forward.merge(p);
    std::mt19937 rng(7);
    std::shuffle(parts.begin(), parts.end(), rng);
    for (const auto& p : parts) shuffled.merge(p);
    EXPECT_TRUE(same_bits(forward, shuffled));
}

// Every cell's score depends on the tile grid alone: a tile computed on its own (as another
// rank would) gives the same bits as the same tile inside a whole-series pass.
TEST(MatrixProfileKernel, TileResultsDoNotDependOnWhatElseRuns) {
    const auto& c = cases().front();
    const window_stats s = compute_window_stats(c.a, c.window);
    const auto tiles = self_join_tiles(s.windows(), c.exclusion, 1000);
    profile_part r1, c1, r2, c2;
    compute_tile(s, s, tiles[3], r1, &c1);
    compute_tile(s, s, tiles[0], r2, &c2);
    compute_tile(s, s, tiles[3], r2, &c2);
    EXPECT_TRUE(same_bits(r1, r2));
    EXPECT_TRUE(same_bits(c1, c2));
}

TEST(MatrixProfileKernel, EveryVectorWidthGivesTheSameBits) {
    for (const auto& c : cases()) {
        SCOPED_TRACE(c.name);
        const auto [a, b] = stats_of(c);
        const window_stats& bb = c.self_join ? a : b;
        const auto tiles = c.self_join ? self_join_tiles(a.windows(), c.exclusion, 333)
                                       : ab_join_tiles(a.windows(), bb.windows(), 333);
        for (const auto& t : tiles) {
            profile_part r2, c2;
            compute_tile_at_width(1, a, bb, t, r2, c.self_join ? &c2 : nullptr);
            for (int w : tile_loop_widths()) {
                profile_part rw, cw;
                compute_tile_at_width(w, a, bb, t, rw, c.self_join ? &cw : nullptr);
                EXPECT_TRUE(same_bits(r2, rw)) << "width " << w;
                if (c.self_join) {
                    EXPECT_TRUE(same_bits(c2, cw)) << "width " << w;
                }
            }
        }
    }
}

TEST(MatrixProfileKernel, SelfJoinTilesCoverEveryCellOnce) {
    for (std::uint64_t w : {1u, 2u, 10u, 100u, 1001u})
        for (std::uint64_t e : {0u, 1u, 25u})
            for (std::uint64_t side : {1u, 7u, 64u, 5000u}) {
                std::uint64_t cells = 0;
                for (const auto& t : self_join_tiles(w, e, side)) {
                    EXPECT_GT(tile_cells(t), 0u);
                    cells += tile_cells(t);
                }
                const std::uint64_t d = w > e + 1 ? w - e - 1 : 0;  // cells with j - i > e
                EXPECT_EQ(cells, d * (d + 1) / 2) << w << " " << e << " " << side;
            }
    std::uint64_t cells = 0;
    for (const auto& t : ab_join_tiles(100, 37, 16)) cells += tile_cells(t);
    EXPECT_EQ(cells, 100u * 37u);
}

TEST(MatrixProfileKernel, SpecialWindows) {
    // Two constant runs, a NaN and ordinary values: constants pair with constants at 0,
    // others see them at sqrt(m); NaN windows are inf / -1 and nobody's neighbour.
    std::vector<double> v = {5, 5, 5, 5, 1, 2, 0, 3, 5, 5, 5, 5, 2, nan_v, 1, 4, 2, 8, 1};
    const std::size_t m = 3;
    const window_stats s = compute_window_stats(v, m);
    ASSERT_EQ(s.windows(), v.size() - m + 1);
    EXPECT_EQ(s.kind[0], static_cast<std::uint8_t>(window_kind::constant));
    EXPECT_EQ(s.kind[11], static_cast<std::uint8_t>(window_kind::excluded));
    EXPECT_EQ(s.kind[13], static_cast<std::uint8_t>(window_kind::excluded));
    profile_part p = self_join_candidates(s, 1, 4);
    std::vector<double> d(s.windows());
    std::vector<std::int64_t> idx(s.windows());
    finish_profile(s, s, p, d, idx);
    EXPECT_EQ(d[0], 0.0);
    EXPECT_EQ(idx[0], 8);  // the first constant window outside |i - j| <= 1
    EXPECT_EQ(d[1], 0.0);
    EXPECT_EQ(idx[1], 8);
    EXPECT_EQ(idx[8], 0);
    EXPECT_EQ(idx[9], 0);
    for (std::size_t i : {11u, 12u, 13u}) {
        EXPECT_TRUE(std::isinf(d[i]));
        EXPECT_EQ(idx[i], -1);
    }
    for (std::size_t i = 0; i < idx.size(); ++i)
        if (idx[i] >= 0) {
            EXPECT_NE(s.kind[static_cast<std::size_t>(idx[i])], 2) << i;
        }
}

TEST(MatrixProfileKernel, AllNonFiniteOrTooShort) {
    std::vector<double> v(10, nan_v);
    const window_stats s = compute_window_stats(v, 4);
    profile_part p = self_join_candidates(s, 1, 64);
    std::vector<double> d(s.windows());
    std::vector<std::int64_t> idx(s.windows());
    finish_profile(s, s, p, d, idx);
    for (std::size_t i = 0; i < d.size(); ++i) {
        EXPECT_EQ(d[i], inf_v);
        EXPECT_EQ(idx[i], -1);
    }
    EXPECT_EQ(compute_window_stats(v, 11).windows(), 0u);
}

}  // namespace
}  // namespace tsbatch
