// motifs: the method against an independent numpy re-implementation and a brute
// force over every window pair (tests/fixtures/make_motif_fixtures.py: planted
// signature in 5 of 14 series), identical results on 1..8 simulated ranks and
// any number of exchange rounds, hand-worked building blocks (z-normalisation,
// distance, PAA, words and probes, conflicts, selection, bucket pieces), NaN
// and flat windows, and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "algo/dataset/motifs.hpp"
#include "algo/params.hpp"
#include "core/error.hpp"
#include "fixture_io.hpp"
#include "parallel/agreement.hpp"
#include "simulated_comm.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

struct owned {
  std::vector<std::int64_t> time;
  std::vector<double> value;
  series_view view() const { return {time, value}; }
};

owned regular(std::vector<double> v, std::int64_t t0 = 0,
              std::int64_t step = 1000) {
  owned s;
  for (std::size_t i = 0; i < v.size(); ++i)
    s.time.push_back(t0 + static_cast<std::int64_t>(i) * step);
  s.value = std::move(v);
  return s;
}

std::vector<series_view> views(const std::vector<owned> &s) {
  std::vector<series_view> v;
  for (const auto &x : s)
    v.push_back(x.view());
  return v;
}

motif_params params_for(std::size_t window) {
  motif_params p;
  p.window = window;
  return p;
}

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

void expect_same(const std::vector<motif_group> &a,
                 const std::vector<motif_group> &b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t g = 0; g < a.size(); ++g) {
    SCOPED_TRACE("group " + std::to_string(g));
    EXPECT_EQ(a[g].centre.series_row, b[g].centre.series_row);
    EXPECT_EQ(a[g].centre.start, b[g].centre.start);
    EXPECT_EQ(a[g].centre.start_time, b[g].centre.start_time);
    EXPECT_EQ(a[g].centre.end_time, b[g].centre.end_time);
    EXPECT_TRUE(same_bits(a[g].mean_distance, b[g].mean_distance));
    ASSERT_EQ(a[g].members.size(), b[g].members.size());
    for (std::size_t m = 0; m < a[g].members.size(); ++m) {
      EXPECT_EQ(a[g].members[m].series_row, b[g].members[m].series_row);
      EXPECT_EQ(a[g].members[m].start, b[g].members[m].start);
      EXPECT_EQ(a[g].members[m].start_time, b[g].members[m].start_time);
      EXPECT_EQ(a[g].members[m].end_time, b[g].members[m].end_time);
      EXPECT_TRUE(
          same_bits(a[g].members[m].distance, b[g].members[m].distance));
    }
  }
}

void expect_same_stats(const motif_stats &a, const motif_stats &b) {
  EXPECT_EQ(a.windows, b.windows);
  EXPECT_EQ(a.skipped_nan, b.skipped_nan);
  EXPECT_EQ(a.skipped_flat, b.skipped_flat);
  EXPECT_EQ(a.entries, b.entries);
  EXPECT_EQ(a.buckets, b.buckets);
  EXPECT_EQ(a.split_buckets, b.split_buckets);
  EXPECT_EQ(a.largest_bucket, b.largest_bucket);
  EXPECT_EQ(a.candidates, b.candidates);
}

// The z-normalised window as plainly as possible (no scaling, numpy's
// formulas).
std::vector<double> plain_z(std::span<const double> x) {
  double mean = 0.0;
  for (double v : x)
    mean += v;
  mean /= static_cast<double>(x.size());
  double ss = 0.0;
  for (double v : x)
    ss += (v - mean) * (v - mean);
  const double sd = std::sqrt(ss / static_cast<double>(x.size()));
  std::vector<double> z;
  for (double v : x)
    z.push_back((v - mean) / sd);
  return z;
}

double plain_distance(std::span<const double> x, std::span<const double> y) {
  const auto a = plain_z(x), b = plain_z(y);
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i)
    s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

