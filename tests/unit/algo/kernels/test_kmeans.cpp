// kmeans kernels: fixtures from a Python re-implementation of the documented procedure
// (labels, iterations, restarts exact; numpy objective; brute-force optimum), hand-worked
// cases, NaN and parameter errors, empty-cluster re-seeding, k-means++ sampling edge cases,
// and a simulated distributed run over several rank counts that must match bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "algo/kernels/kmeans.hpp"
#include "algo/params.hpp"
#include "core/chunk_tree.hpp"
#include "core/error.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i])) return false;
    return true;
}

void expect_same(const kmeans_result& a, const kmeans_result& b) {
    EXPECT_EQ(a.labels, b.labels);
    EXPECT_TRUE(same_bits(a.centroids, b.centroids));
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a.inertia), std::bit_cast<std::uint64_t>(b.inertia));
    EXPECT_EQ(a.iterations, b.iterations);
    EXPECT_EQ(a.converged, b.converged);
    EXPECT_EQ(a.best_run, b.best_run);
}

kmeans_params make_params(std::size_t k, std::uint64_t seed = 0, std::size_t n_init = 4, std::size_t chunk = 1024) {
    kmeans_params p;
    p.k = k;
    p.seed = seed;
    p.n_init = n_init;
    p.chunk_rows = chunk;
    return p;
}

std::vector<double> blobs(std::size_t per, std::size_t d, std::uint64_t seed) {
    std::mt19937_64 g(seed);
    std::normal_distribution<double> nd(0.0, 1.0);
    std::vector<double> x;
    for (std::size_t i = 0; i < 4 * per; ++i)
        for (std::size_t j = 0; j < d; ++j) x.push_back(nd(g) + 8.0 * static_cast<double>((i % 4) == j % 4) + static_cast<double>(i % 4));
    return x;
}

TEST(Kmeans, Fixtures) {
    const YAML::Node root = test::load_dataset_fixture("kmeans");
    std::size_t n = 0;
    for (const auto& c : root["cases"]) {
        SCOPED_TRACE("case " + c["name"].as<std::string>());
        const auto& data = root["data"][c["data"].as<std::string>()];
        const auto d = data["d"].as<std::size_t>();
        const auto x = test::fixture_doubles(data["x"]);
        const auto& pr = c["params"];
        kmeans_params p;
        p.k = pr["k"].as<std::size_t>();
        p.seed = pr["seed"].as<std::uint64_t>();
        p.max_iter = pr["max_iter"].as<std::size_t>();
        p.n_init = pr["n_init"].as<std::size_t>();
        p.tol = pr["tol"].as<double>();
        p.chunk_rows = pr["chunk_rows"].as<std::size_t>();
        const double tol = c["abs_tol"].as<double>();
        const auto& e = c["expected"];
        const auto r = kmeans(x, d, p);
        std::vector<std::size_t> want_labels;
        for (const auto& l : e["labels"]) want_labels.push_back(l.as<std::size_t>());
        EXPECT_EQ(r.labels, want_labels);
        const auto want_c = test::fixture_doubles(e["centroids"]);
        ASSERT_EQ(r.centroids.size(), want_c.size());
        for (std::size_t i = 0; i < want_c.size(); ++i) EXPECT_TRUE(test::fixture_near(want_c[i], r.centroids[i], tol)) << i;
        EXPECT_TRUE(test::fixture_near(e["inertia"].as<double>(), r.inertia, tol));
        EXPECT_TRUE(test::fixture_near(e["numpy_inertia"].as<double>(), r.inertia, std::max(tol, 1e-12), 1e-11));
        if (e["optimum"]) {
            EXPECT_NEAR(r.inertia, e["optimum"].as<double>(), 1e-12);
        }
        EXPECT_EQ(r.iterations, e["iterations"].as<std::size_t>());
        EXPECT_EQ(r.converged, e["converged"].as<bool>());
        EXPECT_EQ(r.best_run, e["best_run"].as<std::size_t>());
        ++n;
    }
    EXPECT_GE(n, 10u);
}

