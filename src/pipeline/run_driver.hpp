#pragma once
// `tsbatch run`: config -> input slab -> steps -> result file, on every rank. Lives beside
// the executor but links HDF5 and MPI, so it is built into the executable, not the core.
#include <string>
#include <vector>

#include "parallel/comm.hpp"

namespace tsbatch {

struct run_request {
    std::string config_path;
    std::vector<std::string> overrides;  ///< --set key=value
    bool dry_run = false;
    bool restart = false;  ///< discard run.checkpoint's finished chunks and start over
    std::string command_line;
};

/// Collective. Returns the exit code (0, or 4 when series were skipped); throws on errors.
int run_pipeline(const comm& c, const run_request& req);

/// Rank 0 reads `path` and every rank gets its text (collective); config_error when unreadable.
std::string read_config_text(const comm& c, const std::string& path);

}  // namespace tsbatch