// Properties every answer has: sorted, non-conflicting, at most top_k, members
// in other series (one each, by row), distances true and within the radius.
void expect_valid(const motif_result &r, const std::vector<owned> &series,
                  std::uint64_t first_row, const motif_params &p) {
  EXPECT_LE(r.groups.size(), p.top_k);
  const double threshold = motif_threshold(p);
  for (std::size_t g = 0; g < r.groups.size(); ++g) {
    const auto &grp = r.groups[g];
    if (g > 0) {
      EXPECT_TRUE(motif_group_before(r.groups[g - 1], grp));
    }
    ASSERT_GE(grp.members.size(), 1u);
    const auto &cs = series[grp.centre.series_row - first_row];
    const auto cw =
        std::span<const double>(cs.value).subspan(grp.centre.start, p.window);
    EXPECT_EQ(grp.centre.start % p.step, 0u);
    EXPECT_EQ(grp.centre.start_time, cs.time[grp.centre.start]);
    EXPECT_EQ(grp.centre.end_time, cs.time[grp.centre.start + p.window - 1]);
    double total = 0.0;
    for (std::size_t m = 0; m < grp.members.size(); ++m) {
      const auto &mem = grp.members[m];
      EXPECT_NE(mem.series_row, grp.centre.series_row);
      if (m > 0) {
        EXPECT_LT(grp.members[m - 1].series_row, mem.series_row);
      }
      const auto &ms = series[mem.series_row - first_row];
      EXPECT_EQ(mem.start_time, ms.time[mem.start]);
      EXPECT_EQ(mem.end_time, ms.time[mem.start + p.window - 1]);
      const auto mw =
          std::span<const double>(ms.value).subspan(mem.start, p.window);
      EXPECT_NEAR(mem.distance, plain_distance(cw, mw), 1e-9);
      EXPECT_LE(mem.distance, threshold);
      total += mem.distance;
    }
    EXPECT_TRUE(same_bits(grp.mean_distance,
                          total / static_cast<double>(grp.members.size())));
    for (std::size_t h = 0; h < g; ++h) {
      auto windows_of = [](const motif_group &x) {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> v{
            {x.centre.series_row, x.centre.start}};
        for (const auto &m : x.members)
          v.push_back({m.series_row, m.start});
        return v;
      };
      for (const auto &a : windows_of(grp))
        for (const auto &b : windows_of(r.groups[h]))
          EXPECT_FALSE(motif_windows_conflict(a.first, a.second, b.first,
                                              b.second, p.window));
    }
  }
}

// ---- The fixture
// ----------------------------------------------------------------------

struct motif_fixture {
  std::vector<owned> series;
  YAML::Node root;
};

const motif_fixture &fixture() {
  static const motif_fixture f = [] {
    motif_fixture out;
    out.root = test::load_dataset_fixture("motifs");
    const auto map = test::fixture_series_map(
        out.root["series"]); // r00, r01, ... sort as rows
    for (const auto &[name, s] : map)
      out.series.push_back(owned{s.time, s.value});
    return out;
  }();
  return f;
}

motif_params fixture_params(const YAML::Node &n) {
  motif_params p;
  p.window = n["window"].as<std::size_t>();
  p.top_k = n["top_k"].as<std::size_t>();
  p.radius = n["radius"].as<double>();
  p.step = n["step"].as<std::size_t>();
  p.segments = n["segments"].as<std::size_t>();
  p.alphabet = n["alphabet"].as<std::size_t>();
  p.probes = n["probes"].as<std::size_t>();
  p.max_bucket = n["max_bucket"].as<std::size_t>();
  return p;
}

void expect_fixture_groups(const YAML::Node &want,
                           const std::vector<motif_group> &got) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t g = 0; g < got.size(); ++g) {
    SCOPED_TRACE("group " + std::to_string(g));
    const auto &w = want[g];
    EXPECT_EQ(got[g].centre.series_row, w["row"].as<std::uint64_t>());
    EXPECT_EQ(got[g].centre.start, w["start"].as<std::uint64_t>());
    EXPECT_EQ(got[g].centre.start_time, w["start_time"].as<std::int64_t>());
    EXPECT_EQ(got[g].centre.end_time, w["end_time"].as<std::int64_t>());
    EXPECT_NEAR(got[g].mean_distance, w["mean"].as<double>(), 1e-9);
    ASSERT_EQ(got[g].members.size(), w["members"].size());
    for (std::size_t m = 0; m < got[g].members.size(); ++m) {
      const auto &wm = w["members"][m];
      EXPECT_EQ(got[g].members[m].series_row, wm[0].as<std::uint64_t>());
      EXPECT_EQ(got[g].members[m].start, wm[1].as<std::uint64_t>());
      EXPECT_EQ(got[g].members[m].start_time, wm[2].as<std::int64_t>());
      EXPECT_EQ(got[g].members[m].end_time, wm[3].as<std::int64_t>());
      EXPECT_NEAR(got[g].members[m].distance, wm[4].as<double>(), 1e-9);
    }
  }
}