TEST(Kmeans, SameSeedSameResult) {
    const auto x = blobs(50, 3, 1);
    const auto p = make_params(4, 123, 3, 32);
    const auto a = kmeans(x, 3, p), b = kmeans(x, 3, p);
    expect_same(a, b);
    // Another seed may find another labelling, never an invalid one.
    auto q = p;
    q.seed = 124;
    const auto c = kmeans(x, 3, q);
    EXPECT_EQ(c.labels.size(), 200u);
}

TEST(Kmeans, HandWorked) {
    // k = 1: the mean, every label 0, inertia = total sum of squares.
    const std::vector<double> x{1, 2, 3, 6};
    auto r = kmeans(x, 1, make_params(1));
    EXPECT_EQ(r.labels, (std::vector<std::size_t>{0, 0, 0, 0}));
    EXPECT_EQ(r.centroids, (std::vector<double>{3.0}));
    EXPECT_EQ(r.inertia, 14.0);
    EXPECT_TRUE(r.converged);
    // Two clear groups in 2-D: the optimum, whatever the seed.
    const std::vector<double> y{0, 0, 0, 1, 10, 10, 10, 11, 1, 0};
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        r = kmeans(y, 2, make_params(2, seed, 1));
        EXPECT_EQ(r.labels[0], r.labels[1]);
        EXPECT_EQ(r.labels[0], r.labels[4]);
        EXPECT_NE(r.labels[0], r.labels[2]);
        EXPECT_NEAR(r.inertia, 2.0 / 3.0 * 2.0 + 0.5, 1e-14);
    }
    // k = n: every row its own centroid.
    r = kmeans(x, 1, make_params(4, 3));
    EXPECT_EQ(r.inertia, 0.0);
}

TEST(Kmeans, AssignmentTiesGoToTheLowerCluster) {
    const std::vector<double> x{0.0, 2.0, 1.0};
    const std::vector<double> c{2.0, 0.0};
    std::vector<std::size_t> labels(3);
    std::vector<double> d2(3);
    kmeans_assign(x, 1, c, labels, d2);
    EXPECT_EQ(labels, (std::vector<std::size_t>{1, 0, 0}));  // 1.0 is 1 from both
    EXPECT_EQ(d2, (std::vector<double>{0.0, 0.0, 1.0}));
}

TEST(Kmeans, NonFiniteFeaturesAreRefusedByRow) {
    std::vector<double> x{1, 2, 3, 4, 5, 6};
    x[3] = nan_v;
    try {
        (void)kmeans(x, 2, make_params(2));
        FAIL() << "no error";
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("row 1"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("column 1"), std::string::npos) << e.what();
    }
    x[3] = -std::numeric_limits<double>::infinity();
    EXPECT_THROW((void)kmeans(x, 2, make_params(2)), input_error);
    try {
        check_kmeans_features(std::vector<double>{1, nan_v}, 1, 500);
        FAIL() << "no error";
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("row 501"), std::string::npos) << e.what();
    }
    // Finite but too large to square: in k-means++ (k = 2) and in the assignment (k = 1).
    EXPECT_THROW((void)kmeans(std::vector<double>{-1e300, 1e300, 0.0}, 1, make_params(2)), input_error);
    EXPECT_THROW((void)kmeans(std::vector<double>{-1e200, 1e200, 0.0}, 1, make_params(1)), input_error);
}

TEST(Kmeans, ParameterErrorsNameTheParameter) {
    const std::vector<double> x{1, 2, 3};
    const auto expect_param = [&](kmeans_params p, const char* name) {
        try {
            (void)kmeans(x, 1, p);
            ADD_FAILURE() << "no error for " << name;
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), name);
        }
    };
    expect_param(make_params(0), "k");
    expect_param(make_params(4), "k");
    auto p = make_params(2);
    p.max_iter = 0;
    expect_param(p, "max_iter");
    p = make_params(2, 0, 0);
    expect_param(p, "n_init");
    p = make_params(2);
    p.tol = -1.0;
    expect_param(p, "tol");
    p.tol = nan_v;
    expect_param(p, "tol");
    p = make_params(2, 0, 1, 0);
    expect_param(p, "chunk_rows");
    EXPECT_THROW((void)kmeans(x, 2, make_params(1)), std::invalid_argument);  // 3 values, d = 2
    EXPECT_THROW((void)kmeans(x, 0, make_params(1)), std::invalid_argument);
    EXPECT_THROW((void)kmeans({}, 1, make_params(1)), param_error);         // no rows
}

