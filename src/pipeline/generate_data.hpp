#pragma once
// `tsbatch generate`: synthetic sensor data (algo/generate) written as a staged file by every
// rank together. Each series depends on (seed, index) alone, so the file is the same for any
// number of ranks.
#include <string>

#include "synthetic/generate.hpp"
#include "parallel/comm.hpp"

namespace tsbatch {

/// The options of `tsbatch generate`, as given on its command line.
struct generate_request {
    std::string output;
    generate_options opt;
    std::string compression = "none";
};

/// Collective: writes req.output and prints the summary on rank 0. Returns the exit code (0).
int generate_staged_file(const comm& c, const generate_request& req);

}  // namespace tsbatch