TEST(Motifs, FixtureMatchesNumpyReference) {
  const auto &f = fixture();
  const auto v = views(f.series);
  std::size_t cases = 0;
  for (const auto &c : f.root["cases"]) {
    SCOPED_TRACE("case " + c["name"].as<std::string>());
    const motif_params p = fixture_params(c["params"]);
    const comm local;
    const motif_result r = find_motifs(local, v, 0, p);
    expect_fixture_groups(c["expected"], r.groups);
    const auto &st = c["stats"];
    EXPECT_EQ(r.stats.windows, st["windows"].as<std::uint64_t>());
    EXPECT_EQ(r.stats.skipped_nan, st["skipped_nan"].as<std::uint64_t>());
    EXPECT_EQ(r.stats.skipped_flat, st["skipped_flat"].as<std::uint64_t>());
    EXPECT_EQ(r.stats.entries, st["entries"].as<std::uint64_t>());
    EXPECT_EQ(r.stats.buckets, st["buckets"].as<std::uint64_t>());
    EXPECT_EQ(r.stats.split_buckets, st["split_buckets"].as<std::uint64_t>());
    EXPECT_EQ(r.stats.largest_bucket, st["largest_bucket"].as<std::uint64_t>());
    EXPECT_EQ(r.stats.candidates, st["candidates"].as<std::uint64_t>());
    EXPECT_EQ(r.stats.rounds, 1u);
    expect_valid(r, f.series, 0, p);
    ++cases;
  }
  EXPECT_EQ(cases, 3u);
}

TEST(Motifs, FindsThePlantedSignatureLikeTheBruteForce) {
  const auto &f = fixture();
  std::vector<std::uint64_t> planted_rows, planted_starts;
  for (const auto &x : f.root["planted"]["rows"])
    planted_rows.push_back(x.as<std::uint64_t>());
  for (const auto &x : f.root["planted"]["starts"])
    planted_starts.push_back(x.as<std::uint64_t>());
  const YAML::Node c = f.root["cases"][0];
  ASSERT_EQ(c["name"].as<std::string>(), "default");
  const motif_params p = fixture_params(c["params"]);
  const comm local;
  const motif_result r = find_motifs(local, views(f.series), 0, p);
  ASSERT_FALSE(r.groups.empty());
  const motif_group &top = r.groups[0];
  std::vector<std::pair<std::uint64_t, std::uint64_t>> found{
      {top.centre.series_row, top.centre.start}};
  for (const auto &m : top.members)
    found.push_back({m.series_row, m.start});
  std::sort(found.begin(), found.end());
  ASSERT_EQ(found.size(), planted_rows.size());
  for (std::size_t k = 0; k < found.size(); ++k) {
    EXPECT_EQ(found[k].first, planted_rows[k]);
    EXPECT_LE(std::max(found[k].second, planted_starts[k]) -
                  std::min(found[k].second, planted_starts[k]),
              2u);
  }
  // The brute force over every window pair agrees on the top group.
  YAML::Node brute_top;
  brute_top.push_back(c["brute_force"][0]);
  expect_fixture_groups(brute_top, std::vector<motif_group>{top});
}

TEST(Motifs, SameBitsOnOneToEightRanksAndAnyRounds) {
  const auto &f = fixture();
  const std::size_t n = f.series.size();
  for (const auto &c : f.root["cases"]) {
    SCOPED_TRACE("case " + c["name"].as<std::string>());
    motif_params p = fixture_params(c["params"]);
    const comm local;
    const motif_result want = find_motifs(local, views(f.series), 0, p);
    for (int ranks = 1; ranks <= 8; ++ranks) {
      // Odd rank counts exchange in several rounds (1 MiB each), even ones in
      // one.
      for (const std::size_t budget :
           {ranks % 2 ? std::size_t{1} << 20 : std::size_t{256} << 20}) {
        SCOPED_TRACE(std::to_string(ranks) + " ranks, exchange_bytes " +
                     std::to_string(budget));
        p.exchange_bytes = budget;
        std::vector<motif_result> got(static_cast<std::size_t>(ranks));
        run_simulated(ranks, [&](const comm &cm) {
          // Uneven contiguous blocks: rank r holds rows [b(r), b(r+1)).
          const auto r = static_cast<std::size_t>(cm.rank());
          auto bound = [&](std::size_t q) {
            return q * q * n / (static_cast<std::size_t>(ranks) * ranks);
          };
          const std::size_t lo = bound(r), hi = bound(r + 1);
          std::vector<series_view> mine;
          for (std::size_t i = lo; i < hi; ++i)
            mine.push_back(f.series[i].view());
          got[r] = find_motifs(cm, mine, lo, p);
        });
        for (const auto &g : got) {
          expect_same(want.groups, g.groups);
          expect_same_stats(want.stats, g.stats);
        }
        if (budget == (std::size_t{1} << 20) &&
            c["name"].as<std::string>() == "default") {
          EXPECT_GT(got[0].stats.rounds, 1u);
        }
      }
    }
  }
}

// ---- Hand-worked building blocks
// ------------------------------------------------------