TEST(Kmeans, EmptyClusterIsReseededWithTheFarthestRow) {
    // Rows 0..3 in cluster 0 (distances 1, 9, 9, 0), row 4 alone in cluster 1, clusters 2
    // and 3 empty. Cluster 2 takes row 1 (farthest, lower row on the tie), cluster 3 row 2.
    const std::vector<double> x{1, 3, -3, 0, 50};
    const std::vector<std::size_t> labels{0, 0, 0, 0, 1};
    const std::vector<double> d2{1, 9, 9, 0, 400};
    const auto p = kmeans_accumulate(x, 1, 4, 0, labels, d2, {});
    EXPECT_EQ(p.farthest.front().row, 4u);  // farthest, but alone in its cluster: skipped
    EXPECT_EQ(kmeans_reseed_rows(p), (std::vector<std::size_t>{1, 2}));
    const auto c = kmeans_update(p, std::vector<double>{3, -3});  // rows 1 and 2
    EXPECT_EQ(c, (std::vector<double>{(1.0 + 0.0) / 2.0, 50.0, 3.0, -3.0}));
    EXPECT_THROW((void)kmeans_update(p, std::vector<double>{3}), std::invalid_argument);
    EXPECT_TRUE(kmeans_reseed_rows(kmeans_accumulate(x, 1, 2, 0, std::vector<std::size_t>{0, 0, 0, 0, 1}, d2, {}))
                    .empty());
}

TEST(Kmeans, PartialCombineGroupsOnlyTheSumsAndCandidatesAreExact) {
    const auto x = blobs(20, 2, 5);
    const std::size_t n = x.size() / 2, k = 3;
    const std::vector<double> cent{0, 0, 9, 1, 2, 10};
    std::vector<std::size_t> labels(n);
    std::vector<double> d2(n);
    kmeans_assign(x, 2, cent, labels, d2);
    const std::span<const double> xs(x);
    const auto part = [&](std::size_t from, std::size_t to) {
        return kmeans_accumulate(xs.subspan(from * 2, (to - from) * 2), 2, k, from,
                                 std::span<const std::size_t>(labels).subspan(from, to - from),
                                 std::span<const double>(d2).subspan(from, to - from), {});
    };
    std::vector<kmeans_partial> chunks;
    for (std::size_t from = 0; from < n; from += 8) chunks.push_back(part(from, std::min(n, from + 8)));
    // The chunk tree, as the kernel folds it, against a left fold in chunk order: another
    // grouping changes the sums' rounding at most, never counts or candidates.
    const kmeans_partial tree = fold_chunk_tree<kmeans_partial>(
        chunks.size(), [&](std::size_t q) { return chunks[q]; }, combine_kmeans_partials);
    kmeans_partial left(k, 2);
    for (const auto& c : chunks) left.combine(c);
    EXPECT_EQ(tree.count, left.count);
    ASSERT_EQ(tree.farthest.size(), left.farthest.size());
    for (std::size_t i = 0; i < tree.farthest.size(); ++i) EXPECT_EQ(tree.farthest[i].row, left.farthest[i].row);
    for (std::size_t i = 0; i < tree.sum.size(); ++i) EXPECT_NEAR(tree.sum[i], left.sum[i], 1e-12);
    EXPECT_NEAR(tree.inertia, left.inertia, 1e-12);
    EXPECT_EQ(left.farthest.size(), 2 * k);
    EXPECT_THROW(left.combine(kmeans_partial(k + 1, 2)), std::invalid_argument);
}

