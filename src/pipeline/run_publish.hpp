#pragma once
// The publish phase of a `tsbatch run`: the kept series outputs sent on to OpenTSDB
// (output.opentsdb), as `tsdb import` files and/or through /api/put, and the kept table outputs
// loaded into PostgreSQL (output.postgres). Both read back the committed result file rather
// than memory, so a failed push or load never costs the run and the error can name the
// command that finishes the job.
#include "parallel/comm.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"

namespace tsbatch {

/// Checks output.opentsdb's metric template and output.postgres's table template, so that a
/// bad one fails before any computing.
void check_publish_settings(const run_config& cfg);

/// Collective. Exports and/or pushes, every rank its part, the series outputs of the steps of
/// `ex` that are kept and that output.opentsdb.steps names (all when absent); a warning when
/// there are none. storage_error (exit 5) when the push fails, with the command to resume.
void publish_to_opentsdb(const comm& c, const run_config& cfg, const opentsdb_output& o, const execution& ex);

/// Collective. Loads every table output of the steps of `ex` that are kept and that
/// output.postgres.steps names (all when absent) into the table its template names; a warning
/// when there are none. storage_error (exit 5) when a load fails, naming the tables loaded
/// and the command that loads the rest.
void publish_to_postgres(const comm& c, const run_config& cfg, const postgres_output& o, const execution& ex);

}  // namespace tsbatch
