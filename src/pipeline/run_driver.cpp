// `tsbatch run` as a sequence of phases, each in its own file with the state it hands on:
// run_input (the input file and its selection) -> run_plan (chunks and ranks) ->
// run_compute (the series-wise steps, checkpointed) -> run_commit (the result file) ->
// run_summary (summary and report) -> run_publish (OpenTSDB). This file only orders them.
#include "pipeline/run_driver.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "algo/kernels/blas.hpp"
#include "build_info.hpp"
#include "core/error.hpp"
#include "core/process_clock.hpp"
#include "pipeline/chunk_reader.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"
#include "pipeline/report_results.hpp"
#include "pipeline/run_commit.hpp"
#include "pipeline/run_compute.hpp"
#include "pipeline/run_input.hpp"
#include "pipeline/run_plan.hpp"
#include "pipeline/run_publish.hpp"
#include "pipeline/run_summary.hpp"
#include "pipeline/staged_output.hpp"

namespace tsbatch {

std::string read_config_text(const comm& c, const std::string& path) {
    std::string text, error;
    if (c.is_root()) {
        std::ifstream f(path, std::ios::binary);
        if (!f) {
            error = path + ": cannot read the config file (" +
                    (std::filesystem::exists(path) ? "permission denied" : "no such file") + ")";
        } else {
            std::ostringstream ss;
            ss << f.rdbuf();
            text = ss.str();
        }
    }
    error = c.broadcast(error);
    if (!error.empty()) throw config_error(error);
    return c.broadcast(text);
}

// A correlation step runs its products through OpenBLAS, whose choice of kernels the user
// may need to correct (blas.hpp).
void warn_about_blas_kernels(const comm& c, const run_config& cfg) {
    if (!c.is_root()) return;
    for (const auto& step : cfg.steps)
        if (step.op == "correlation") {
            const std::string hint = blas_kernel_hint();
            if (!hint.empty()) std::fprintf(stderr, "tsbatch: warning: %s\n", hint.c_str());
            return;
        }
}

// Whether reading the input, spilling outputs and writing matrix tiles run on threads beside
// the computing (compute_options::io_threads, write_result): one process (its files have no
// MPI-IO driver, so their I/O makes no MPI call) with a second CPU. TSBATCH_IO_THREADS=0
// turns it off.
bool io_threads(const comm& c) {
    const char* v = std::getenv("TSBATCH_IO_THREADS");
    if (v != nullptr && std::string_view(v) == "0") return false;
    return c.size() == 1 && usable_cpus() >= 2;
}

// Every phase is collective; rank 0 alone prints.
int run_pipeline(const comm& c, const run_request& req) {
    const run_clock clock;
    fixed_costs fixed;
    fixed.start_s = seconds_since_process_start();
    const run_config cfg = parse_run_config(read_config_text(c, req.config_path), req.config_path, req.overrides);
    const step_pipeline pipeline(cfg);
    check_publish_settings(cfg);  // fail before computing
    warn_about_blas_kernels(c, cfg);

    run_input input = open_run_input(c, cfg, pipeline);
    const run_plan plan = plan_run(std::move(input.selection), input.file->counts(), pipeline, cfg, c.size());
    if (req.dry_run) {
        if (c.is_root())
            print_dry_run(stdout, plan, cfg, req.config_path, input.name, input.file->series_count(), c.size());
        return 0;
    }
    remove_abandoned_output(c, cfg.output.path);  // its space may be needed by this run
    const row_reader read = [&input](std::span<const std::uint64_t> rows, series_batch&& reuse) {
        return read_rows(*input.file, rows, std::move(reuse));
    };

    const auto checkpoint = open_run_checkpoint(
        c, cfg, plan, std::string("tsbatch ") + TSBATCH_VERSION + " " + TSBATCH_GIT_ID, req.restart);
    fixed.setup_s = clock.seconds();
    const bool threads = io_threads(c);
    computed_run run = compute_chunks(c, cfg, pipeline, plan, input.name, read, checkpoint.get(),
                                      {.spool_outputs = true, .io_threads = threads});

    const run_outcome outcome = write_result(c, cfg, pipeline, {req.config_path, req.command_line, clock.start_ms},
                                             plan, run, gather_step_totals(c, cfg, run.ex), checkpoint.get(), threads);
    if (checkpoint) remove_checkpoint(c, *checkpoint);

    if (c.is_root()) {
        // The report first, so that the summary can say what it cost.
        const double before_report = clock.seconds();
        write_report(cfg, req.config_path, std::string(TSBATCH_VERSION) + " (" + TSBATCH_GIT_ID + ")", clock, plan,
                     outcome, run.sampled, read, [&](std::vector<report_sample>& samples) {
                         return read_report_results(cfg, *input.file, samples);
                     });
        fixed.finish_s = outcome.finish_s;
        fixed.report_s = clock.seconds() - before_report;
        print_run_summary(stdout, cfg, req.config_path, plan, outcome, before_report, fixed);
    }
    input.file.reset();
    if (cfg.output.opentsdb) publish_to_opentsdb(c, cfg, *cfg.output.opentsdb, run.ex);
    if (cfg.output.postgres) publish_to_postgres(c, cfg, *cfg.output.postgres, run.ex);
    return outcome.skipped > 0 ? static_cast<int>(exit_code::series_skipped) : 0;
}

}  // namespace tsbatch