TEST(Motifs, Znormalize) {
  std::vector<double> z(4);
  const std::vector<double> x{1.0, 2.0, 3.0, 4.0};
  ASSERT_EQ(motif_znormalize(x, z), motif_window_status::ok);
  const double sd = std::sqrt(1.25);
  EXPECT_NEAR(z[0], -1.5 / sd, 1e-15);
  EXPECT_NEAR(z[3], 1.5 / sd, 1e-15);
  // Offset and scale do not matter; a power of two changes no bit (the scaling
  // is exact).
  std::vector<double> z2(4), z3(4);
  const std::vector<double> big{1e300, 2e300, 3e300, 4e300},
      shifted{1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4};
  std::vector<double> pow2;
  for (double v : x)
    pow2.push_back(std::ldexp(v, 700));
  ASSERT_EQ(motif_znormalize(pow2, z2), motif_window_status::ok);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_TRUE(same_bits(z[i], z2[i]));
  ASSERT_EQ(motif_znormalize(big, z3),
            motif_window_status::ok); // no overflow in the squares
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_NEAR(z3[i], z[i], 1e-12);
  ASSERT_EQ(motif_znormalize(shifted, z3), motif_window_status::ok);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_NEAR(z3[i], z[i], 1e-6);
  // Skipped windows.
  EXPECT_EQ(motif_znormalize(std::vector<double>{1.0, nan_v, 2.0, 3.0}, z),
            motif_window_status::non_finite);
  EXPECT_EQ(motif_znormalize(std::vector<double>{1.0, inf_v, 2.0, 3.0}, z),
            motif_window_status::non_finite);
  EXPECT_EQ(motif_znormalize(std::vector<double>{-inf_v, 1.0, 2.0, 3.0}, z),
            motif_window_status::non_finite);
  EXPECT_EQ(motif_znormalize(std::vector<double>{0.1, 0.1, 0.1, 0.1}, z),
            motif_window_status::flat);
  EXPECT_EQ(motif_znormalize(std::vector<double>{0.0, 0.0, 0.0, 0.0}, z),
            motif_window_status::flat);
  EXPECT_EQ(
      motif_znormalize(
          std::vector<double>{1e9, 1e9, 1e9, std::nextafter(1e9, 2e9)}, z),
      motif_window_status::flat);
  EXPECT_EQ(motif_znormalize(std::vector<double>{1e9, 1e9, 1e9, 1e9 + 0.01}, z),
            motif_window_status::ok);
  EXPECT_EQ(motif_znormalize(std::vector<double>{0.0, 0.0, 0.0, 1e-300}, z),
            motif_window_status::ok);
}

TEST(Motifs, DistanceIsTheZnormalisedEuclidean) {
  std::mt19937_64 g(7);
  std::normal_distribution<double> nd(0.0, 1.0);
  for (const std::size_t w : {4u, 7u, 8u, 13u, 64u, 100u}) {
    std::vector<double> x(w), y(w), zx(w), zy(w);
    for (std::size_t i = 0; i < w; ++i) {
      x[i] = nd(g);
      y[i] = 0.5 * x[i] + nd(g);
    }
    ASSERT_EQ(motif_znormalize(x, zx), motif_window_status::ok);
    ASSERT_EQ(motif_znormalize(y, zy), motif_window_status::ok);
    const double d2 = motif_squared_distance(zx, zy);
    EXPECT_TRUE(same_bits(d2, motif_squared_distance(zy, zx)));
    EXPECT_NEAR(std::sqrt(d2), plain_distance(x, y), 1e-12);
    EXPECT_EQ(motif_squared_distance(zx, zx), 0.0);
    // d^2 = 2w(1 - r)
    double r = 0.0;
    for (std::size_t i = 0; i < w; ++i)
      r += zx[i] * zy[i];
    r /= static_cast<double>(w);
    EXPECT_NEAR(d2, 2.0 * static_cast<double>(w) * (1.0 - r), 1e-9);
  }
}

