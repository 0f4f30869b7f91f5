#pragma once
// What `tsbatch inspect` shows: a summary of every collection, table and provenance
// attribute of a file, and a content digest per dataset (to compare results across runs).
#include <string>
#include <utility>
#include <vector>

namespace tsbatch {

struct inspect_options {
    bool show_config = false;  ///< print the stored effective config
    std::size_t sample_rows = 3;
};

/// Human-readable summary of a staged or result file. Throws input_error.
std::string describe_file(const std::string& path, const inspect_options& opt = {});

/// (dataset path, 64-bit content hash as hex) for every dataset, sorted by path. Hashes
/// depend on values only (not on chunking, compression or string storage). Groups whose
/// name starts with "_run" (timings) are left out unless `include_run`.
std::vector<std::pair<std::string, std::string>> digest_file(const std::string& path, bool include_run = false);

}  // namespace tsbatch
