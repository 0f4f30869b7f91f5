// `tsbatch export --to opentsdb-import|csv IN.h5[:GROUP] -o DIR`.
#include <memory>

#include "cli/commands.hpp"
#include "cli/run_context.hpp"
#include "pipeline/result_export.hpp"

namespace tsbatch {

void setup_export(CLI::App& app, command_action& action) {
    struct request {
        std::string input;
        export_settings settings;
    };
    auto req = std::make_shared<request>();
    auto* sub = app.add_subcommand("export", "Write a collection as OpenTSDB import files or CSV (gzip, one file per rank); with --to csv "
                                      "also tables, matrices, steps and whole results (a CSV file each)");
    sub->add_option("--to", req->settings.format, "opentsdb-import (`tsdb import` lines) or csv")
        ->check(CLI::IsMember({"opentsdb-import", "csv"}))
        ->required();
    sub->add_option("input", req->input, "IN.h5 or IN.h5:GROUP: a collection (run.h5:/hourly); with --to csv also a table (run.h5:/q), a "
                    "matrix (run.h5:/corr/r), a step or a whole result (run.h5)")->required();
    sub->add_option("-o,--output", req->settings.dir, "Directory for part-RRRRR.tsdb.gz or part-RRRRR.csv.gz (a collection), or NAME.csv per table "
                    "and matrix (NAME: its path with '.' for '/', as corr.r)")->required();
    sub->add_option("--metric", req->settings.metric_template,
                    "Metric name template: {metric}, {step}, {output}; a separator before an empty field is dropped")
        ->capture_default_str();
    sub->add_flag("--whole-seconds", req->settings.whole_seconds,
                  "Write timestamps as whole seconds (needed before 1970-02-19T17:02:47.296Z; drops the ms)");
    sub->add_option("--rows-per-part", req->settings.rows_per_part,
                    "CSV of tables and matrices: a bigger one is cut into NAME.part-NNNNN.csv files of this many rows")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    sub->add_option("--report", req->settings.report_path, "Write every rule violation to this file");
    sub->final_callback([&action, req] {
        action = [req](invocation& inv) {
            return run_parallel(inv.argc, inv.argv, [req](const comm& c) {
                export_location(c, parse_staged_location(req->input), req->settings);
                return 0;
            });
        };
    });
}

}  // namespace tsbatch