TEST(Motifs, PaaWithFractionalSegments) {
  motif_params p = params_for(10);
  p.segments = 3;
  const motif_encoder enc(p);
  const std::vector<double> z{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<double> out(3);
  enc.paa(z, out);
  // Segments of 10/3 points: [0, 3.33), [3.33, 6.67), [6.67, 10).
  EXPECT_NEAR(out[0], (0 + 1 + 2 + 3.0 / 3.0) * 0.3, 1e-15);
  EXPECT_NEAR(out[1], (3 * 2.0 / 3.0 + 4 + 5 + 6 * 2.0 / 3.0) * 0.3, 1e-15);
  EXPECT_NEAR(out[2], (6.0 / 3.0 + 7 + 8 + 9) * 0.3, 1e-15);
  p.segments = 5;
  const motif_encoder enc5(p);
  std::vector<double> o5(5);
  enc5.paa(z, o5);
  for (std::size_t k = 0; k < 5; ++k)
    EXPECT_DOUBLE_EQ(o5[k], 2.0 * static_cast<double>(k) + 0.5);
}

TEST(Motifs, WordsAndProbes) {
  motif_params p = params_for(8);
  p.segments = 4;
  p.alphabet = 4; // breakpoints -0.674, 0, 0.674
  p.probes = 2;
  p.radius = 2.0; // every flip affordable
  // PAA -1, -0.1, 0.05, 1: letters 0 1 2 3; nearest other letters: segment 2
  // down (gap 0.05), segment 1 up (0.1), segments 0 and 3 at 0.326 (equal gaps:
  // segment 0 first).
  const std::vector<double> z{-1, -1, -0.1, -0.1, 0.05, 0.05, 1, 1};
  auto word = [](std::vector<unsigned> l) {
    motif_word w = 0;
    for (std::size_t k = 0; k < l.size(); ++k)
      w |= static_cast<motif_word>(l[k]) << (4 * k);
    return w;
  };
  motif_code code;
  motif_encoder(p).encode(z, code);
  ASSERT_EQ(code.words.size(), 4u);
  EXPECT_EQ(code.words[0], word({0, 1, 2, 3}));
  std::vector<motif_word> probes(code.words.begin() + 1, code.words.end());
  std::sort(probes.begin(), probes.end());
  std::vector<motif_word> want{word({0, 1, 1, 3}), word({0, 2, 2, 3}),
                               word({0, 2, 1, 3})};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(probes, want);
  EXPECT_EQ(motif_encoder::letter(code.words[0], 3), 3u);
  // Fine key: the same PAA values on 64 letters.
  const motif_fine_key fine = motif_fine(z, 4);
  EXPECT_EQ(fine[0],
            10u); // Phi(-1) = 0.1587: 10 of the 63 breakpoints (i/64) are below
  EXPECT_EQ(fine[1], 29u); // Phi(-0.1) = 0.4602: 29 below
  EXPECT_EQ(fine[2], 33u); // Phi(0.05) = 0.5199: 33 below (33/64 = 0.5156)
  EXPECT_EQ(fine[3], 53u); // Phi(1) = 0.8413: 53 below
  EXPECT_EQ(fine[4], 0u);
  // A radius that affords each flip but not both: cost 0.05^2 + 0.1^2 = 0.0125
  // > 4 r^2.
  p.radius = 0.053;
  motif_encoder(p).encode(z, code);
  ASSERT_EQ(code.words.size(), 3u);
  EXPECT_EQ(code.words[1], word({0, 1, 1, 3}));
  EXPECT_EQ(code.words[2], word({0, 2, 2, 3}));
  // No probes: the main word alone; three probes: segment 0 joins (and all
  // subsets fit).
  p.radius = 2.0;
  p.probes = 0;
  motif_encoder(p).encode(z, code);
  EXPECT_EQ(code.words.size(), 1u);
  p.probes = 3;
  motif_encoder(p).encode(z, code);
  EXPECT_EQ(code.words.size(), 8u);
  EXPECT_NE(std::find(code.words.begin(), code.words.end(), word({1, 1, 2, 3})),
            code.words.end());
  EXPECT_EQ(std::find(code.words.begin(), code.words.end(), word({0, 1, 2, 2})),
            code.words.end());
}

TEST(Motifs, ConflictsAndPieces) {
  EXPECT_TRUE(motif_windows_conflict(3, 100, 3, 131, 64)); // 62 < 64
  EXPECT_FALSE(motif_windows_conflict(3, 100, 3, 132, 64));
  EXPECT_TRUE(motif_windows_conflict(3, 131, 3, 100, 64));
  EXPECT_FALSE(motif_windows_conflict(3, 100, 4, 100, 64));
  EXPECT_TRUE(motif_windows_conflict(1, 0, 1, 32, 65));
  EXPECT_FALSE(motif_windows_conflict(1, 0, 1, 33, 65));
  EXPECT_EQ(motif_piece_sizes(10, 4), (std::vector<std::size_t>{4, 3, 3}));
  EXPECT_EQ(motif_piece_sizes(8, 4), (std::vector<std::size_t>{4, 4}));
  EXPECT_EQ(motif_piece_sizes(3, 4), (std::vector<std::size_t>{3}));
  EXPECT_EQ(motif_piece_sizes(9, 2), (std::vector<std::size_t>{2, 2, 2, 2, 1}));
  EXPECT_TRUE(motif_piece_sizes(0, 4).empty());
}

motif_group
make_group(std::uint64_t row, std::uint64_t start,
           std::vector<std::pair<std::uint64_t, std::uint64_t>> members,
           double mean) {
  motif_group g;
  g.centre = {row, start, 0, 0};
  for (auto [r, s] : members)
    g.members.push_back({r, s, 0, 0, mean});
  g.mean_distance = mean;
  return g;
}

TEST(Motifs, GreedySelection) {
  std::vector<motif_group> g{
      make_group(0, 0, {{1, 200}}, 0.5),       // 2 series
      make_group(2, 0, {{3, 0}, {4, 0}}, 0.9), // 3 series: first
      make_group(1, 10, {{2, 40}, {5, 0}},
                 0.9), // 3 series, same mean, row 1 < 2: best
      make_group(3, 20, {{5, 100}},
                 0.4), // conflicts with (3, 0) of the second (2*20 < 64)
      make_group(6, 0, {{7, 0}}, 0.1), // 2 series, best of those
      make_group(0, 32, {{8, 0}},
                 0.45), // 2*32 = 64 is not < 64: no conflict with (0, 0)
  };
  const auto all = motif_select(g, 64, 100);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].centre.series_row, 1u);
  EXPECT_EQ(all[1].centre.series_row,
            2u); // (2, 0) vs (2, 40): 80 >= 64, no conflict
  EXPECT_EQ(all[2].centre.series_row, 6u);
  EXPECT_EQ(all[3].centre.series_row, 0u);
  EXPECT_EQ(all[3].centre.start, 32u);
  EXPECT_EQ(all[4].centre.series_row, 0u);
  EXPECT_EQ(all[4].centre.start, 0u);
  const auto two = motif_select(g, 64, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].centre.series_row, 2u);
  // A wider window makes (2, 0) and (2, 40) conflict: 80 < 81.
  const auto wide = motif_select(g, 81, 100);
  EXPECT_EQ(wide[1].centre.series_row, 6u);
}

