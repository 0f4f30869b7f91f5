#pragma once
// The input file of a `tsbatch run`: opened on every rank, refused when it is also the output,
// its series selected (input.select, and grouped when a step needs whole groups), then read
// row by row by the compute and report phases. The one place a run reads its HDF5 input, so
// that the plan, the compute loop and the report only see a row_reader.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/series.hpp"
#include "io/staged.hpp"
#include "parallel/comm.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"
#include "pipeline/run_plan.hpp"

namespace tsbatch {

struct run_input {
    std::optional<staged_reader> file;  ///< open until reset (closing is collective)
    std::string name;                   ///< "path", or "path:group" for a group other than /
    series_selection selection;
};

/// Collective (agreed). Opens cfg.input and selects its series; a config_error when
/// output.path is the input file. Rank 0 warns when input.select matches none of them.
run_input open_run_input(const comm& c, const run_config& cfg, const step_pipeline& pipeline);

/// The series at `rows`, in that order, in `reuse`'s buffers where possible. The reader wants
/// ascending rows; grouped runs are read in storage order and then put in run order.
series_batch read_rows(const staged_reader& in, std::span<const std::uint64_t> rows, series_batch&& reuse = {});

}  // namespace tsbatch
