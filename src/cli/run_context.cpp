#include "cli/run_context.hpp"

#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "parallel/mpi_comm.hpp"

namespace tsbatch {

namespace {

// Runs `body` on `world` and returns the exit code all ranks agree on; rank 0 prints the
// error of an agreed failure.
int run_agreed(const comm& world, const std::function<int(const comm&)>& body) {
    int code = 0;
    std::string message;
    try {
        code = body(world);
    } catch (const agreed_error& e) {
        code = static_cast<int>(e.code());
        message = e.what();
    } catch (...) {
        // Every error reaching here was raised alike on all ranks (errors that can differ
        // go through agree() first), so rank 0 speaks for all.
        code = exit_code_of(std::current_exception(), message);
    }
    code = static_cast<int>(world.max(code));
    if (!message.empty() && world.rank() == 0) print_error(message);
    return code;
}

}  // namespace

int run_parallel(int& argc, char**& argv, const std::function<int(const comm&)>& body) {
    // Started without a launcher, the process is the whole job: it runs on the local comm
    // (and HDF5's POSIX driver) without starting MPI, whose singleton start-up costs about
    // half a second, more than a small run takes.
    if (!started_by_mpi_launcher()) return run_agreed(comm(), body);
    int rank = launcher_rank();
    try {
        mpi_session session(argc, argv);
        const comm world = session.world();
        rank = world.rank();
        return run_agreed(world, body);
    } catch (const std::exception& e) {
        // MPI itself failed (initialisation or the final agreement).
        print_error(e.what(), rank);
        return static_cast<int>(exit_code::internal);
    }
}

int run_serial(const std::function<int()>& body) {
    try {
        return body();
    } catch (...) {
        std::string message;
        const int code = exit_code_of(std::current_exception(), message);
        print_error(message);
        return code;
    }
}

}  // namespace tsbatch