TEST(Motifs, BucketCandidatesHomeCentresAndClosestPerSeries) {
  motif_params p = params_for(8);
  p.radius = 0.5; // d^2 <= 2
  std::mt19937_64 g(3);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<double> base(8);
  for (auto &v : base)
    v = nd(g);
  auto noisy = [&](double s, double sign = 1.0) {
    std::vector<double> x(8), z(8);
    for (std::size_t i = 0; i < 8; ++i)
      x[i] = sign * base[i] + s * nd(g);
    EXPECT_EQ(motif_znormalize(x, z), motif_window_status::ok);
    return z;
  };
  // Row 0: centre (home). Row 1: two windows, one closer. Row 2: the mirror
  // image (far from all). Row 0 again: same series. Row 4: close.
  std::vector<std::vector<double>> zs{noisy(0.0),  noisy(0.05),
                                      noisy(0.1),  noisy(0.0, -1.0),
                                      noisy(0.01), noisy(0.02)};
  std::vector<motif_entry> bucket{
      {{0, 0, 0, 7}, true, zs[0]},     {{1, 10, 10, 17}, false, zs[1]},
      {{1, 50, 50, 57}, true, zs[2]},  {{2, 5, 5, 12}, true, zs[3]},
      {{0, 30, 30, 37}, false, zs[4]}, {{4, 0, 0, 7}, false, zs[5]},
  };
  const double d01 = std::sqrt(motif_squared_distance(zs[0], zs[1]));
  const double d02 = std::sqrt(motif_squared_distance(zs[0], zs[2]));
  const double d05 = std::sqrt(motif_squared_distance(zs[0], zs[5]));
  ASSERT_LT(d01, d02);
  ASSERT_GT(motif_squared_distance(zs[0], zs[3]), 2.0);
  ASSERT_LT(d05 * d05, 2.0);
  const auto got = motif_bucket_candidates(bucket, p);
  // Centres: rows 0 (start 0), 1 (start 50), 2 (no neighbour). The best group
  // is row 0's.
  ASSERT_GE(got.size(), 1u);
  EXPECT_EQ(got[0].centre.series_row, 0u);
  EXPECT_EQ(got[0].centre.start, 0u);
  ASSERT_EQ(got[0].members.size(), 2u);
  EXPECT_EQ(got[0].members[0].series_row, 1u);
  EXPECT_EQ(got[0].members[0].start, 10u); // the closer of row 1's windows
  EXPECT_TRUE(same_bits(got[0].members[0].distance, d01));
  EXPECT_EQ(got[0].members[1].series_row, 4u);
  EXPECT_TRUE(same_bits(got[0].mean_distance, (d01 + d05) / 2.0));
  // Row 1's group (centre (1, 50): rows 0 and 4) shares (4, 0) with it: not a
  // candidate. Row 2's window has no neighbour; visitors are never centres.
  EXPECT_EQ(got.size(), 1u);
  // Pieces: sorted by fine key, then row and start, cut into 3 pieces of 2;
  // each piece is a bucket of its own.
  std::vector<std::size_t> order{0, 1, 2, 3, 4, 5};
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) {
                     return motif_fine(bucket[a].z, p.segments) <
                            motif_fine(bucket[b].z, p.segments);
                   });
  std::vector<motif_group> want;
  for (std::size_t piece = 0; piece < 3; ++piece) {
    const std::vector<motif_entry> part{bucket[order[2 * piece]],
                                        bucket[order[2 * piece + 1]]};
    for (auto &grp : motif_bucket_candidates(part, p))
      want.push_back(std::move(grp));
  }
  p.max_bucket = 2;
  expect_same(motif_bucket_candidates(bucket, p), want);
}

