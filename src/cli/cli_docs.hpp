#pragma once
// Man pages and shell completion made from the command line's own description (the CLI11
// app tree), so they list exactly the commands and options `--help` shows. The build runs
// `tsbatch docs` to write them; `cmake --install` installs them.
#include <CLI/CLI.hpp>

#include <string>

namespace tsbatch {

/// Writes tsbatch.1 and tsbatch-COMMAND.1 for every visible command of `app` into `dir`
/// (created if missing). `version` goes into the pages' footer.
void write_man_pages(const CLI::App& app, const std::string& dir, const std::string& version);

/// A bash completion script for `app`: commands, their options, the choices of options that
/// have a fixed set of values, file names elsewhere.
std::string bash_completion(const CLI::App& app);

/// Writes bash_completion(app) to `path`; output_error naming it when that fails.
void write_bash_completion(const CLI::App& app, const std::string& path);

}  // namespace tsbatch
