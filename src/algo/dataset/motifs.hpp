#pragma once
// The distributed `motifs` search: every rank encodes its own windows with the kernels
// (algo/kernels/motifs.hpp, which holds the whole contract), the words' buckets are spread
// over the ranks in exchange rounds, and the selection of groups is agreed so that the
// result is the same on every rank for any number of ranks.
#include <cstdint>
#include <span>
#include <vector>

#include "algo/kernels/motifs.hpp"
#include "core/series.hpp"
#include "parallel/comm.hpp"

namespace tsbatch {

/// Counts over the whole run (identical on every rank).
struct motif_stats {
    std::uint64_t windows = 0;         ///< windows on the grid of every series
    std::uint64_t skipped_nan = 0;     ///< ... holding a NaN or an infinity
    std::uint64_t skipped_flat = 0;    ///< ... flat (std <= 1e-13 |mean|)
    std::uint64_t entries = 0;         ///< bucket entries (home + visitors)
    std::uint64_t buckets = 0;         ///< distinct words
    std::uint64_t split_buckets = 0;   ///< buckets above max_bucket, cut into pieces
    std::uint64_t largest_bucket = 0;  ///< entries of the largest bucket
    std::uint64_t candidates = 0;      ///< groups selected within their bucket pieces
    std::uint64_t rounds = 0;          ///< exchange rounds
};

struct motif_result {
    std::vector<motif_group> groups;  ///< the selection, best first (at most top_k)
    motif_stats stats;
};

/// Collective: the top_k motif groups of every series of the run, identical on every rank
/// for any number of ranks. `local_series` are this rank's series, whose global rows are
/// first_row, first_row + 1, ...; series shorter than the window have no windows. Throws
/// param_error (check_motif_params, the same on every rank) and, on every rank, input_error
/// when the window is longer than every series of the run (naming both lengths). Errors of
/// one rank's local work reach every rank (agreed_phase).
motif_result find_motifs(const comm& c, std::span<const series_view> local_series, std::uint64_t first_row,
                         const motif_params& p);

}  // namespace tsbatch