// ---- Edge cases and errors
// ------------------------------------------------------------

TEST(Motifs, NanWindowsAreSkipped) {
  std::mt19937_64 g(11);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<double> shape(16);
  for (auto &v : shape)
    v = nd(g);
  std::vector<owned> s;
  for (int k = 0; k < 3; ++k) {
    std::vector<double> v(60);
    for (auto &x : v)
      x = nd(g) * 5.0;
    for (std::size_t i = 0; i < 16; ++i)
      v[20 + i] = 10.0 * k + (1.0 + k) * shape[i] + 0.01 * nd(g);
    s.push_back(regular(v, 1000 * k));
  }
  motif_params p = params_for(16);
  const comm local;
  const auto clean = find_motifs(local, views(s), 0, p);
  ASSERT_FALSE(clean.groups.empty());
  EXPECT_EQ(clean.groups[0].series_count(), 3u);
  EXPECT_EQ(clean.stats.skipped_nan, 0u);
  // A NaN inside row 1's motif: its windows covering index 25 are skipped
  // (starts 10..25).
  s[1].value[25] = nan_v;
  const auto holed = find_motifs(local, views(s), 0, p);
  EXPECT_EQ(holed.stats.windows, 3u * 45u);
  EXPECT_EQ(holed.stats.skipped_nan, 16u);
  expect_valid(holed, s, 0, p);
  for (const auto &grp : holed.groups) {
    auto covers = [&](std::uint64_t row, std::uint64_t start) {
      return row == 1 && start <= 25 && 25 < start + 16;
    };
    EXPECT_FALSE(covers(grp.centre.series_row, grp.centre.start));
    for (const auto &m : grp.members)
      EXPECT_FALSE(covers(m.series_row, m.start));
  }
  ASSERT_FALSE(holed.groups.empty());
  EXPECT_EQ(holed.groups[0].series_count(), 2u); // rows 0 and 2 still match
  // Infinity is skipped like NaN.
  s[1].value[25] = -inf_v;
  EXPECT_EQ(find_motifs(local, views(s), 0, p).stats.skipped_nan, 16u);
}

TEST(Motifs, FlatWindowsAreNotMotifs) {
  // Constant series (every window flat) never match, not even each other.
  std::vector<owned> s{regular(std::vector<double>(50, 3.0)),
                       regular(std::vector<double>(50, 3.0)),
                       regular(std::vector<double>(50, -7.5)),
                       regular(std::vector<double>(50, 0.0))};
  motif_params p = params_for(8);
  const comm local;
  const auto r = find_motifs(local, views(s), 0, p);
  EXPECT_TRUE(r.groups.empty());
  EXPECT_EQ(r.stats.windows, 4u * 43u);
  EXPECT_EQ(r.stats.skipped_flat, 4u * 43u);
  EXPECT_EQ(r.stats.entries, 0u);
  // A step between flat stretches: only windows holding the step are kept, and
  // two series with the same step at different levels match exactly.
  std::vector<double> a(50, 1.0), b(50, 100.0);
  for (std::size_t i = 25; i < 50; ++i)
    a[i] = 2.0, b[i] = 130.0;
  s.push_back(regular(a));
  s.push_back(regular(b));
  const auto r2 = find_motifs(local, views(s), 0, p);
  EXPECT_EQ(r2.stats.skipped_flat, 4u * 43u + 2u * 36u);
  ASSERT_FALSE(r2.groups.empty());
  EXPECT_EQ(r2.groups[0].series_count(), 2u);
  EXPECT_LT(r2.groups[0].members[0].distance,
            1e-6); // the same shape up to rounding
  EXPECT_GE(r2.groups[0].centre.series_row, 4u);
}

TEST(Motifs, ShortSeriesAndStepGrid) {
  // Series shorter than the window have no windows; the grid is 0, step, 2
  // step, ...
  std::mt19937_64 g(5);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<owned> s;
  std::vector<double> v(40);
  for (auto &x : v)
    x = nd(g);
  s.push_back(regular(v));
  s.push_back(regular(std::vector<double>(
      v.begin() + 6, v.end()))); // same values, shifted by 6
  s.push_back(regular({1.0, 2.0, 3.0}));
  motif_params p = params_for(12);
  p.step = 3;
  const comm local;
  const auto r = find_motifs(local, views(s), 0, p);
  EXPECT_EQ(r.stats.windows, 10u + 8u);
  ASSERT_FALSE(r.groups.empty());
  // (0, 6 + 3k) and (1, 3k) hold the same values: distance 0.
  EXPECT_EQ(r.groups[0].members.size(), 1u);
  EXPECT_EQ(r.groups[0].members[0].distance, 0.0);
  expect_valid(r, s, 0, p);
}

