#pragma once
// Sections every rank takes part in, and what they print. A failure inside collective I/O
// cannot be agreed on (the other ranks are already waiting in the collective), so
// collective_section ends the job with a rank-tagged message; report lines found on any rank
// are gathered and printed once, by rank 0.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "parallel/comm.hpp"

namespace tsbatch {

/// Runs `f`, a section of collective I/O in which a failure on one rank would leave the
/// others waiting: on an exception with more than one rank, prints a rank-tagged message
/// and aborts the job.
void collective_section(const comm& c, const std::function<void()>& f);

/// How publish_report_lines lists reports (bad rows, rule violations ...).
struct report_listing {
    std::string what = "reports";     ///< the noun of "... N more <what>"
    std::size_t shown = 100;          ///< lines printed to stderr at most
    std::string report_path;          ///< every line goes to this file when set
    std::uint64_t not_kept = 0;       ///< lines left out before gathering (counted, not listed)
    std::vector<std::string> footer;  ///< the file's last lines
};

/// Collective: every rank's report lines in rank order, the first `shown` printed by rank 0,
/// all of them in the report file. Throws output_error when the file cannot be written.
void publish_report_lines(const comm& c, const std::vector<std::string>& mine, const report_listing& how);

/// Prints `tsbatch: error: ...` (or `tsbatch: rank R: error: ...`) to stderr.
void print_error(const std::string& message, int rank = -1);

}  // namespace tsbatch
