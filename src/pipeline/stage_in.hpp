#pragma once
// Stage-in (DESIGN §6): CSV, OpenTSDB import text or /api/query JSON files -> a staged file.
//
// Ranks take consecutive runs of the input files (near-equal bytes), parse them on their own,
// then merge_across_ranks brings every series together on one rank and the ranks write their
// shares collectively. Bad rows are reported as file:line:column; more of them than
// max_errors fails the command before anything is written.
#include <cstdint>
#include <string>
#include <vector>

#include "parallel/comm.hpp"

namespace tsbatch {

/// The options of `tsbatch stage-in`, as given on its command line.
struct stage_in_request {
    std::string from;
    std::vector<std::string> inputs;
    std::string output;
    std::string duplicates = "error";
    std::uint64_t max_errors = 0;
    bool sanitise_names = false;
    std::string timezone;
    std::string compression = "none";
    std::string report_path;
    // CSV
    std::string layout = "long";
    std::string separator = "auto";
    bool decimal_comma = false;
    std::string time_column = "time";
    std::string time_format = "auto";
    std::string value_column = "value";
    std::string metric_column;
    std::string metric;
    std::vector<std::string> tags;
    std::vector<std::string> nan_markers;
    std::vector<std::string> series_map;
    std::vector<std::string> ignore_columns;
    bool keep_empty_cells = false;
    bool dst_error = false;
    std::string command_line;
};

/// Collective: stages the inputs into req.output and prints the summary on rank 0. Returns
/// the exit code (0); errors are thrown as tsbatch's error types.
int stage_in_files(const comm& c, const stage_in_request& req);

}  // namespace tsbatch
