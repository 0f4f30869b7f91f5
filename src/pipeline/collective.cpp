#include "pipeline/collective.hpp"

#include <cstdio>
#include <exception>

#include "core/error.hpp"
#include "parallel/agreement.hpp"
#include "parallel/mpi_comm.hpp"

namespace tsbatch {

void print_error(const std::string& message, int rank) {
    if (rank >= 0)
        std::fprintf(stderr, "tsbatch: rank %d: error: %s\n", rank, message.c_str());
    else
        std::fprintf(stderr, "tsbatch: error: %s\n", message.c_str());
    std::fflush(stderr);
}

void publish_report_lines(const comm& c, const std::vector<std::string>& mine, const report_listing& how) {
    const auto all = c.allgather_strings(mine);
    const auto not_kept = c.sum(how.not_kept);
    if (!c.is_root()) return;
    for (std::size_t i = 0; i < all.size() && i < how.shown; ++i) std::fprintf(stderr, "tsbatch: %s\n", all[i].c_str());
    if (all.size() > how.shown)
        std::fprintf(stderr, "tsbatch: ... %llu more %s%s\n",
                     static_cast<unsigned long long>(all.size() - how.shown + not_kept), how.what.c_str(),
                     how.report_path.empty() ? " (--report FILE lists them all)" : "");
    if (!how.report_path.empty()) {
        std::FILE* f = std::fopen(how.report_path.c_str(), "w");
        if (f == nullptr) throw output_error("cannot write the report " + how.report_path);
        for (const auto& line : all) std::fprintf(f, "%s\n", line.c_str());
        if (not_kept) std::fprintf(f, "... %llu more %s not kept\n", static_cast<unsigned long long>(not_kept), how.what.c_str());
        for (const auto& line : how.footer) std::fprintf(f, "%s\n", line.c_str());
        if (std::fclose(f) != 0) throw output_error("cannot write the report " + how.report_path);
    }
    std::fflush(stderr);
}

void collective_section(const comm& c, const std::function<void()>& f) {
    try {
        f();
    } catch (...) {
        if (c.size() == 1) throw;
        std::string message;
        const int code = exit_code_of(std::current_exception(), message);
        print_error(message, c.rank());
        mpi_session::abort(code);
    }
}

}  // namespace tsbatch
