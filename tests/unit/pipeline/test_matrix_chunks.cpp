// matrix_chunk_writer: whatever tiles the ranks write, the file only ever sees whole chunks,
// each written once, and the matrix holds every tile's values.
#include <gtest/gtest.h>

#include <cmath>
#include <mutex>
#include <random>

#include "simulated_comm.hpp"
#include "pipeline/matrix_chunks.hpp"

namespace tsbatch {
namespace {

constexpr std::uint64_t chunk = 16;

struct recorded_file {
    std::uint64_t rows, cols;
    std::vector<double> values;
    std::vector<int> chunk_writes;
    std::mutex lock;

    recorded_file(std::uint64_t r, std::uint64_t c)
        : rows(r), cols(c), values(r * c, std::nan("")),
          chunk_writes(((r + chunk - 1) / chunk) * ((c + chunk - 1) / chunk), 0) {}

    void write(std::uint64_t r0, std::uint64_t c0, std::uint64_t nr, std::uint64_t nc, std::span<const double> v) {
        std::lock_guard<std::mutex> g(lock);
        const auto whole = [](std::uint64_t at, std::uint64_t n, std::uint64_t size) {
            return at % chunk == 0 && ((at + n) % chunk == 0 || at + n == size);
        };
        EXPECT_TRUE(whole(r0, nr, rows) && whole(c0, nc, cols))
            << "a write of part of a chunk: " << r0 << "," << c0 << " " << nr << "x" << nc;
        for (std::uint64_t i = 0; i < nr; ++i)
            for (std::uint64_t j = 0; j < nc; ++j) values[(r0 + i) * cols + c0 + j] = v[i * nc + j];
        const std::uint64_t chunk_cols = (cols + chunk - 1) / chunk;
        for (std::uint64_t ci = r0 / chunk; ci * chunk < r0 + nr; ++ci)
            for (std::uint64_t cj = c0 / chunk; cj * chunk < c0 + nc; ++cj) ++chunk_writes[ci * chunk_cols + cj];
    }
};

// Random cuts of [0, size) into pieces of 1..max_piece.
std::vector<std::uint64_t> cuts(std::uint64_t size, std::uint64_t max_piece, std::mt19937_64& g) {
    std::vector<std::uint64_t> at{0};
    while (at.back() < size) at.push_back(std::min(size, at.back() + 1 + g() % max_piece));
    return at;
}

class matrix_chunks_ranks : public ::testing::TestWithParam<int> {};

TEST_P(matrix_chunks_ranks, tiles_from_any_ranks_become_whole_chunks) {
    const int ranks = GetParam();
    for (std::uint64_t seed : {1u, 2u, 3u}) {
        std::mt19937_64 g(seed);
        const std::uint64_t rows = 37 + g() % 60, cols = 20 + g() % 70;
        const auto row_cuts = cuts(rows, 23, g), col_cuts = cuts(cols, 23, g);
        // Each tile goes to a random rank.
        struct tile {
            std::uint64_t r0, c0, nr, nc;
            int rank;
        };
        std::vector<tile> tiles;
        for (std::size_t a = 0; a + 1 < row_cuts.size(); ++a)
            for (std::size_t b = 0; b + 1 < col_cuts.size(); ++b)
                tiles.push_back({row_cuts[a], col_cuts[b], row_cuts[a + 1] - row_cuts[a], col_cuts[b + 1] - col_cuts[b],
                                 static_cast<int>(g() % static_cast<std::uint64_t>(ranks))});
        recorded_file file(rows, cols);
        run_simulated(ranks, [&](const comm& c) {
            matrix_chunk_writer w(rows, cols, chunk,
                                  [&](std::uint64_t r0, std::uint64_t c0, std::uint64_t nr, std::uint64_t nc,
                                      std::span<const double> v) { file.write(r0, c0, nr, nc, v); });
            for (const auto& t : tiles) {
                if (t.rank != c.rank()) continue;
                std::vector<double> v;
                for (std::uint64_t i = 0; i < t.nr; ++i)
                    for (std::uint64_t j = 0; j < t.nc; ++j) v.push_back(static_cast<double>((t.r0 + i) * cols + t.c0 + j));
                w.write(t.r0, t.c0, t.nr, t.nc, v);
            }
            w.finish(c);
            EXPECT_EQ(w.pending_chunks(), 0u);
        });
        for (std::uint64_t k = 0; k < rows * cols; ++k) ASSERT_EQ(file.values[k], static_cast<double>(k)) << k;
        for (int n : file.chunk_writes) EXPECT_EQ(n, 1);
    }
}

INSTANTIATE_TEST_SUITE_P(simulated, matrix_chunks_ranks, ::testing::Values(1, 2, 3, 5));

TEST(matrix_chunks, tiles_on_the_grid_go_straight_to_the_file) {
    recorded_file file(40, 33);
    matrix_chunk_writer w(40, 33, chunk, [&](std::uint64_t r0, std::uint64_t c0, std::uint64_t nr, std::uint64_t nc,
                                             std::span<const double> v) { file.write(r0, c0, nr, nc, v); });
    w.write(16, 32, 24, 1, std::vector<double>(24, 1.0));  // last chunk row and column, to the edges
    EXPECT_EQ(w.pending_chunks(), 0u);
    w.write(0, 0, 8, 16, std::vector<double>(128, 2.0));  // half a chunk: held
    EXPECT_EQ(w.pending_chunks(), 1u);
    w.write(8, 0, 8, 16, std::vector<double>(128, 3.0));  // the other half: written whole
    EXPECT_EQ(w.pending_chunks(), 0u);
    EXPECT_EQ(file.values[0], 2.0);
    EXPECT_EQ(file.values[15 * 33 + 15], 3.0);
    EXPECT_EQ(file.values[39 * 33 + 32], 1.0);
}

TEST(matrix_chunks, a_tile_outside_the_matrix_is_an_internal_error) {
    matrix_chunk_writer w(10, 10, chunk, [](auto, auto, auto, auto, auto) {});
    EXPECT_THROW(w.write(5, 5, 6, 1, std::vector<double>(6, 0.0)), std::exception);
}

}  // namespace
}  // namespace tsbatch
