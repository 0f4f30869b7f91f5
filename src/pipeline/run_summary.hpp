#pragma once
// What a finished `tsbatch run` tells about itself: the summary rank 0 prints on stdout and
// the HTML run report next to the result. Kept apart from the phases that do the work so
// that both are pure functions of what those phases produced (plus a row_reader for the
// report's sample series), testable in one process without HDF5 or MPI.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"
#include "pipeline/run_compute.hpp"
#include "pipeline/run_plan.hpp"
#include "report/run_report.hpp"

namespace tsbatch {

/// When a run started, on both clocks: the wall clock for the provenance and the report, the
/// steady clock for its duration.
struct run_clock {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::int64_t start_ms = wall_ms();

    /// Seconds since the start.
    double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); }
    /// The wall clock now, ms since the epoch.
    static std::int64_t wall_ms() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

/// Seconds a run pays whatever its size (rank 0's), listed in the run summary.
struct fixed_costs {
    double start_s = 0;   ///< process start to the run's first step: loading, MPI start (none without a launcher)
    double setup_s = 0;   ///< reading the config, opening the input, the plan and the checkpoint
    double finish_s = 0;  ///< provenance, the run's tables, closing and renaming the result file
    double report_s = 0;  ///< the HTML report
};

/// What the run did, all ranks together, once the result is committed.
struct run_outcome {
    int ranks = 0;
    std::vector<step_total> steps;       ///< series-wise steps' outputs, then dataset-wide steps'
    std::vector<report_rank> rank_work;  ///< one per rank, in rank order (a row of /_run_ranks)
    std::vector<std::string> rank_hosts; ///< each rank's host name, in rank order
    std::uint64_t skipped = 0;           ///< series skipped as invalid
    std::uint64_t chunks_reused = 0;     ///< chunks taken from the checkpoint
    std::uint64_t spilled_bytes = 0;     ///< series outputs held in temporary files (beyond run.output_memory_mb), all ranks
    double finish_s = 0;                 ///< provenance, run tables, close and rename (fixed_costs)
};

/// The summary of a run that took `total_s` seconds: throughput, balance, checkpoint use,
/// per-rank work, per-step totals and the skipped series.
void print_run_summary(std::FILE* out, const run_config& cfg, const std::string& config_path, const run_plan& plan,
                       const run_outcome& o, double total_s, const fixed_costs& fixed = {});

/// Everything the report shows but the times, the version and the sample series.
run_report_data report_data(const run_config& cfg, const std::string& config_path, const run_plan& plan,
                            const run_outcome& o);

/// Up to three series of rank 0's share (its first, middle and last), as read and as each
/// series step of `ex` (rank 0's rows) left them.
std::vector<report_sample> report_samples(const run_config& cfg, const run_plan& plan, const execution& ex,
                                          const row_reader& read);

/// Where the report of a result goes: "out.h5" -> "out.report.html", "out" -> "out.report.html".
std::string report_path_of(const std::string& output_path);

/// Rank 0 only: writes the report next to the result (report_path_of). A report that cannot
/// be written is a warning on stderr: the result itself is complete. `version` is
/// "VERSION (GIT)". `dataset`, when given, reads the dataset-wide steps' results back and adds
/// what belongs to the samples (pipeline/report_results.hpp: it needs HDF5, which this layer
/// does not).
void write_report(const run_config& cfg, const std::string& config_path, const std::string& version,
                  const run_clock& clock, const run_plan& plan, const run_outcome& o, const execution& ex,
                  const row_reader& read,
                  const std::function<report_dataset_results(std::vector<report_sample>&)>& dataset = {});

}  // namespace tsbatch
