// pca kernels: numpy SVD fixtures, timestamp check, Jacobi on hand-worked and random
// matrices, NaN rows, degenerate inputs, chunked partial sums folded in order across
// simulated ranks, determinism.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "algo/params.hpp"
#include "algo/kernels/pca.hpp"
#include "core/chunk_tree.hpp"
#include "core/error.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

struct dataset {
    std::vector<std::int64_t> time;
    std::vector<std::vector<double>> values;

    std::vector<series_view> views() const {
        std::vector<series_view> v;
        for (const auto& x : values) v.push_back({time, x});
        return v;
    }
};

dataset random_dataset(std::size_t m, std::size_t t, std::uint64_t seed, double offset = 0.0) {
    std::mt19937_64 g(seed);
    std::normal_distribution<double> nd(0.0, 1.0);
    dataset d;
    for (std::size_t i = 0; i < t; ++i) d.time.push_back(static_cast<std::int64_t>(i * 1000 + (i % 3) * 7));
    std::vector<double> f1(t), f2(t);
    for (auto& v : f1) v = 3.0 * nd(g);
    for (auto& v : f2) v = nd(g);
    d.values.resize(m);
    for (std::size_t s = 0; s < m; ++s)
        for (std::size_t i = 0; i < t; ++i)
            d.values[s].push_back(offset + std::cos(static_cast<double>(s)) * f1[i] + std::sin(static_cast<double>(s) * 1.3) * f2[i] +
                                  0.2 * nd(g) + static_cast<double>(s));
    return d;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i])) return false;
    return true;
}

void expect_near_all(const std::vector<double>& want, const std::vector<double>& got, double tol, const char* what) {
    ASSERT_EQ(want.size(), got.size()) << what;
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_TRUE(test::fixture_near(want[i], got[i], tol)) << what << "[" << i << "]: " << want[i] << " vs " << got[i];
}

TEST(Pca, Fixtures) {
    const YAML::Node root = test::load_dataset_fixture("pca");
    const auto series = test::fixture_series_map(root["series"]);
    std::size_t n = 0;
    for (const auto& c : root["cases"]) {
        SCOPED_TRACE("case " + c["name"].as<std::string>());
        std::vector<series_view> views;
        for (const auto& s : c["series"]) views.push_back(series.at(s.as<std::string>()).view());
        const auto comps = c["params"]["components"].as<std::size_t>();
        const bool center = c["params"]["center"].as<bool>();
        const double tol = c["abs_tol"].as<double>();
        const auto& e = c["expected"];
        const auto out = pca(views, comps, center);
        const auto& mod = out.model;
        EXPECT_EQ(mod.rows, e["rows"].as<std::uint64_t>());
        EXPECT_EQ(mod.skipped_rows, e["skipped_rows"].as<std::uint64_t>());
        expect_near_all(test::fixture_doubles(e["eigenvalues"]), mod.eigenvalues, tol, "eigenvalues");
        expect_near_all(test::fixture_doubles(e["explained_variance"]), mod.explained_variance, tol, "explained variance");
        expect_near_all(test::fixture_doubles(e["ratio"]), mod.explained_variance_ratio, tol, "ratio");
        // Both sides apply the same sign convention, so components compare directly.
        std::vector<double> want_l, want_p;
        for (const auto& row : e["components"])
            for (double v : test::fixture_doubles(row)) want_l.push_back(v);
        for (const auto& row : e["projections"])
            for (double v : test::fixture_doubles(row)) want_p.push_back(v);
        expect_near_all(want_l, mod.loadings, 1e-10, "components");
        expect_near_all(want_p, out.projections, 1e-10, "projections");
        ++n;
    }
    EXPECT_GE(n, 7u);
}

TEST(Pca, TimestampMismatchIsNamed) {
    const std::vector<std::int64_t> t{0, 10, 20}, t2{0, 10, 25}, t3{0, 10};
    const std::vector<double> v{1, 2, 3}, v3{1, 2};
    std::vector<series_view> s{{t, v}, {t, v}, {t2, v}, {t3, v3}};
    EXPECT_EQ(first_timestamp_mismatch(s), 2u);
    EXPECT_EQ(first_timestamp_mismatch(std::span<const series_view>(s).first(2)), series_npos);
    EXPECT_EQ(first_timestamp_mismatch({}), series_npos);
    try {
        (void)pca(s, 1);
        FAIL() << "no error";
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("series 2"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("point 2"), std::string::npos) << e.what();
    }
    std::swap(s[2], s[3]);
    try {
        (void)pca(s, 1);
        FAIL() << "no error";
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("2 points instead of 3"), std::string::npos) << e.what();
    }
}

