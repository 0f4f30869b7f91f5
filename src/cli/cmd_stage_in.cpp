// `tsbatch stage-in`: the options; pipeline/stage_in does the work.
#include <memory>

#include "cli/commands.hpp"
#include "cli/run_context.hpp"
#include "pipeline/stage_in.hpp"

namespace tsbatch {

void setup_stage_in(CLI::App& app, command_action& action) {
    auto req = std::make_shared<stage_in_request>();
    auto* sub = app.add_subcommand("stage-in", "Build a staged file from CSV, OpenTSDB import text or /api/query JSON files");
    sub->add_option("--from", req->from, "Input format")
        ->check(CLI::IsMember({"csv", "opentsdb-import", "opentsdb-json"}))
        ->required();
    sub->add_option("inputs", req->inputs, "Input files or globs (quoted); .gz files are gunzipped")->required();
    sub->add_option("-o,--output", req->output, "Staged HDF5 file to write")->required();
    sub->add_option("--duplicates", req->duplicates, "Points of a series at one timestamp: error, first, last or mean")
        ->check(CLI::IsMember({"error", "first", "last", "mean"}))
        ->capture_default_str();
    sub->add_option("--max-errors", req->max_errors,
                    "Bad rows (and duplicate timestamps under --duplicates error) to skip with a report; more fail")
        ->capture_default_str();
    sub->add_flag("--sanitise-names,--sanitize-names", req->sanitise_names,
                  "Replace characters OpenTSDB refuses in names by '_' (each change is reported)");
    sub->add_option("--timezone", req->timezone, "Zone of times written without one: UTC, +01:00 or an IANA name");
    sub->add_option("--compression", req->compression, "none or deflate")
        ->check(CLI::IsMember({"none", "deflate"}))
        ->capture_default_str();
    sub->add_option("--report", req->report_path, "Write every report line to this file");
    auto* g = "CSV";
    sub->add_option("--layout", req->layout, "long (a point per row) or wide (a series per column)")
        ->check(CLI::IsMember({"long", "wide"}))
        ->capture_default_str()
        ->group(g);
    sub->add_option("--separator", req->separator, "auto, ',', ';' or tab")
        ->check(CLI::IsMember({"auto", ",", ";", "tab", "\\t"}))
        ->capture_default_str()
        ->group(g);
    sub->add_flag("--decimal-comma", req->decimal_comma, "Values are written 1,5")->group(g);
    sub->add_option("--time-column", req->time_column, "Time column")->capture_default_str()->group(g);
    sub->add_option("--time-format", req->time_format, "auto, iso, epoch_s or epoch_ms")->capture_default_str()->group(g);
    sub->add_flag("--dst-error", req->dst_error, "Report local times a DST change repeats or skips")->group(g);
    sub->add_option("--value-column", req->value_column, "Value column (long form)")->capture_default_str()->group(g);
    auto* mc = sub->add_option("--metric-column", req->metric_column, "Metric column (long form; default 'metric')")->group(g);
    sub->add_option("--metric", req->metric, "One metric for every row (long form)")->excludes(mc)->group(g);
    sub->add_option("--tag", req->tags, "Tag from a column: KEY or KEY=COLUMN (long form; repeatable)")->group(g);
    sub->add_option("--nan-marker", req->nan_markers, "Extra missing-value marker, e.g. -9999 or n/a (repeatable)")->group(g);
    sub->add_option("--series-map", req->series_map, "HEADER=SERIES, e.g. 'BH01=gw.level{site=BH01}' (wide form)")->group(g);
    sub->add_option("--ignore-column", req->ignore_columns, "Column that is not a series (wide form)")->group(g);
    sub->add_flag("--keep-empty-cells", req->keep_empty_cells,
                  "An empty cell is a NaN point (wide form; without it an empty cell is no point, "
                  "so pandas' to_csv NaN would be lost)")
        ->group(g);
    sub->final_callback([&action, req] {
        action = [req](invocation& inv) {
            req->command_line = inv.command_line;
            return run_parallel(inv.argc, inv.argv, [req](const comm& c) { return stage_in_files(c, *req); });
        };
    });
}

}  // namespace tsbatch
