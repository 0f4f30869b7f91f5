#pragma once
// Writing a new staged file from every rank's slab, as `generate` and `stage-in` do: the file
// is created in an agreed phase (a bad path fails alike everywhere and is reported once), then
// written collectively and renamed into place, with the provenance attributes `annotate` sets.
#include <functional>
#include <string>

#include "core/series.hpp"
#include "io/staged.hpp"
#include "parallel/comm.hpp"

namespace tsbatch {

/// Rank 0 removes what writers of `path` killed on this host left (a temporary file under
/// the output's name: remove_abandoned_temp_files) and says so on stderr; the others do
/// nothing. For a command that is about to write `path`.
void remove_abandoned_output(const comm& c, const std::string& path);

/// Collective. `compression` is "none" or "deflate". `annotate` runs on every rank with the
/// same values (attribute writes are collective) before the commit; tsbatch_version is set
/// here.
void write_staged_file(const comm& c, const std::string& path, const series_batch& local,
                       const std::string& compression, const std::function<void(staged_writer&)>& annotate);

}  // namespace tsbatch
