#pragma once
// What the two modes of the dataset-wide `correlation` operator share: its settings, its
// outputs, and the finishing of the pair outputs. The N x N ring is in correlation_op.cpp,
// the per-context matrices of `group_by` in correlation_contexts.cpp.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "algo/dataset/correlation_tiles.hpp"
#include "algo/dataset_operator.hpp"
#include "algo/kernels/correlation.hpp"
#include "algo/param_fields.hpp"

namespace tsbatch {

struct correlation_settings {
    corr_params corr;
    std::size_t top_pairs = 100;
    std::string group_by;  ///< tag naming each series' context; empty: one context, the N x N matrix

    static const param_fields<correlation_settings>& fields();
};

/// Output indices, as in make_correlation_def().
enum correlation_output : std::size_t {
    corr_out_series,
    corr_out_r,
    corr_out_overlap,
    corr_out_best_r,
    corr_out_lag,
    corr_out_top_pairs,
    corr_out_r_mean,
    corr_out_r_variance,
    corr_out_r_contexts,
};

/// Collective: creates r and overlap (and best_r and lag with max_lag) as rows x cols
/// matrices and returns the sinks the tiles write, in corr_tile_target's order. With
/// `every_overlap` (the same on every rank), the overlap matrix holds that value everywhere
/// and is left out of the sinks.
std::vector<matrix_sink*> create_pair_matrices(const correlation_settings& s, dataset_outputs& out, std::uint64_t rows,
                                               std::uint64_t cols, const matrix_axes& axes,
                                               std::optional<double> every_overlap = std::nullopt);

/// Collective: the attrs of r (why pairs are NaN, method, alignment) and the top_pairs table
/// on rank 0 from every rank's best pairs. `meta`/`first_row`: this rank's input rows, which
/// name the pairs.
void finish_pair_outputs(const comm& c, const correlation_settings& s,
                         std::array<std::uint64_t, corr_status_count> status_counts, const top_pairs_keeper& top,
                         const std::vector<series_meta>& meta, std::uint64_t first_row, dataset_outputs& out);

/// The ring of the N x N matrix (correlation_op.cpp): the first row of block q of R, the
/// blocks being the sub-tile rows [q S / R, (q + 1) S / R) of the S that the `total` rows make,
/// so that every block starts on the grid of sub-tiles.
std::uint64_t ring_block_start(std::uint64_t q, std::uint64_t R, std::uint64_t total);

/// For even R, step R/2 of the ring meets each pair of blocks (`low` and low + R/2) on both of
/// their ranks, which share the tile by whole sub-tiles counted row by row: the lower block's
/// rank takes the first ones. This returns how many: the split where the pairs each of the two
/// ranks computes over the whole ring (its own triangle, whole tiles at the steps before,
/// and its share here) come closest. It depends on the block sizes alone, so both ranks agree.
std::size_t ring_half_step_split(std::uint64_t low, std::uint64_t R, std::uint64_t total);

/// Collective: the group_by mode (correlation_contexts.cpp).
void correlate_by_context(const correlation_settings& s, const dataset_input& in, const comm& c, dataset_outputs& out);

}  // namespace tsbatch
