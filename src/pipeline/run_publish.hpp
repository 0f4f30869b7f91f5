#pragma once
// The publish phase of a `tsbatch run` (output.opentsdb): the kept series outputs sent on to
// OpenTSDB, as `tsdb import` files and/or through /api/put. It reads them back from the
// committed result file rather than from memory, so a failed push never costs the run and the
// error can name the `tsbatch push` command that sends the rest.
#include "parallel/comm.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"

namespace tsbatch {

/// Checks output.opentsdb's metric template, so that a bad one fails before any computing.
void check_publish_settings(const run_config& cfg);

/// Collective. Exports and/or pushes, every rank its part, the series outputs of the steps of
/// `ex` that are kept and that output.opentsdb.steps names (all when absent); a warning when
/// there are none. storage_error (exit 5) when the push fails, with the command to resume.
void publish_to_opentsdb(const comm& c, const run_config& cfg, const opentsdb_output& o, const execution& ex);

}  // namespace tsbatch