TEST(Kmeans, SamplingProcedure) {
    // mt19937_64 as the standard defines it ([rand.predef]); restart seeds are its outputs.
    EXPECT_EQ(kmeans_run_seed(5489, 9999), 9981545732273789042ULL);
    std::mt19937_64 g(5489);
    EXPECT_EQ(kmeans_uniform(g), static_cast<double>(14514284786278117030ULL >> 11) * 0x1.0p-53);
    // Chunk choice by running sums: [1, 0, 3] with target u * 4.
    auto ch = kmeanspp_choose_chunk(std::vector<double>{1, 0, 3}, 0.2);  // 0.8 < 1
    EXPECT_EQ(ch.chunk, 0u);
    EXPECT_EQ(ch.remainder, 0.8);
    ch = kmeanspp_choose_chunk(std::vector<double>{1, 0, 3}, 0.25);  // 1.0: not < 1, nor < 1 + 0
    EXPECT_EQ(ch.chunk, 2u);
    EXPECT_EQ(ch.remainder, 0.0);
    EXPECT_TRUE(kmeanspp_choose_chunk(std::vector<double>{0, 0}, 0.5).none);
    // Subnormal weights: u * total rounds up to total, so no running sum exceeds it.
    const double tiny = std::numeric_limits<double>::denorm_min();
    ch = kmeanspp_choose_chunk(std::vector<double>{2 * tiny, 3 * tiny, 0.0}, 1.0 - 0x1.0p-53);
    EXPECT_EQ(ch.chunk, 1u);
    EXPECT_EQ(kmeanspp_choose_in_chunk(std::vector<double>{tiny, 2 * tiny, 0.0}, ch.remainder), 1u);
    // Within a chunk: the first row whose running sum exceeds the remainder; zero weights never.
    EXPECT_EQ(kmeanspp_choose_in_chunk(std::vector<double>{0, 2, 0, 1}, 0.0), 1u);
    EXPECT_EQ(kmeanspp_choose_in_chunk(std::vector<double>{0, 2, 0, 1}, 2.0), 3u);
    EXPECT_THROW(kmeanspp_choose_chunk(std::vector<double>{1, std::numeric_limits<double>::infinity()}, 0.5), input_error);
}

TEST(Kmeans, FewerDistinctRowsThanK) {
    // Two distinct rows, k = 3: k-means++ falls back to the lowest unchosen row and Lloyd
    // re-seeds the duplicate centroid's empty cluster.
    const std::vector<double> x{0, 0, 0, 5, 5};
    const auto r = kmeans(x, 1, make_params(3, 1, 2, 2));
    EXPECT_EQ(r.inertia, 0.0);
    EXPECT_TRUE(r.converged);
    EXPECT_EQ(r.labels[0], r.labels[1]);
    EXPECT_EQ(r.labels[0], r.labels[2]);
    EXPECT_EQ(r.labels[3], r.labels[4]);
    EXPECT_NE(r.labels[0], r.labels[3]);
    // The third centroid duplicates one of the others.
    const auto& c = r.centroids;
    EXPECT_TRUE(c[0] == c[1] || c[0] == c[2] || c[1] == c[2]);
}

