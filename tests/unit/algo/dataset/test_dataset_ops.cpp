// The dataset-wide operators (correlation, pca, kmeans) as the run drives them: identical bits
// on 1..8 simulated ranks, and the distributed result equal to the one-process kernels (which
// tests/unit/algo/kernels/test_{correlation,pca,kmeans}.cpp check against numpy and scipy).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <random>
#include <set>

#include "algo/dataset/correlation_op.hpp"
#include "algo/dataset/correlation_tiles.hpp"
#include "algo/kernels/correlation.hpp"
#include "algo/kernels/kmeans.hpp"
#include "algo/kernels/pca.hpp"
#include "core/error.hpp"
#include "dataset_harness.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

using test::dataset_run;
using test::run_dataset_op;

// n series of `points` points on one grid, driven by two shared factors, a few NaN.
series_batch grid_series(std::size_t n, std::size_t points, bool with_nan, std::uint64_t seed = 5) {
    std::mt19937_64 g(seed);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<double> f1(points), f2(points);
    double a = 0, b = 0;
    for (std::size_t t = 0; t < points; ++t) f1[t] = a += noise(g), f2[t] = b += noise(g);
    series_batch batch;
    for (std::size_t i = 0; i < n; ++i) {
        auto sink = batch.open_series({"s" + std::to_string(i), "m", "", i});
        for (std::size_t t = 0; t < points; ++t) {
            double v = (i % 2 ? f1[t] : f2[t]) * (1.0 + 0.1 * static_cast<double>(i)) + noise(g) +
                       1e3 * static_cast<double>(i % 3);
            if (with_nan && (t * 7 + i * 3) % 41 == 0) v = std::nan("");
            sink.push(static_cast<std::int64_t>(t) * 3600000, v);
        }
        batch.close_series();
    }
    return batch;
}

struct bound {
    const operator_def* def;
    bound_operator op;
};

bound bind(const std::string& name, const std::string& params) {
    const auto* def = find_operator(name);
    EXPECT_NE(def, nullptr);
    return {def, def->bind(test::fixture_params(*def, YAML::Load(params)))};
}

class dataset_ops_ranks : public ::testing::TestWithParam<int> {};

TEST_P(dataset_ops_ranks, correlation_is_the_same_on_any_rank_count) {
    const auto in = grid_series(23, 80, true);
    for (const char* params :
         {"{max_lag: 2, top_pairs: 15}", "{method: spearman, min_overlap: 75}", "{align: index, top_pairs: 0}"}) {
        auto b = bind("correlation", params);
        // Chunks of 2 series: 12 chunks, so every rank of 8 gets some.
        const auto one = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 1, 2);
        const auto many = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, GetParam(), 2);
        test::expect_same_run(one, many, std::string("correlation ") + params);
    }
}

TEST_P(dataset_ops_ranks, correlation_by_blas_is_the_same_on_any_rank_count) {
    // Complete series on one grid take the BLAS products, whose bits depend on the whole
    // product: three and a half rows of corr_sub_tile series make four rows of tiles, so
    // up to four ranks compute tiles, and chunks of 7 series put the ranks' own rows off the
    // grid of sub-tiles, so a product cut at a rank's rows would differ. On 2 ranks the tile
    // of the ring's last step is shared: each rank computes some of its sub-tiles.
    const std::uint64_t n = 3 * corr_sub_tile + corr_sub_tile / 2;
    const std::size_t shared_sub_tiles = 2 * 2;  // blocks of 2,048 and 1,536 rows
    ASSERT_GT(ring_half_step_split(0, 2, n), 0u);
    ASSERT_LT(ring_half_step_split(0, 2, n), shared_sub_tiles);
    const auto in = grid_series(n, 12, false);
    for (const char* params : {"{top_pairs: 10}", "{method: spearman, top_pairs: 0}"}) {
        auto b = bind("correlation", params);
        const auto one = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 1, 7);
        const auto many = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, GetParam(), 7);
        test::expect_same_run(one, many, std::string("correlation ") + params);
    }
}

TEST_P(dataset_ops_ranks, pca_is_the_same_on_any_rank_count) {
    // More rows than one kernel chunk (4096), so the fold crosses ranks.
    const auto in = grid_series(9, 9000, true);
    auto b = bind("pca", "{components: 3}");
    // A chunk per series: 9 chunks, so every rank of 8 gets some.
    const auto one = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 1, 1);
    const auto many = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, GetParam(), 1);
    test::expect_same_run(one, many, "pca");
}