TEST(Motifs, WindowLongerThanEverySeriesFailsOnEveryRank) {
  std::vector<owned> s{regular(std::vector<double>(30, 1.0)),
                       regular(std::vector<double>(45, 1.0)),
                       regular(std::vector<double>(45, 2.0)),
                       regular(std::vector<double>(10, 1.0))};
  const motif_params p = params_for(46);
  const comm local;
  try {
    find_motifs(local, views(s), 0, p);
    ADD_FAILURE() << "no error";
  } catch (const input_error &e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("window 46"), std::string::npos) << msg;
    EXPECT_NE(msg.find("series row 1, 45 points"), std::string::npos) << msg;
  }
  for (int ranks : {2, 3, 5}) {
    std::mutex mu;
    std::vector<std::string> messages;
    run_simulated(ranks, [&](const comm &c) {
      std::vector<series_view> mine;
      const std::size_t r = static_cast<std::size_t>(c.rank());
      if (r < s.size())
        mine.push_back(s[r].view()); // rank r holds row r (or nothing)
      try {
        find_motifs(c, mine, r, p);
      } catch (const input_error &e) {
        const std::lock_guard<std::mutex> lock(mu);
        messages.push_back(e.what());
      }
    });
    ASSERT_EQ(messages.size(), static_cast<std::size_t>(ranks));
    for (const auto &m : messages)
      EXPECT_EQ(m, messages[0]);
    EXPECT_NE(messages[0].find("series row 1, 45 points"), std::string::npos)
        << messages[0];
  }
  EXPECT_NO_THROW(find_motifs(local, views(s), 0, params_for(45)));
}

TEST(Motifs, ParameterErrorsNameTheParameter) {
  auto expect_param = [](motif_params p, const std::string &name) {
    try {
      check_motif_params(p);
      ADD_FAILURE() << "no error for " << name;
    } catch (const param_error &e) {
      EXPECT_EQ(e.param(), name) << e.what();
    }
    const comm local;
    EXPECT_THROW(find_motifs(local, {}, 0, p), param_error);
    EXPECT_THROW(motif_encoder{p}, param_error);
  };
  const motif_params ok = params_for(64);
  EXPECT_NO_THROW(check_motif_params(ok));
  auto with = [&](auto f) {
    motif_params p = ok;
    f(p);
    return p;
  };
  expect_param(with([](motif_params &p) { p.window = 3; }), "window");
  expect_param(with([](motif_params &p) { p.window = 0; }), "window");
  expect_param(with([](motif_params &p) { p.window = max_motif_window + 1; }),
               "window");
  expect_param(with([](motif_params &p) { p.top_k = 0; }), "top_k");
  expect_param(with([](motif_params &p) { p.radius = 0.0; }), "radius");
  expect_param(with([](motif_params &p) { p.radius = -1.0; }), "radius");
  expect_param(with([](motif_params &p) { p.radius = 2.5; }), "radius");
  expect_param(with([](motif_params &p) { p.radius = nan_v; }), "radius");
  expect_param(with([](motif_params &p) { p.step = 0; }), "step");
  expect_param(with([](motif_params &p) { p.segments = 0; }), "segments");
  expect_param(with([](motif_params &p) { p.segments = 17; }), "segments");
  expect_param(with([](motif_params &p) { p.window = 6; }),
               "segments"); // 8 segments > 6 points
  expect_param(with([](motif_params &p) { p.alphabet = 1; }), "alphabet");
  expect_param(with([](motif_params &p) { p.alphabet = 17; }), "alphabet");
  expect_param(with([](motif_params &p) { p.probes = 9; }), "probes");
  expect_param(with([](motif_params &p) {
                 p.segments = 2;
                 p.probes = 3;
               }),
               "probes");
  expect_param(with([](motif_params &p) { p.max_bucket = 1; }), "max_bucket");
  expect_param(with([](motif_params &p) { p.exchange_bytes = 1000; }),
               "exchange_bytes");
  EXPECT_NO_THROW(check_motif_params(with([](motif_params &p) {
    p.window = 4;
    p.segments = 4;
    p.probes = 4;
  })));
  EXPECT_NO_THROW(check_motif_params(with([](motif_params &p) {
    p.radius = 2.0;
    p.alphabet = 16;
  })));
  EXPECT_DOUBLE_EQ(motif_threshold(ok), 1.6);
}

TEST(Motifs, NoSeriesAtAll) {
  const comm local;
  EXPECT_THROW(find_motifs(local, {}, 0, params_for(8)), input_error);
}

} // namespace
} // namespace tsbatch
