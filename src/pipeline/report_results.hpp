#pragma once
// The pictures of the dataset-wide steps in the run report (correlation heatmaps, PCA
// variance, k-means clusters, pattern matches, the top motif group, the matrix profiles of
// the sample series), read back on rank 0
// from the committed result file rather than kept from the run: a step's outputs may be
// spread over every rank and as large as N x N, and the report needs only a small summary.
// Memory stays bounded whatever the run's size: a correlation matrix is read in strips of
// rows (about 8 MiB each) and block-averaged to at most report_heatmap_max_cells per side as
// it is read; tables are read by ranges; series are read one window at a time.
#include <string>

#include "io/staged.hpp"
#include "pipeline/config.hpp"
#include "report/run_report.hpp"

namespace tsbatch {

/// Not collective (rank 0 alone). The results of each kept dataset-wide step of `cfg` found
/// in the result file cfg.output.path, in config order. `input` is the run's input
/// collection: the windows of a step that read the source come from it (with
/// input.select.time applied, as the step saw them); those of a step that read a series step
/// come from that step's collection in the result (when kept). What cannot be shown (a
/// step's input not kept, an unreadable object) becomes a note on the page, never an error.
/// The profile of each sample that a kept matrix_profile step computed is added to its
/// `profiles` (with the top motif pair and discord marked).
report_dataset_results read_report_results(const run_config& cfg, const staged_reader& input,
                                          std::vector<report_sample>& samples);

}  // namespace tsbatch
