#pragma once
// The one exit path of tsbatch (DESIGN §6): every rank catches, the ranks agree on the
// outcome, and one rank prints. Errors found on some ranks only are shared at agreement
// points, so no rank is left waiting in a collective.
#include <exception>
#include <functional>
#include <string>

#include "parallel/agreement.hpp"
#include "parallel/comm.hpp"

namespace tsbatch {

/// Runs `body` on every rank under MPI (MPI_COMM_WORLD) and returns the agreed exit code.
int run_parallel(int& argc, char**& argv, const std::function<int(const comm&)>& body);

/// Runs `body` in this process alone (commands that need no MPI), printing errors.
int run_serial(const std::function<int()>& body);

/// Runs `f`, a section of collective I/O in which a failure on one rank would leave the
/// others waiting: on an exception with more than one rank, prints a rank-tagged message
/// and aborts the job.
void collective_section(const comm& c, const std::function<void()>& f);

/// Prints `tsbatch: error: ...` to stderr.
void print_error(const std::string& message, int rank = -1);

}  // namespace tsbatch
