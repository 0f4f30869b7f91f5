#include "cli/run_context.hpp"

#include <cstdio>

#include "core/error.hpp"
#include "parallel/mpi_comm.hpp"

namespace tsbatch {

int run_parallel(int& argc, char**& argv, const std::function<int(const comm&)>& body) {
    int rank = launcher_rank();
    try {
        mpi_session session(argc, argv);
        const comm world = session.world();
        rank = world.rank();
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
        if (!message.empty() && rank == 0) print_error(message);
        return code;
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