TEST_P(dataset_ops_ranks, kmeans_is_the_same_on_any_rank_count) {
    const auto in = grid_series(40, 30, false);
    for (const char* params : {"{k: 3, seed: 4}", "{k: 5, features: paa, segments: 6, n_init: 2, seed: 9}"}) {
        auto b = bind("kmeans", params);
        const auto one = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 1, 3);
        const auto many = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, GetParam(), 3);
        test::expect_same_run(one, many, std::string("kmeans ") + params);
    }
}

INSTANTIATE_TEST_SUITE_P(simulated, dataset_ops_ranks, ::testing::Range(1, 9));

// The overlap matrix is stored as one value exactly when every pair has it: all series
// complete on one grid (a constant one among them), at lag 0. On 2 ranks the second holds
// the rows from corr_sub_tile on; a series with a NaN or on a grid of its own there, or all
// of them on another grid (shifted, or one point shorter), must bring the whole matrix back, with the pairs' own
// overlaps, though the first rank sees nothing of it.
TEST(correlation_op, overlap_is_one_stored_value_exactly_when_every_pair_has_it) {
    constexpr std::size_t n = corr_sub_tile + 8, points = 12, second = corr_sub_tile;
    const auto complete = [&] {
        auto in = grid_series(n, points, false);
        for (std::size_t t = in.offset[3]; t < in.offset[4]; ++t) in.value[t] = 5.0;  // constant
        return in;
    };
    const auto overlap_of = [&](const series_batch& in, const char* params) {
        auto b = bind("correlation", params);
        auto run = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 2, 5);
        return std::move(run.matrices[2]);
    };
    const auto in = complete();
    for (const char* params : {"{top_pairs: 3}", "{method: spearman}", "{align: index}"}) {
        const auto m = overlap_of(in, params);
        EXPECT_TRUE(m.constant) << params;
        for (double v : m.values) ASSERT_EQ(v, static_cast<double>(points)) << params;
    }
    EXPECT_FALSE(overlap_of(grid_series(11, points, false), "{max_lag: 1}").constant);

    auto with_nan = complete();
    with_nan.value[with_nan.offset[second + 6] + 2] = std::nan("");
    auto shifted = complete();
    for (std::size_t t = shifted.offset[second]; t < shifted.point_count(); ++t) shifted.time[t] += 1;
    auto one_shifted = complete();
    for (std::size_t t = one_shifted.offset[second + 6]; t < one_shifted.offset[second + 7]; ++t)
        one_shifted.time[t] += 1;
    series_batch shorter;
    for (std::size_t i = 0; i < n; ++i) {
        const auto s = in.series(i);
        shorter.append(in.meta[i], i < second ? s : series_view{s.time.first(points - 1), s.value.first(points - 1)});
    }
    const struct {
        const series_batch& in;
        const char* params;
        std::size_t odd;     // a row of the second rank
        double odd_overlap;  // of the pair (odd, 0)
    } cases[] = {{with_nan, "{}", second + 6, points - 1.0},
                 {shifted, "{}", second, 0.0},
                 {one_shifted, "{}", second + 6, 0.0},
                 {shorter, "{}", second, points - 1.0},
                 {shorter, "{align: index}", second, points - 1.0}};
    for (const auto& c : cases) {
        const auto m = overlap_of(c.in, c.params);
        EXPECT_FALSE(m.constant) << c.params;
        EXPECT_EQ(m.values[c.odd * n], c.odd_overlap) << c.params;
        EXPECT_EQ(m.values[c.odd], c.odd_overlap) << c.params;
        EXPECT_EQ(m.values[n + 2], static_cast<double>(points)) << c.params;
    }
    // Shifted but as long as the others, it is on the others' grid when aligned by index.
    EXPECT_TRUE(overlap_of(shifted, "{align: index}").constant);
}

// A sub-tile whose series are all usable on one grid is one product written straight into
// the tile; any other goes pair by pair (an on_pair callback, as group_by sets, takes that
// path for every sub-tile). Both must give the same bits, counts and top pairs: a block of
// corr_sub_tile + 40 complete series has both kinds of sub-tile, square and not.
// The pairs each rank of the ring computes: its triangle, whole tiles at the steps before R/2,
// and its share of the tile of step R/2 (even R) when the lower block's rank takes `split`
// sub-tiles of it.
std::uint64_t ring_work(std::uint64_t r, std::uint64_t R, std::uint64_t n, std::size_t split) {
    const auto size = [&](std::uint64_t q) { return ring_block_start(q + 1, R, n) - ring_block_start(q, R, n); };
    std::uint64_t pairs = size(r) * (size(r) + 1) / 2;
    for (std::uint64_t s = 1; s < R / 2; ++s) pairs += size(r) * size((r + s) % R);
    if (R % 2 != 0) {
        pairs += size(r) * size((r + R / 2) % R);
        return pairs;
    }
    const std::uint64_t low = r < R / 2 ? r : r - R / 2;
    const auto rows = sub_tile_pieces(ring_block_start(low, R, n), size(low));
    const auto cols = sub_tile_pieces(ring_block_start(low + R / 2, R, n), size(low + R / 2));
    std::uint64_t mine = 0;
    std::size_t t = 0;
    for (const auto a : rows)
        for (const auto b : cols) {
            if ((t < split) == (r == low)) mine += a * b;
            ++t;
        }
    return pairs + mine;
}

