#pragma once
// The MPI side of tsbatch (target tsbatch_mpi): the session guard and the MPI comm.
// Only io/ and cli/ include this header; algorithms see `comm` alone.
#include <mpi.h>

#include <string>
#include <system_error>

#include "parallel/comm.hpp"

namespace tsbatch {

/// An MPI call failed; the message names the call and what tsbatch was doing.
class mpi_error : public std::system_error {
public:
    mpi_error(int code, const std::string& what);
};

/// Owns MPI's lifetime: MPI_Init_thread on construction, MPI_ERRORS_RETURN on
/// MPI_COMM_WORLD so failures become exceptions, MPI_Finalize on destruction unless an
/// exception is unwinding (finalizing then could hang on ranks still in a collective).
class mpi_session {
public:
    mpi_session(int& argc, char**& argv);
    ~mpi_session();
    mpi_session(const mpi_session&) = delete;
    mpi_session& operator=(const mpi_session&) = delete;

    /// A comm over MPI_COMM_WORLD.
    comm world() const;

    /// Ends every rank of the job with `code` (for a failure inside a collective).
    [[noreturn]] static void abort(int code);

    static std::string library_version();
};

/// The MPI communicator behind `c`, or MPI_COMM_NULL when `c` is not an MPI comm.
MPI_Comm mpi_communicator(const comm& c);

/// Rank of this process as the launcher (mpirun, srun) announced it in the environment,
/// before MPI is initialised; 0 when not launched in parallel.
int launcher_rank();

/// Whether an MPI launcher (mpirun/mpiexec, srun with PMI or PMIx) started this process, as
/// its environment says. A process started without one is a job of one rank and needs no
/// MPI at all. TSBATCH_MPI=init forces MPI_Init anyway (as a singleton).
bool started_by_mpi_launcher();

}  // namespace tsbatch
