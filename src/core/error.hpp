#pragma once
// Error classes of tsbatch. Each class maps to one process exit code (DESIGN §6), so
// the single exit path in main() only has to catch `tsbatch::error`.
#include <stdexcept>
#include <string>

namespace tsbatch {

/// Process exit codes, agreed across ranks (the maximum wins).
enum class exit_code : int {
    ok = 0,
    internal = 1,        ///< a bug or an unexpected library failure
    usage = 2,           ///< bad command line, bad config, unwritable output
    input_data = 3,      ///< missing, foreign or malformed input data
    series_skipped = 4,  ///< finished, but some series were skipped
    storage = 5,         ///< the storage tier (OpenTSDB push) failed
    /// Stopped by SIGTERM/SIGUSR1 with the finished chunks checkpointed: rerun to resume.
    /// 75 is sysexits' EX_TEMPFAIL ("try again later"), which job scripts requeue on.
    interrupted = 75,
};

/// Base of every error a user can cause; carries the exit code it maps to.
class error : public std::runtime_error {
public:
    error(exit_code code, const std::string& what) : std::runtime_error(what), code_(code) {}
    exit_code code() const noexcept { return code_; }

private:
    exit_code code_;
};

/// Bad configuration: the message names the file, line and key path.
class config_error : public error {
public:
    explicit config_error(const std::string& what) : error(exit_code::usage, what) {}
};

/// Bad command-line use.
class usage_error : public error {
public:
    explicit usage_error(const std::string& what) : error(exit_code::usage, what) {}
};

/// Input data that is missing, foreign or malformed: the message names the file and series.
class input_error : public error {
public:
    explicit input_error(const std::string& what) : error(exit_code::input_data, what) {}
};

/// The output cannot be written where the user asked (path, permissions, space).
class output_error : public error {
public:
    explicit output_error(const std::string& what) : error(exit_code::usage, what) {}
};

/// The storage tier failed: the server refused or dropped requests after every retry.
class storage_error : public error {
public:
    explicit storage_error(const std::string& what) : error(exit_code::storage, what) {}
};

/// The run stopped on a signal after recording its finished chunks (run.checkpoint).
class interrupted_error : public error {
public:
    explicit interrupted_error(const std::string& what) : error(exit_code::interrupted, what) {}
};

/// A bug: an invariant of tsbatch itself does not hold.
class internal_error : public std::logic_error {
public:
    explicit internal_error(const std::string& what) : std::logic_error(what) {}
};

/// A parameter value or constraint is wrong. `param` names it; the config layer adds the
/// step name, file and line (and makes it a config_error). Kernels throw it too, so it lives
/// here rather than with the parameter schemas in algo/params.hpp.
class param_error : public std::invalid_argument {
public:
    param_error(std::string param, const std::string& what) : std::invalid_argument(what), param_(std::move(param)) {}
    const std::string& param() const noexcept { return param_; }

private:
    std::string param_;
};

}  // namespace tsbatch