TEST(correlation_ring, half_step_share_evens_the_two_ranks_work_best) {
    // Every split of the shared tile by whole sub-tiles: the one taken leaves the two ranks'
    // work closest (ties: the fewest sub-tiles for the lower rank).
    for (const std::uint64_t n : {1ull, 700ull, 1024ull, 2053ull, 3200ull, 10000ull, 20483ull, 33792ull})
        for (const std::uint64_t R : {2ull, 4ull, 6ull, 8ull})
            for (std::uint64_t low = 0; low < R / 2; ++low) {
                const auto size = [&](std::uint64_t q) {
                    return ring_block_start(q + 1, R, n) - ring_block_start(q, R, n);
                };
                const std::size_t tiles =
                    sub_tile_pieces(0, size(low)).size() * sub_tile_pieces(0, size(low + R / 2)).size();
                const auto gap = [&](std::size_t split) {
                    const auto a = ring_work(low, R, n, split), b = ring_work(low + R / 2, R, n, split);
                    return a > b ? a - b : b - a;
                };
                const std::size_t got = ring_half_step_split(low, R, n);
                ASSERT_LE(got, tiles);
                for (std::size_t split = 0; split <= tiles; ++split)
                    EXPECT_TRUE(gap(got) < gap(split) || (gap(got) == gap(split) && got <= split))
                        << n << " series, " << R << " ranks, blocks " << low << " and " << low + R / 2 << ": " << got
                        << " sub-tiles leave a gap of " << gap(got) << " pairs, " << split << " of " << gap(split);
            }
    // 10,000 series on 2 ranks: blocks of 5,120 and 4,880 rows; the first rank's larger
    // triangle is made up for by 12 of the 25 sub-tiles (two rows of five, and two more).
    EXPECT_EQ(ring_half_step_split(0, 2, 10000), 12u);
}

TEST(correlation_tiles, one_product_per_sub_tile_equals_the_pair_by_pair_path) {
    const std::size_t n = corr_sub_tile + 40;
    const auto in = grid_series(n, 12, false);
    std::vector<series_view> views;
    for (std::size_t i = 0; i < in.size(); ++i) views.push_back(in.series(i));
    const corr_params p;
    const corr_prepared_block prep = prepare_block(views, p);
    const corr_block block{views, prep};
    struct outcome {
        test::memory_matrix r, overlap;
        std::array<std::uint64_t, corr_status_count> counts{};
        std::vector<corr_pair_candidate> top;
    };
    auto run_tiles = [&](bool pair_by_pair) {
        outcome o;
        std::mutex lock;
        test::shared_matrix_sink r(o.r, lock, true), overlap(o.overlap, lock, true);
        r.create(n, n, {"series", "series"});
        overlap.create(n, n, {"series", "series"});
        top_pairs_keeper top(25);
        corr_tile_target target{{&r, &overlap}, 0, &top, &o.counts, {}};
        std::size_t pairs_seen = 0;
        if (pair_by_pair) target.on_pair = [&](std::uint64_t, std::uint64_t, const corr_result&) { ++pairs_seen; };
        correlate_tile(block, block, true, p, target);
        if (pair_by_pair) {
            EXPECT_EQ(pairs_seen, n * (n + 1) / 2);
        }
        o.top = top.sorted();
        return o;
    };
    const outcome fast = run_tiles(false), slow = run_tiles(true);
    for (std::size_t k = 0; k < n * n; ++k) {
        ASSERT_TRUE(test::same_bits(fast.r.values[k], slow.r.values[k])) << k / n << "," << k % n;
        ASSERT_EQ(fast.overlap.values[k], slow.overlap.values[k]) << k / n << "," << k % n;
        ASSERT_EQ(fast.r.writes[k], 1);
    }
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(fast.r.values[i * n + i], 1.0);
    EXPECT_EQ(fast.counts, slow.counts);
    EXPECT_EQ(fast.counts[static_cast<std::size_t>(corr_status::ok)], n * (n - 1) / 2);
    ASSERT_EQ(fast.top.size(), slow.top.size());
    for (std::size_t k = 0; k < fast.top.size(); ++k) {
        EXPECT_EQ(fast.top[k].a, slow.top[k].a);
        EXPECT_EQ(fast.top[k].b, slow.top[k].b);
        EXPECT_TRUE(test::same_bits(fast.top[k].r, slow.top[k].r));
        EXPECT_EQ(fast.top[k].pairs, slow.top[k].pairs);
    }
}

