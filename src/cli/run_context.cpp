#include "cli/run_context.hpp"

#include <cstdio>

#include "core/error.hpp"
#include "parallel/mpi_comm.hpp"

namespace tsbatch {
namespace {

// The error every rank rethrows after an agreement; main prints it once, on rank 0.
class agreed_error : public error {
public:
    using error::error;
};

int code_of(std::exception_ptr ep, std::string& message) {
    try {
        std::rethrow_exception(ep);
    } catch (const error& e) {
        message = e.what();
        return static_cast<int>(e.code());
    } catch (const internal_error& e) {
        message = std::string("internal error (please report): ") + e.what();
    } catch (const std::bad_alloc&) {
        message = "out of memory";
    } catch (const std::exception& e) {
        message = e.what();
    } catch (...) {
        message = "unknown exception";
    }
    return static_cast<int>(exit_code::internal);
}

}  // namespace

void print_error(const std::string& message, int rank) {
    if (rank >= 0)
        std::fprintf(stderr, "tsbatch: rank %d: error: %s\n", rank, message.c_str());
    else
        std::fprintf(stderr, "tsbatch: error: %s\n", message.c_str());
    std::fflush(stderr);
}

void agree(const comm& c, std::exception_ptr failure) {
    std::string message;
    const int code = failure ? code_of(failure, message) : 0;
    if (c.size() == 1) {
        if (failure) std::rethrow_exception(failure);
        return;
    }
    const auto codes = c.allgather(static_cast<std::int64_t>(code));
    int worst = 0, first = -1;
    for (std::size_t r = 0; r < codes.size(); ++r)
        if (codes[r] != 0) {
            worst = std::max(worst, static_cast<int>(codes[r]));
            if (first < 0) first = static_cast<int>(r);
        }
    if (first < 0) return;
    // Only the first failing rank's words travel: every rank fails alike in the common
    // case (a bad config), and one clear message beats N copies.
    const std::string text = c.broadcast(message, first);
    throw agreed_error(static_cast<exit_code>(worst), first == 0 ? text : "rank " + std::to_string(first) + ": " + text);
}

void collective_section(const comm& c, const std::function<void()>& f) {
    try {
        f();
    } catch (...) {
        if (c.size() == 1) throw;
        std::string message;
        const int code = code_of(std::current_exception(), message);
        print_error(message, c.rank());
        mpi_session::abort(code);
    }
}

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
            code = code_of(std::current_exception(), message);
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
        const int code = code_of(std::current_exception(), message);
        print_error(message);
        return code;
    }
}

}  // namespace tsbatch
