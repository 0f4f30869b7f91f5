#pragma once
// The one exit path of tsbatch (DESIGN §6): every rank catches, the ranks agree on the
// outcome, and one rank prints. Errors found on some ranks only are shared at agreement
// points, so no rank is left waiting in a collective.
#include <functional>

#include "parallel/agreement.hpp"
#include "parallel/comm.hpp"
#include "pipeline/collective.hpp"

namespace tsbatch {

/// Runs `body` on every rank under MPI (MPI_COMM_WORLD) and returns the agreed exit code; a
/// process no MPI launcher started runs `body` alone, without MPI (started_by_mpi_launcher).
int run_parallel(int& argc, char**& argv, const std::function<int(const comm&)>& body);

/// Runs `body` in this process alone (commands that need no MPI), printing errors.
int run_serial(const std::function<int()>& body);

}  // namespace tsbatch
