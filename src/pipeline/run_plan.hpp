#pragma once
// The plan of a `tsbatch run`: which input series it reads, in which order, and how they are
// cut into chunks and spread over the ranks, and the --dry-run listing of that plan. Kept
// apart from the input file so that it is pure (no HDF5, no MPI): every rank computes the same
// plan alone from the same selection and counts, and a test checks it in one process.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/series.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"

namespace tsbatch {

/// The input rows a run reads, in run order.
struct series_selection {
    std::vector<std::uint64_t> rows;   ///< rows of the input collection
    std::vector<std::uint8_t> joined;  ///< joined[i] != 0: rows i and i+1 are one group; empty: no groups
};

/// The rows of an input of `n` series that `sel` (input.select) matches, ascending (every
/// row when it selects by neither metric nor tag). With `group_tag` (a step needs whole
/// groups, cut_by_reference) they are then ordered by that tag's value so that each group is
/// a run of consecutive rows: stable, so storage order holds within a group; rows without the
/// tag come first, each alone. `metrics` is read only when `sel` selects series, `tags` only
/// then or with `group_tag`; otherwise either may be empty. Each holds one entry per row.
series_selection select_series(std::uint64_t n, const std::vector<std::string>& metrics,
                               const std::vector<std::string>& tags, const select_config& sel,
                               const std::optional<std::string>& group_tag);

/// Reads the input series at `rows`, in that order (what a phase asks of the input file).
/// `reuse` is a batch the caller is done with (or empty): a reader may fill it in place,
/// sparing the zeroing of fresh point buffers (a tenth of a fast run's time).
using row_reader = std::function<series_batch(std::span<const std::uint64_t> rows, series_batch&& reuse)>;

struct run_plan {
    std::vector<std::uint64_t> rows;    ///< selected rows of the input collection, in run order
    std::vector<std::uint64_t> counts;  ///< their point counts
    std::uint64_t total_points = 0;
    decomposition split;  ///< chunks of `rows` (independent of the rank count), each rank's run of them

    /// The input rows of chunk `k`.
    std::span<const std::uint64_t> rows_of_chunk(std::size_t k) const;
    /// Points of the series `rank` computes.
    std::uint64_t points_of_rank(int rank) const;
};

/// The chunks and each rank's contiguous run of them (run.balance, run.chunk_points,
/// run.chunk_series), never splitting a group. `input_counts` holds every input row's points.
run_plan plan_run(series_selection sel, std::span<const std::uint64_t> input_counts, const step_pipeline& pipeline,
                  const run_config& cfg, int nranks);

/// What --dry-run prints: the selection, the steps, each rank's share and the estimated
/// imbalance. `input_name` is "path" or "path:group", `input_series` its series count.
void print_dry_run(std::FILE* out, const run_plan& plan, const run_config& cfg, const std::string& config_path,
                   const std::string& input_name, std::uint64_t input_series, int nranks);

}  // namespace tsbatch
