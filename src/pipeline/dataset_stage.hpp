#pragma once
// The dataset-wide steps of `tsbatch run` (correlation, pca, kmeans ...): after every
// series-wise step, each runs once over all ranks' rows and writes its outputs into the
// result file being written (matrix tiles as they are computed, so no rank ever holds a
// whole N x N matrix). Built into the executable: it writes through staged_writer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/staged.hpp"
#include "parallel/comm.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"

namespace tsbatch {

struct dataset_stage_inputs {
    const run_config& cfg;
    const step_pipeline& pipeline;
    const execution& series_results;  ///< this rank's rows of every series-wise step
    const chunk_row_counts& chunk_rows;
    /// This rank's valid source series (chunk by chunk, as the series-wise steps saw them),
    /// with the rows of each chunk in `source_rows`: what a step on the source reads.
    const series_batch& source;
    const std::vector<std::size_t>& source_rows;
    /// The run's checkpoint, where steps record finished work (work_journal); null without one.
    checkpoint_store* checkpoint = nullptr;
};

/// What one output of a dataset-wide step produced, summed over ranks.
struct dataset_output_total {
    std::string name;  ///< "step" or "step/output"
    std::string op;
    std::uint64_t rows = 0;
    std::uint64_t points = 0;
    double seconds = 0;  ///< slowest rank, whole step
};

/// Collective. Runs every kept dataset-wide step in config order and writes its outputs to
/// `out`. Errors of the data or parameters are agreed by the operators (every rank throws
/// alike); a parameter that does not fit the data is reported as the step's config error.
std::vector<dataset_output_total> run_dataset_steps(const comm& c, const dataset_stage_inputs& in, staged_writer& out);

}  // namespace tsbatch