// The distributed operator's procedure with `ranks` ranks, each owning a run of whole chunks,
// built only from the public building blocks: it must equal kmeans() bit for bit.
kmeans_result simulated_ranks(std::span<const double> x, std::size_t d, const kmeans_params& p, std::size_t ranks) {
    const std::size_t n = x.size() / d, chunks = (n + p.chunk_rows - 1) / p.chunk_rows;
    std::vector<std::size_t> first_chunk;  // rank r owns chunks [first_chunk[r], first_chunk[r + 1])
    for (std::size_t r = 0; r <= ranks; ++r) first_chunk.push_back(chunks * r / ranks);
    const auto rows_of = [&](std::size_t c) {
        return std::pair{c * p.chunk_rows, std::min(n, (c + 1) * p.chunk_rows)};
    };
    std::mt19937_64 g(kmeans_run_seed(p.seed, 0));
    // k-means++: chunk sums gathered from every rank, the owner of the chunk picks the row.
    std::vector<double> centres;
    const auto first = std::min(static_cast<std::size_t>(kmeans_uniform(g) * static_cast<double>(n)), n - 1);
    centres.insert(centres.end(), x.begin() + static_cast<std::ptrdiff_t>(first * d), x.begin() + static_cast<std::ptrdiff_t>((first + 1) * d));
    std::vector<double> d2(n);
    std::vector<bool> chosen(n, false);
    chosen[first] = true;
    for (std::size_t c = 1; c < p.k; ++c) {
        std::vector<double> sums(chunks);
        for (std::size_t r = 0; r < ranks; ++r)
            for (std::size_t b = first_chunk[r]; b < first_chunk[r + 1]; ++b) {
                const auto [lo, hi] = rows_of(b);
                const auto w = std::span<double>(d2).subspan(lo, hi - lo);
                kmeanspp_distances(x.subspan(lo * d, (hi - lo) * d), d, std::span<const double>(centres).subspan((c - 1) * d, d), w, c == 1);
                sums[b] = kmeans_fold(w);
            }
        const auto ch = kmeanspp_choose_chunk(sums, kmeans_uniform(g));
        std::size_t row;
        if (ch.none) {
            row = static_cast<std::size_t>(std::find(chosen.begin(), chosen.end(), false) - chosen.begin());
        } else {
            const auto [lo, hi] = rows_of(ch.chunk);
            row = lo + kmeanspp_choose_in_chunk(std::span<const double>(d2).subspan(lo, hi - lo), ch.remainder);
        }
        chosen[row] = true;
        centres.insert(centres.end(), x.begin() + static_cast<std::ptrdiff_t>(row * d), x.begin() + static_cast<std::ptrdiff_t>((row + 1) * d));
    }
    // Lloyd: each rank assigns and accumulates its chunks onto the fold handed to it.
    kmeans_result res;
    res.centroids = centres;
    res.labels.assign(n, 0);
    std::vector<std::size_t> previous;
    // Each rank folds the chunk tree's whole nodes within its chunks; the nodes of all ranks,
    // in rank order, are combined into the root.
    const auto pass = [&](const std::vector<double>& cent) {
        const auto leaf = [&](std::size_t b) {
            const auto [lo, hi] = rows_of(b);
            const auto lab = std::span<std::size_t>(res.labels).subspan(lo, hi - lo);
            const auto w = std::span<double>(d2).subspan(lo, hi - lo);
            const auto xs = x.subspan(lo * d, (hi - lo) * d);
            kmeans_assign(xs, d, cent, lab, w);
            const std::span<const std::size_t> prev = previous.empty() ? std::span<const std::size_t>() : std::span<const std::size_t>(previous).subspan(lo, hi - lo);
            return kmeans_accumulate(xs, d, p.k, lo, lab, w, prev);
        };
        std::vector<chunk_tree_node> nodes;
        std::vector<kmeans_partial> folded;
        for (std::size_t r = 0; r < ranks; ++r)
            for (const auto& node : chunk_tree_cover(chunks, first_chunk[r], first_chunk[r + 1])) {
                nodes.push_back(node);
                folded.push_back(fold_chunk_tree_node<kmeans_partial>(chunks, node, leaf, combine_kmeans_partials));
            }
        return finish_chunk_tree<kmeans_partial>(chunks, nodes, std::move(folded), combine_kmeans_partials);
    };
    kmeans_partial current = pass(res.centroids);
    while (res.iterations < p.max_iter) {
        std::vector<double> reseed;
        for (const std::size_t row : kmeans_reseed_rows(current))
            reseed.insert(reseed.end(), x.begin() + static_cast<std::ptrdiff_t>(row * d), x.begin() + static_cast<std::ptrdiff_t>((row + 1) * d));
        auto cent = kmeans_update(current, reseed);
        previous = res.labels;
        kmeans_partial next = pass(cent);
        ++res.iterations;
        const bool stop = next.changed == 0 || current.inertia - next.inertia <= p.tol * current.inertia;
        res.centroids = cent;
        current = next;
        if (stop) {
            res.converged = true;
            break;
        }
    }
    res.inertia = current.inertia;
    return res;
}

TEST(Kmeans, SameBitsForAnyRankCount) {
    const auto x = blobs(60, 4, 77);  // 240 rows
    auto p = make_params(5, 2024, 1, 16);
    const auto single = kmeans(x, 4, p);
    for (const std::size_t ranks : {1, 2, 3, 7, 15}) {
        SCOPED_TRACE(std::to_string(ranks) + " ranks");
        expect_same(simulated_ranks(x, 4, p, ranks), single);
    }
    // A run cut short by max_iter too.
    p.max_iter = 2;
    p.seed = 5;
    const auto short_run = kmeans(x, 4, p);
    EXPECT_FALSE(short_run.converged);
    expect_same(simulated_ranks(x, 4, p, 4), short_run);
}

}  // namespace
}  // namespace tsbatch