TEST(Pca, JacobiHandWorked) {
    // [[2, 1], [1, 2]]: eigenvalues 3 and 1, vectors (1, 1)/sqrt2 and (1, -1)/sqrt2 (equal
    // magnitudes: the first component is made positive).
    auto e = jacobi_eigen(std::vector<double>{2, 1, 1, 2}, 2);
    EXPECT_NEAR(e.values[0], 3.0, 1e-15);
    EXPECT_NEAR(e.values[1], 1.0, 1e-15);
    const double h = std::sqrt(0.5);
    EXPECT_NEAR(e.vectors[0], h, 1e-15);
    EXPECT_NEAR(e.vectors[1], h, 1e-15);
    EXPECT_NEAR(e.vectors[2], h, 1e-15);
    EXPECT_NEAR(e.vectors[3], -h, 1e-15);
    // Diagonal: no rotation, sorted, signs positive.
    e = jacobi_eigen(std::vector<double>{1, 0, 0, 0, -2, 0, 0, 0, 5}, 3);
    EXPECT_EQ(e.values, (std::vector<double>{5, 1, -2}));
    EXPECT_EQ(e.vectors, (std::vector<double>{0, 0, 1, 1, 0, 0, 0, 1, 0}));
    EXPECT_EQ(e.sweeps, 0u);
    // Equal eigenvalues keep index order.
    e = jacobi_eigen(std::vector<double>{4, 0, 0, 4}, 2);
    EXPECT_EQ(e.vectors, (std::vector<double>{1, 0, 0, 1}));
    EXPECT_TRUE(jacobi_eigen({}, 0).values.empty());
    EXPECT_THROW(jacobi_eigen(std::vector<double>{1, 2, 3}, 2), std::invalid_argument);
    EXPECT_THROW(jacobi_eigen(std::vector<double>{1, nan_v, nan_v, 1}, 2), std::invalid_argument);
}

TEST(Pca, JacobiRandomSymmetric) {
    std::mt19937_64 g(17);
    std::normal_distribution<double> nd(0.0, 1.0);
    const std::size_t n = 12;
    std::vector<double> a(n * n);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i; j < n; ++j) a[i * n + j] = a[j * n + i] = nd(g);
    const auto e = jacobi_eigen(a, n);
    for (std::size_t k = 0; k + 1 < n; ++k) EXPECT_GE(e.values[k], e.values[k + 1]);
    for (std::size_t k = 0; k < n; ++k) {
        const double* v = e.vectors.data() + k * n;
        std::size_t big = 0;
        for (std::size_t i = 0; i < n; ++i) {
            double av = 0.0;
            for (std::size_t j = 0; j < n; ++j) av += a[i * n + j] * v[j];
            EXPECT_NEAR(av, e.values[k] * v[i], 1e-12);
            if (std::fabs(v[i]) > std::fabs(v[big])) big = i;
        }
        EXPECT_GT(v[big], 0.0);
        for (std::size_t l = 0; l < n; ++l) {
            double dot = 0.0;
            for (std::size_t j = 0; j < n; ++j) dot += v[j] * e.vectors[l * n + j];
            EXPECT_NEAR(dot, k == l ? 1.0 : 0.0, 1e-13);
        }
    }
    EXPECT_LE(e.sweeps, 12u);
}

