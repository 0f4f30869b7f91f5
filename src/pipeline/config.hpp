#pragma once
// The run configuration (DESIGN §5): YAML text -> typed structs with defaults, validated as
// a whole before any data is read. Errors are config_error naming the file, line, column
// and key path (`run.yaml:7:15: steps.hourly.params.period: ...`).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "algo/params.hpp"

namespace tsbatch {

struct operator_def;

/// Where a value came from: a line of the config file, or a --set override (line 0).
struct source_location {
    std::string file;
    int line = 0;    ///< 1-based; 0 when the value came from --set or a default
    int column = 0;  ///< 1-based
};

struct select_config {
    std::string metric;                       ///< glob on the metric; "" = every metric
    std::map<std::string, std::string> tags;  ///< tag key -> glob on its value; the key must exist
    std::optional<std::int64_t> time_from;    ///< keep points with from <= t < to (ms)
    std::optional<std::int64_t> time_to;

    bool selects_series() const { return !metric.empty() || !tags.empty(); }
    bool selects_time() const { return time_from.has_value() || time_to.has_value(); }
};

struct input_config {
    std::string path;         ///< staged HDF5 file (required)
    std::string group = "/";  ///< collection inside it
    select_config select;
};

/// The special input name of a step that reads the run's input collection.
inline constexpr const char* source_input = "source";

struct step_config {
    std::string name;
    std::string op;
    /// Resolved input: "source" or the name of an earlier step producing series. When the
    /// YAML leaves it out, it is the nearest earlier step that produces series, else "source".
    std::string input;
    param_values params;  ///< validated; every parameter with a default is present
    source_location where;
};

/// output.opentsdb: the results' series sent on to OpenTSDB as the run's last stage.
struct opentsdb_output {
    std::string import_dir;                          ///< `tsdb import` files, gzip, one per rank ("" = none)
    std::string url;                                 ///< HTTP push ("" = none); credentials from the environment
    std::string metric = "{metric}.{step}.{output}"; ///< naming template (DESIGN §5)
    std::optional<std::vector<std::string>> steps;   ///< kept series steps sent; absent = all of them
    bool whole_seconds = false;                      ///< timestamps as whole seconds (drops the ms)
    std::string journal;                             ///< push journal; "" = <output.path>.push-journal
    std::uint64_t batch_points = 50;
    std::uint64_t max_request_bytes = 8000;
    std::int64_t connections = 4;
    std::int64_t retries = 5;
};

/// output.postgres: the results' tables loaded into PostgreSQL as the run's last stage.
struct postgres_output {
    std::string table = "{step}_{output}";          ///< naming template, {step} and {output} (DESIGN §5 rules)
    std::string mode = "create";                    ///< create | append | replace
    std::string dsn;                                ///< libpq connection string without a password; "" = environment
    std::optional<std::vector<std::string>> steps;  ///< kept steps whose tables are loaded; absent = all of them
};

struct output_config {
    std::string path;                               ///< result HDF5 file (required)
    std::optional<std::vector<std::string>> keep;   ///< steps written; absent = every step
    std::string compression = "none";               ///< none | deflate
    int deflate_level = 4;                          ///< 1..9, with compression: deflate
    std::optional<opentsdb_output> opentsdb;
    std::optional<postgres_output> postgres;
};

struct run_options {
    std::string checkpoint;                ///< directory of finished chunks; "" = none
    std::string balance = "cost";          ///< cost | points
    std::string on_series_error = "fail";  ///< fail | skip
    std::int64_t progress_interval_ms = 5000;
    /// Chunks (units of balancing, ordered reductions and checkpoints) close at this many
    /// points or series, whichever comes first. Independent of the rank count.
    std::uint64_t chunk_points = 1u << 18;
    std::uint64_t chunk_series = 1024;
    /// MiB of series-output points a rank holds in memory until the result is written; the
    /// rest waits in a temporary file next to the result (pipeline/output_spool.hpp).
    std::uint64_t output_memory_mb = 64;
};

struct run_config {
    std::string file;  ///< config file name, for messages
    input_config input;
    std::vector<step_config> steps;
    output_config output;
    run_options run;

    const step_config* find_step(const std::string& name) const;
    /// Whether the step's output goes to the result file (output.keep).
    bool keeps(const std::string& step) const;
};

/// Parses and validates `yaml_text` (the content of `file_name`), after applying each
/// `key.path=value` override in order. Keys of steps are addressed by step name:
/// `steps.hourly.params.period=30min`; the value is read as YAML (`output.keep=[a,b]`).
/// Throws config_error.
run_config parse_run_config(const std::string& yaml_text, const std::string& file_name,
                            const std::vector<std::string>& overrides = {});

/// The effective configuration (overrides and defaults applied) as YAML, for provenance
/// and `tsbatch validate`. Every parameter of every step and every resolved input is written
/// out, and parse_run_config accepts the text again, giving the same configuration.
std::string to_yaml(const run_config& cfg);

namespace detail {
/// parse_run_config against the operators of `catalogue` instead of operator_catalogue(),
/// so tests can use operators with properties no real one has (a failing `bind`).
run_config parse_run_config_with(const std::string& yaml_text, const std::string& file_name,
                                 const std::vector<std::string>& overrides,
                                 const std::vector<operator_def>& catalogue);
}  // namespace detail

}  // namespace tsbatch
