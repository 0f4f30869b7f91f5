#pragma once
// The commit phase of a `tsbatch run`: the result file written collectively (every kept
// series-wise step, the dataset-wide steps, provenance, /_run_steps, /_run_ranks,
// /_run_skipped) and given its final name only when complete, then the checkpoint removed.
// The one place a run writes HDF5; everything it writes comes from the earlier phases.
#include <cstdint>
#include <string>
#include <vector>

#include "parallel/comm.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"
#include "pipeline/run_compute.hpp"
#include "pipeline/run_plan.hpp"
#include "pipeline/run_summary.hpp"

namespace tsbatch {

/// What the provenance records besides the config: the command and when it started.
struct run_origin {
    std::string config_path;
    std::string command_line;
    std::int64_t start_ms = 0;  ///< wall clock, ms since the epoch
};

/// Collective. Writes cfg.output.path: the kept steps of `run`, then the dataset-wide steps
/// (on run.source when they read the source; it is released after them), provenance (DESIGN §3) and
/// the run tables, and commits it. Creating the file is agreed (a bad destination fails alike
/// everywhere and is reported once); the writes after it are collective I/O, except the
/// dataset-wide steps, whose errors every rank agrees on (exit 3, the unfinished file removed).
/// The outcome's steps are `series_totals` followed by the dataset-wide steps' totals. The
/// dataset-wide steps record finished work in `checkpoint` when there is one. The spool of
/// `run` is released once the series-wise steps are written. With `io_threads` (as
/// compute_options::io_threads), matrix tiles are written on a thread of their own while the
/// dataset-wide step computes the next.
run_outcome write_result(const comm& c, const run_config& cfg, const step_pipeline& pipeline, const run_origin& origin,
                         const run_plan& plan, computed_run& run, std::vector<step_total> series_totals,
                         checkpoint_store* checkpoint = nullptr, bool io_threads = false);

/// Collective. Rank 0 removes the checkpoint directory once every rank is done reading it.
void remove_checkpoint(const comm& c, const checkpoint_store& checkpoint);

}  // namespace tsbatch