TEST(Pca, NanRowsAreLeftOutAndProjectedAsNan) {
    auto d = random_dataset(3, 30, 4);
    d.values[1][5] = nan_v;
    d.values[2][5] = nan_v;
    d.values[0][17] = std::numeric_limits<double>::infinity();
    const auto out = pca(d.views(), 2);
    EXPECT_EQ(out.model.rows, 28u);
    EXPECT_EQ(out.model.skipped_rows, 2u);
    for (std::size_t c = 0; c < 2; ++c)
        for (std::size_t t = 0; t < 30; ++t) EXPECT_EQ(std::isnan(out.projections[c * 30 + t]), t == 5 || t == 17);
    // The same as the data without those rows.
    dataset kept;
    kept.values.resize(3);
    for (std::size_t t = 0; t < 30; ++t) {
        if (t == 5 || t == 17) continue;
        kept.time.push_back(d.time[t]);
        for (std::size_t s = 0; s < 3; ++s) kept.values[s].push_back(d.values[s][t]);
    }
    const auto ref = pca(kept.views(), 2);
    expect_near_all(ref.model.eigenvalues, out.model.eigenvalues, 1e-13, "eigenvalues");
    expect_near_all(ref.model.loadings, out.model.loadings, 1e-13, "loadings");
}

TEST(Pca, TooFewRowsAndBadComponents) {
    const std::vector<std::int64_t> t{0, 1, 2};
    const std::vector<double> a{1.0, nan_v, nan_v}, b{2.0, 3.0, nan_v};
    const std::vector<series_view> s{{t, a}, {t, b}};
    EXPECT_THROW((void)pca(s, 1, true), input_error);  // one complete row: no sample covariance
    const auto u = pca(s, 1, false);                    // uncentred: x x^T of that row
    EXPECT_EQ(u.model.rows, 1u);
    EXPECT_NEAR(u.model.eigenvalues[0], 5.0, 1e-14);
    const std::vector<double> all_nan(3, nan_v);
    const std::vector<series_view> s2{{t, all_nan}, {t, b}};
    EXPECT_THROW((void)pca(s2, 1, false), input_error);
    const std::vector<series_view> empty_series{{{}, {}}, {{}, {}}};
    EXPECT_THROW((void)pca(empty_series, 1), input_error);
    try {
        (void)pca(s, 3);
        FAIL() << "no error";
    } catch (const param_error& e) {
        EXPECT_EQ(e.param(), "components");
    }
    EXPECT_THROW((void)pca(s, 0), param_error);
    EXPECT_THROW((void)pca({}, 1), param_error);
}

TEST(Pca, ConstantSeries) {
    const std::vector<std::int64_t> t{0, 1, 2, 3};
    const std::vector<double> c1(4, 0.1), c2(4, -3.0), v{1, 2, 4, 3};
    const auto all_const = pca(std::vector<series_view>{{t, c1}, {t, c2}}, 2);
    EXPECT_EQ(all_const.model.eigenvalues, (std::vector<double>{0.0, 0.0}));
    EXPECT_TRUE(std::isnan(all_const.model.explained_variance_ratio[0]));
    const auto mixed = pca(std::vector<series_view>{{t, c1}, {t, v}}, 2);
    EXPECT_NEAR(mixed.model.explained_variance[0], 5.0 / 3.0, 1e-15);
    EXPECT_EQ(mixed.model.explained_variance_ratio[0], 1.0);
    EXPECT_EQ(mixed.model.loadings[1], 1.0);  // the varying series
    EXPECT_EQ(mixed.model.explained_variance[1], 0.0);
}

TEST(Pca, LargeOffsetKeepsItsDigits) {
    const auto base = random_dataset(4, 500, 9);
    const auto shifted = random_dataset(4, 500, 9, 1e9);
    const auto a = pca(base.views(), 2), b = pca(shifted.views(), 2);
    // The shift itself rounds the data at ~6e-8; the covariance must not lose more.
    expect_near_all(a.model.eigenvalues, b.model.eigenvalues, 1e-6, "eigenvalues");
    expect_near_all(a.model.loadings, b.model.loadings, 1e-7, "loadings");
}

