#pragma once
// The compute phase of a `tsbatch run`: each rank's chunks read, run through the series-wise
// steps and, with run.checkpoint, recorded one by one (or taken from the checkpoint), then the
// totals of every step over all ranks. It reads through a row_reader and writes nothing but
// checkpoint files, so a test runs exactly this loop on simulated ranks without HDF5.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "parallel/comm.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"
#include "pipeline/output_spool.hpp"
#include "pipeline/run_plan.hpp"
#include "report/run_report.hpp"

namespace tsbatch {

/// Where the points of one output of a series-wise step go while the chunks are computed:
/// a stream of the run's output_spool (0, 1, ...), or one of these.
enum point_route : int {
    points_in_memory = -1,  ///< kept with the rows in computed_run::ex (tables; series a dataset-wide step reads)
    points_dropped = -2,    ///< neither written nor read again: only the rows are kept
};

/// The route of every output of every series-wise step (route[step][output]), as
/// compute_chunks(..., {.spool_outputs = true}) takes them: a kept series output goes to a spool
/// stream, numbered in step and output order, unless a kept dataset-wide step reads it (it
/// needs the whole slab in memory); a series output not kept is dropped unless a dataset-wide
/// step reads it; tables stay in memory.
std::vector<std::vector<int>> route_points(const run_config& cfg, const step_pipeline& pipeline);

/// What this rank computed, and the counts the ranks agreed on afterwards.
struct computed_run {
    /// This rank's rows of every series-wise step, chunk after chunk. A series output whose
    /// route is not points_in_memory holds its rows (meta and offsets) but no points: they are
    /// in `spool` (or gone), and its offsets index the spool stream.
    execution ex;
    std::vector<std::vector<int>> route;  ///< route[step][output]: point_route or a stream of `spool`
    std::unique_ptr<output_spool> spool;  ///< the points of the streamed outputs; null when none are
    /// Rank 0: the series of the report's sample rows (report_sample_rows) in every series
    /// output, with the steps of `ex`; empty on other ranks.
    execution sampled;
    chunk_row_counts chunk_rows;  ///< rows of each output in each of this rank's chunks
    /// This rank's valid source series (input.select's time range applied, the series
    /// check_series rejects left out), chunk after chunk, kept while the chunks are computed
    /// when a kept dataset-wide step reads the source (dataset_steps_read_source); empty
    /// otherwise. `source_rows` holds the series of each chunk.
    series_batch source;
    std::vector<std::size_t> source_rows;
    report_rank timing;               ///< this rank's series, points, read and compute seconds (write_s 0)
    std::uint64_t chunks_reused = 0;  ///< chunks loaded from the checkpoint, all ranks
    std::uint64_t skipped = 0;        ///< series skipped as invalid (run.on_series_error: skip), all ranks
};

/// One output of one step over all ranks: a row of /_run_steps and of the summary.
struct step_total {
    std::string name;  ///< "step", or "step/output" for a step with several outputs
    std::string op;
    std::uint64_t rows = 0, points = 0, empty = 0;
    double seconds = 0;  ///< the slowest rank's
    bool kept = true;    ///< written to the result (output.keep)
};

/// Collective (agreed). With run.checkpoint, the directory of finished chunks, checked against
/// this run's fingerprint (`program`, the input file's path, size and mtime, the chunk count
/// and the effective config), and the stop handlers installed (SIGTERM, SIGUSR1); rank 0 opens
/// it first (creating it, or emptying it with `restart`). Without run.checkpoint, null.
/// `program` names the build: "tsbatch VERSION GIT".
std::unique_ptr<checkpoint_store> open_run_checkpoint(const comm& c, const run_config& cfg, const run_plan& plan,
                                                      const std::string& program, bool restart);

/// How compute_chunks runs.
struct compute_options {
    /// The points of each output go where route_points() sends them, so that a rank holds at
    /// most run.output_memory_mb MiB of them in memory; without, every output stays whole in
    /// `ex`.
    bool spool_outputs = false;
    /// I/O on threads beside the computing: each chunk read while the one before is computed
    /// (chunk_reader.hpp), spilled outputs written to their files (output_spool). Only where
    /// `read` makes no MPI call and the process has a second CPU.
    bool io_threads = false;
};

/// Collective. Runs this rank's chunks of `plan` one after the other, each read through
/// `read` (with input.select's time range), computed and, with a `checkpoint`, recorded on
/// its own; chunks already recorded are loaded instead (a damaged one is computed again,
/// with a warning) and read only when the source is kept. Rank 0 shows progress on stderr.
/// A stop signal ends the loop after the chunk in hand and then the whole run:
/// interrupted_error (exit 75) on every rank.
computed_run compute_chunks(const comm& c, const run_config& cfg, const step_pipeline& pipeline, const run_plan& plan,
                            const std::string& input_name, const row_reader& read, checkpoint_store* checkpoint,
                            const compute_options& options = {});

/// The input rows whose series the run report shows: rank 0's first, middle and last.
std::vector<std::uint64_t> report_sample_rows(const run_plan& plan);

/// Collective. Per output of every series-wise step of `ex`, over all ranks: series (or table
/// rows) and points out (counted from the offsets, so that a streamed output counts too),
/// empty output series (or table rows with a non-empty `reason` column: no result for that
/// series, as features gives), the slowest rank's seconds. Empty outputs are counted because
/// operators such as cut may legitimately produce them, and a user must see that rather than
/// find them later.
std::vector<step_total> gather_step_totals(const comm& c, const run_config& cfg, const execution& ex);

/// Whether a kept dataset-wide step reads the source series: compute_chunks then keeps them
/// (computed_run::source) rather than the input being read a second time.
bool dataset_steps_read_source(const run_config& cfg, const step_pipeline& pipeline);

}  // namespace tsbatch
