#pragma once
// What `tsbatch inspect` shows: a summary of every collection, table and provenance
// attribute of a file, and a content digest per dataset (to compare results across runs).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tsbatch {

struct inspect_options {
    bool show_config = false;  ///< print the stored effective config
    std::size_t sample_rows = 3;
};

/// Human-readable summary of a staged or result file. Throws input_error.
std::string describe_file(const std::string& path, const inspect_options& opt = {});

/// (path, 64-bit hash as hex) for every dataset, and (`PATH@attrs`, hash) for the attributes
/// of every group and dataset that has any, sorted by path. Hashes depend on values only
/// (not on chunking, compression or string storage); attributes are hashed by name and
/// value. Left out: groups whose name starts with "_run" (timings) unless `include_run`, and
/// the root's provenance attributes (is_provenance_attribute), which differ between two runs
/// of the same work.
std::vector<std::pair<std::string, std::string>> digest_file(const std::string& path, bool include_run = false);

/// The root attributes that record how, where, when and by what a file was made rather than
/// what it holds: program and library versions, host, command line, times, rank count, the
/// config and input's names, sizes and dates, and how the work was cut into chunks and shared.
bool is_provenance_attribute(std::string_view name);

}  // namespace tsbatch