TEST(correlation_op, matrix_is_the_kernel_on_every_pair_mirrored) {
    const auto in = grid_series(11, 50, true);
    auto b = bind("correlation", "{max_lag: 3, top_pairs: 5}");
    const auto run = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 3, 2);
    corr_params p;
    p.max_lag = 3;
    const auto& r = run.matrices[1].values;
    const auto& lag = run.matrices[4].values;
    for (std::size_t i = 0; i < 11; ++i)
        for (std::size_t j = i; j < 11; ++j) {
            const auto want = correlate(in.series(i), in.series(j), p);
            EXPECT_TRUE(test::same_bits(r[i * 11 + j], want.at_zero.r)) << i << "," << j;
            EXPECT_TRUE(test::same_bits(r[j * 11 + i], want.at_zero.r)) << j << "," << i;
            EXPECT_EQ(lag[i * 11 + j], static_cast<double>(want.best_lag));
            EXPECT_EQ(lag[j * 11 + i], -static_cast<double>(want.best_lag));
        }
    // The top pairs are the five largest |best_r| off the diagonal, in order.
    const auto& top = run.tables[5];
    ASSERT_EQ(top.size(), 5u);
    const auto& best = run.matrices[3].values;
    double previous = 2.0;
    for (std::size_t k = 0; k < 5; ++k) {
        const auto a = static_cast<std::size_t>(top.columns[2].ints[k]),
                   c = static_cast<std::size_t>(top.columns[3].ints[k]);
        ASSERT_LT(a, c);
        const double v = std::fabs(best[a * 11 + c]);
        EXPECT_LE(v, previous);
        previous = v;
        EXPECT_EQ(top.meta[k].id, in.meta[a].id);
        EXPECT_EQ(top.columns[1].strings[k], in.meta[c].id);
    }
    // No pair left out ranks above the last one taken.
    std::set<std::pair<std::int64_t, std::int64_t>> taken;
    for (std::size_t k = 0; k < 5; ++k) taken.insert({top.columns[2].ints[k], top.columns[3].ints[k]});
    for (std::size_t i = 0; i < 11; ++i)
        for (std::size_t j = i + 1; j < 11; ++j)
            if (!taken.count({static_cast<std::int64_t>(i), static_cast<std::int64_t>(j)}) &&
                !std::isnan(best[i * 11 + j])) {
                EXPECT_LE(std::fabs(best[i * 11 + j]), previous) << i << "," << j;
            }
}

TEST(pca_op, equals_the_one_process_kernel) {
    const auto in = grid_series(7, 9000, true);
    auto b = bind("pca", "{components: 2}");
    const auto run = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 4, 1);
    std::vector<series_view> views;
    for (std::size_t i = 0; i < in.size(); ++i) views.push_back(in.series(i));
    const auto want = pca(views, 2, true);
    test::expect_same_bits(run.matrices[2].values, want.model.loadings, "loadings");
    test::expect_same_bits(run.series[0].value, want.projections, "projections");
    test::expect_same_bits(run.tables[1].columns[1].floats, want.model.explained_variance, "explained variance");
    EXPECT_EQ(run.series[0].time.size(), 2u * 9000u);
}

TEST(kmeans_op, equals_the_one_process_kernel_on_the_same_chunk_grid) {
    const auto in = grid_series(50, 12, false);
    auto b = bind("kmeans", "{k: 4, seed: 3, n_init: 3}");
    // Chunks of 8 series on 5 ranks; the kernel folds over chunks of 8 rows too.
    const auto run = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 5, 8);
    std::vector<double> x;
    for (std::size_t i = 0; i < in.size(); ++i) x.insert(x.end(), in.series(i).value.begin(), in.series(i).value.end());
    kmeans_params p;
    p.k = 4;
    p.seed = 3;
    p.n_init = 3;
    p.chunk_rows = 8;
    const auto want = kmeans(x, 12, p);
    test::expect_same_bits(run.matrices[1].values, want.centroids, "centroids");
    for (std::size_t i = 0; i < in.size(); ++i)
        EXPECT_EQ(run.tables[0].columns[0].ints[i], static_cast<std::int64_t>(want.labels[i]));
    EXPECT_TRUE(test::same_bits(run.matrices[1].number_attrs.at("inertia"), want.inertia));
}

