#pragma once
// The tile engine of the dataset-wide `correlation` operator: every pair (i, j), i <= j, of
// two blocks of series, computed sub-tile by sub-tile and written with its mirror to the
// matrix sinks. The ring over all series (correlation_op.cpp) and the per-context matrices of
// `group_by` (correlation_contexts.cpp) both drive it; neither knows how a pair is computed.
//
// Pair index: each series of a block has an index in the matrix's pair order (`first` + its
// place in the block): its global row, or its variable within a context. The pair (i, j),
// i <= j, is computed as correlate(x_i, x_j), or in the BLAS product of its sub-tile when both
// are complete on one grid; either way its bits depend on the data only, as long as blocks
// start on the grid of sub-tiles; (j, i) is its mirror (same r, lag negated).
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "algo/dataset_operator.hpp"
#include "algo/kernels/correlation.hpp"
#include "algo/kernels/correlation_dot.hpp"
#include "core/memory.hpp"

namespace tsbatch {

/// Sub-tiles are this many pairs square and follow the global grid of pair indices: four of
/// the result file's matrix chunks (staged.hpp, matrix_tile) a side when the matrix rows are
/// pairs, so a sub-tile is written as whole chunks. Each sub-tile's complete series on one
/// grid meet in one BLAS product, whose bits depend on the whole product
/// (correlation_dot.hpp): a caller must cut its blocks on this grid (the ring does, and a
/// context's matrix is one block), so that every sub-tile is whole and its product the same
/// on any rank count. Why 1024: BLAS packs both sides of every product afresh, and once the
/// series outgrow the cache that packing costs. Tiled products of 4,096 series x 10,000
/// points against one dsyrk of them all, OpenBLAS 0.3.21 on one core: tiles of 512 took
/// 12 % longer (Prescott kernels) and 20 % (SkylakeX), 1024 0 % and 7 %, 2048 2 % and 3 %;
/// 256 took a fifth longer still. Larger tiles would leave ranks without work on smaller N.
inline constexpr std::size_t corr_sub_tile = 1024;

/// A block of series readied for the dot-product form (correlation_dot.hpp): each series'
/// state and unit vector, and the index of its time grid (series with identical time axes,
/// or lengths when aligned by index, share one), with one representative per grid. The unit
/// vectors lie one after the other in `values`, so consecutive usable series of one grid are
/// the rows of one matrix, which the BLAS product reads in place.
struct corr_prepared_block {
    std::vector<corr_unit_vector::state> state;
    std::vector<std::size_t> offset;  ///< start of series i's unit vector in `values` (usable only)
    std::vector<double, unset_on_resize<double>> values;  ///< written whole by prepare_block
    std::vector<int> grid;
    std::vector<series_view> grid_rep;

    const double* unit(std::size_t i) const noexcept { return values.data() + offset[i]; }
};

corr_prepared_block prepare_block(const std::vector<series_view>& block, const corr_params& p);

/// A block of series as the tile engine sees it.
struct corr_block {
    const std::vector<series_view>& series;
    const corr_prepared_block& prep;
    std::uint64_t first = 0;  ///< pair index of series[0]
    /// Input row of each series (names the pair in top_pairs); empty: `first` + place.
    const std::vector<std::uint64_t>* input_rows = nullptr;
    /// Per series, false where the slot holds no series (a variable absent from a context):
    /// its pairs are NaN, computed by nobody and counted nowhere. Null: all present.
    const std::vector<char>* present = nullptr;

    std::uint64_t input_row(std::size_t k) const { return input_rows ? (*input_rows)[k] : first + k; }
    bool is_present(std::size_t k) const { return !present || (*present)[k]; }
};

/// One pair for the top-pairs table.
struct corr_pair_candidate {
    double key = 0;                      ///< |r| that ranks it
    std::uint64_t a = 0, b = 0;          ///< input rows of the two series
    std::uint64_t a_row = 0, b_row = 0;  ///< their matrix rows
    double r = 0, best_r = 0;
    std::int64_t pairs = 0, lag = 0;
};

/// Larger |r| first, then the lower rows: a total order, so any rank count picks the same.
bool ranks_before(const corr_pair_candidate& x, const corr_pair_candidate& y);

/// The best `limit` candidates offered (kept as a heap whose top is the worst kept).
class top_pairs_keeper {
public:
    explicit top_pairs_keeper(std::size_t limit) : limit_(limit) {}
    void offer(const corr_pair_candidate& c);
    /// False when a candidate of this key cannot be kept (a quick test before building one).
    bool may_take(double key) const noexcept {
        return limit_ != 0 && (heap_.size() < limit_ || key >= heap_.front().key);
    }
    std::vector<corr_pair_candidate> sorted() const;

private:
    std::size_t limit_;
    std::vector<corr_pair_candidate> heap_;
};

/// Where the results of a tile go.
struct corr_tile_target {
    /// r, overlap (left out when the matrix is created holding one overlap everywhere), then
    /// best_r and lag with max_lag: create_pair_matrices().
    std::vector<matrix_sink*> sinks;
    /// Pair (i, j) lands at matrix row `row_offset` + i, column j (a context's place in the
    /// stacked per-context matrices; 0 for the N x N matrix).
    std::uint64_t row_offset = 0;
    top_pairs_keeper* top = nullptr;
    std::array<std::uint64_t, corr_status_count>* status_counts = nullptr;
    /// Called for every present pair i <= j (diagonal included) with its result.
    std::function<void(std::uint64_t i, std::uint64_t j, const corr_result&)> on_pair;
};

/// The sizes of the sub-tile pieces of `count` consecutive pair indices from `first`, on the
/// global grid of corr_sub_tile (the first and the last piece may be shorter).
std::vector<std::size_t> sub_tile_pieces(std::uint64_t first, std::size_t count);

/// Every pair (i, j) of rows x cols with i <= j (pair indices), in sub-tiles; each sub-tile
/// is written at its place and mirrored. `diagonal`: rows and cols are the same block.
/// Only the sub-tiles [first_sub_tile, end_sub_tile) are taken, counted row by row (the tile
/// that the half step of the ring shares between two ranks).
void correlate_tile(const corr_block& rows, const corr_block& cols, bool diagonal, const corr_params& p,
                    corr_tile_target& target, std::size_t first_sub_tile = 0,
                    std::size_t end_sub_tile = static_cast<std::size_t>(-1));

}  // namespace tsbatch