TEST(Pca, PartialSumsFoldOverTheChunkTreeAcrossRanks) {
    const auto d = random_dataset(5, 203, 12);
    const auto views = d.views();
    const std::size_t chunk = 16, length = 203;
    std::vector<pca_partial> chunks;
    for (std::size_t from = 0; from < length; from += chunk) {
        std::vector<std::span<const double>> cols;
        for (const auto& v : views) cols.push_back(v.value.subspan(from, std::min(chunk, length - from)));
        chunks.push_back(pca_accumulate(cols));
    }
    const pca_partial reference = pca_partial_sums(views, chunk);
    // Each "rank" owns a run of chunks and folds the chunk tree's whole nodes within it; the
    // nodes of all ranks, in rank order, are combined into the root.
    const auto leaf = [&](std::size_t c) { return chunks[c]; };
    for (const std::vector<std::size_t>& bounds : {std::vector<std::size_t>{0, 13}, std::vector<std::size_t>{0, 3, 13},
                                                   std::vector<std::size_t>{0, 1, 2, 7, 12, 13},
                                                   std::vector<std::size_t>{0, 5, 5, 13}}) {
        std::vector<chunk_tree_node> nodes;
        std::vector<pca_partial> folded;
        for (std::size_t r = 0; r + 1 < bounds.size(); ++r)
            for (const auto& node : chunk_tree_cover(13, bounds[r], bounds[r + 1])) {
                nodes.push_back(node);
                folded.push_back(fold_chunk_tree_node<pca_partial>(13, node, leaf, combine_pca_partials));
            }
        const auto total = finish_chunk_tree<pca_partial>(13, nodes, std::move(folded), combine_pca_partials);
        EXPECT_EQ(total.rows, reference.rows);
        EXPECT_TRUE(same_bits(total.mean, reference.mean));
        EXPECT_TRUE(same_bits(total.comoment, reference.comoment));
    }
    // The left fold in chunk order groups the merges otherwise: equal to rounding only.
    pca_partial left;
    for (const auto& c : chunks) left.combine(c);
    expect_near_all(reference.comoment, left.comoment, 1e-10, "comoment");
    // Another chunk size is another fold: equal to rounding, not necessarily in bits.
    const pca_partial other = pca_partial_sums(views, 64);
    expect_near_all(reference.comoment, other.comoment, 1e-10, "comoment");
    // One chunk holding everything is the plain two-pass result.
    const pca_partial whole = pca_partial_sums(views, 1000);
    expect_near_all(reference.comoment, whole.comoment, 1e-10, "comoment");
    expect_near_all(reference.mean, whole.mean, 1e-14, "mean");
}

TEST(Pca, CombineEdgeCases) {
    pca_partial empty;
    const std::vector<double> a{1, 2, 3}, b{2, 2, 5};
    const std::vector<std::span<const double>> cols{a, b};
    const pca_partial p = pca_accumulate(cols);
    empty.combine(p);
    EXPECT_TRUE(same_bits(empty.comoment, p.comoment));
    pca_partial q = p;
    q.combine(pca_partial{});  // nothing follows
    EXPECT_TRUE(same_bits(q.comoment, p.comoment));
    const std::vector<double> n1{nan_v}, n2{1.0};
    const std::vector<std::span<const double>> nan_cols{n1, n2};
    q.combine(pca_accumulate(nan_cols));  // a chunk without complete rows
    EXPECT_EQ(q.rows, 3u);
    EXPECT_EQ(q.skipped_rows, 1u);
    EXPECT_TRUE(same_bits(q.comoment, p.comoment));
    const std::vector<std::span<const double>> one_col{a};
    EXPECT_THROW(q.combine(pca_accumulate(one_col)), std::invalid_argument);
    const std::vector<double> short_col{1.0};
    const std::vector<std::span<const double>> ragged{a, short_col};
    EXPECT_THROW(pca_accumulate(ragged), std::invalid_argument);
}

TEST(Pca, Deterministic) {
    const auto d = random_dataset(6, 5000, 2);
    const auto a = pca(d.views(), 3), b = pca(d.views(), 3);
    EXPECT_TRUE(same_bits(a.model.eigenvalues, b.model.eigenvalues));
    EXPECT_TRUE(same_bits(a.model.loadings, b.model.loadings));
    EXPECT_TRUE(same_bits(a.projections, b.projections));
    // Projections are per row: projecting a slice gives the same bits.
    const auto views = d.views();
    std::vector<std::span<const double>> cols;
    for (const auto& v : views) cols.push_back(v.value.subspan(1000, 7));
    std::vector<double> part(3 * 7);
    pca_project(a.model, cols, part);
    for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t t = 0; t < 7; ++t)
            EXPECT_EQ(std::bit_cast<std::uint64_t>(part[c * 7 + t]), std::bit_cast<std::uint64_t>(a.projections[c * 5000 + 1000 + t]));
}

}  // namespace
}  // namespace tsbatch