TEST(kmeans_op, reseeds_empty_clusters_with_rows_held_by_any_rank) {
    // Three distinct series among 24, k = 5: k-means++ repeats centres, their duplicates end
    // up empty, and the update re-seeds them with rows fetched from the ranks that hold them.
    series_batch in;
    for (std::size_t i = 0; i < 24; ++i) {
        auto sink = in.open_series({"s" + std::to_string(i), "m", "", i});
        for (std::size_t t = 0; t < 6; ++t)
            sink.push(static_cast<std::int64_t>(t), static_cast<double>((i * 7) % 3) * 10.0 + static_cast<double>(t));
        in.close_series();
    }
    auto b = bind("kmeans", "{k: 5, seed: 2, n_init: 2}");
    std::vector<double> x;
    for (std::size_t i = 0; i < in.size(); ++i) x.insert(x.end(), in.series(i).value.begin(), in.series(i).value.end());
    kmeans_params p;
    p.k = 5;
    p.seed = 2;
    p.n_init = 2;
    p.chunk_rows = 3;
    const auto want = kmeans(x, 6, p);
    EXPECT_EQ(want.inertia, 0.0);
    for (const int ranks : {1, 2, 3, 5, 8}) {
        SCOPED_TRACE(std::to_string(ranks) + " ranks");
        const auto run = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, ranks, 3);
        test::expect_same_bits(run.matrices[1].values, want.centroids, "centroids");
        for (std::size_t i = 0; i < in.size(); ++i)
            EXPECT_EQ(run.tables[0].columns[0].ints[i], static_cast<std::int64_t>(want.labels[i]));
    }
}

TEST(kmeans_op, clusters_table_columns) {
    table_batch t({{"a", column_type::float64, "", ""},
                   {"b", column_type::int64, "", ""},
                   {"name", column_type::string, "", ""}});
    for (int i = 0; i < 30; ++i) {
        t.meta.push_back({"s" + std::to_string(i), "m", "", static_cast<std::uint64_t>(i)});
        row_sink row(t);
        row.set(0, (i < 15 ? 0.0 : 100.0) + 0.1 * i);
        row.set(1, static_cast<std::int64_t>(i % 2));
        row.set(2, std::string("x"));
    }
    auto b = bind("kmeans", "{k: 2, features: table, columns: a}");
    const auto run = run_dataset_op(*b.def, *b.op.dataset, nullptr, &t, 3, 4);
    const auto& labels = run.tables[0].columns[0].ints;
    for (int i = 1; i < 30; ++i) EXPECT_EQ(labels[static_cast<std::size_t>(i)] == labels[0], i < 15) << i;
    EXPECT_EQ(run.matrices[1].cols, 1u);
    // A string column or a missing one is a parameter error naming the columns there are.
    auto bad = bind("kmeans", "{k: 2, features: table, columns: name}");
    try {
        run_dataset_op(*bad.def, *bad.op.dataset, nullptr, &t, 2, 4);
        FAIL() << "no error";
    } catch (const param_error& e) {
        EXPECT_EQ(e.param(), "columns");
        EXPECT_NE(std::string(e.what()).find("its numeric columns are a, b"), std::string::npos) << e.what();
    }
}

TEST(dataset_ops_errors, pca_names_the_first_series_off_the_grid) {
    auto in = grid_series(6, 20, false);
    in.time[in.offset[4] + 3] += 1;  // series 4 leaves the grid
    auto b = bind("pca", "{components: 1}");
    for (int ranks : {1, 3}) {
        try {
            run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, ranks, 2);
            FAIL() << "no error";
        } catch (const std::exception& e) {
            EXPECT_NE(std::string(e.what()).find("series 's4' (row 4) does not share the timestamps of 's0'"),
                      std::string::npos)
                << e.what();
        }
    }
}

TEST(dataset_ops_errors, k_above_the_series_count) {
    const auto in = grid_series(6, 20, false);
    auto b = bind("kmeans", "{k: 7}");
    try {
        run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 2, 2);
        FAIL() << "no error";
    } catch (const param_error& e) {
        EXPECT_EQ(e.param(), "k");
        EXPECT_NE(std::string(e.what()).find("must not exceed the number of series (6), got 7"), std::string::npos);
    }
}

TEST(dataset_ops_errors, kmeans_values_with_nan_names_series_and_time) {
    const auto in = grid_series(6, 50, true);
    auto b = bind("kmeans", "{k: 2}");
    try {
        run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 3, 2);
        FAIL() << "no error";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("has a missing or non-finite value at 1970-01-0"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace tsbatch
