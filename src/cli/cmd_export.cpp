// `tsbatch export --to opentsdb-import|csv IN.h5[:GROUP] -o DIR` and
// `tsbatch export --to postgres RESULT.h5:/STEP --table NAME`.
#include <memory>

#include "cli/commands.hpp"
#include "cli/run_context.hpp"
#include "core/error.hpp"
#include "pipeline/pg_export.hpp"
#include "pipeline/result_export.hpp"

namespace tsbatch {

void setup_export(CLI::App& app, command_action& action) {
    struct request {
        std::string input;
        export_settings settings;
        postgres_settings postgres;
    };
    auto req = std::make_shared<request>();
    auto* sub = app.add_subcommand("export", "Write a collection as OpenTSDB import files or CSV (gzip, one file per rank); with --to csv "
                                      "also tables, matrices, steps and whole results (a CSV file each)");
    sub->add_option("--to", req->settings.format,
                    "opentsdb-import (`tsdb import` lines), csv, or postgres (a table into PostgreSQL)")
        ->check(CLI::IsMember({"opentsdb-import", "csv", "postgres"}))
        ->required();
    sub->add_option("input", req->input, "IN.h5 or IN.h5:GROUP: a collection (run.h5:/hourly); with --to csv also a table (run.h5:/q), a "
                    "matrix (run.h5:/corr/r), a step or a whole result (run.h5)")->required();
    sub->add_option("-o,--output", req->settings.dir, "Directory (csv, opentsdb-import) for part-RRRRR.tsdb.gz or part-RRRRR.csv.gz (a collection), or NAME.csv per table "
                    "and matrix (NAME: its path with '.' for '/', as corr.r)");
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
    sub->add_option("--table", req->postgres.table, "postgres: the table to load (created from the export's columns)");
    sub->add_option("--mode", req->postgres.mode,
                    "postgres: create (refuses an existing table), append (same columns only) or replace")
        ->check(CLI::IsMember({"create", "append", "replace"}))
        ->capture_default_str();
    sub->add_option("--dsn", req->postgres.dsn,
                    "postgres: a libpq connection string without a password (default: PGHOST, PGPORT, PGDATABASE, "
                    "PGUSER, PGSERVICE; the password from PGPASSWORD or ~/.pgpass)");
    sub->final_callback([&action, req] {
        action = [req](invocation& inv) {
            return run_parallel(inv.argc, inv.argv, [req](const comm& c) {
                const auto where = parse_staged_location(req->input);
                if (req->settings.format == "postgres") {
                    export_to_postgres(c, where, req->postgres);
                    return 0;
                }
                if (req->settings.dir.empty()) throw usage_error("--to " + req->settings.format + " needs -o DIR");
                export_location(c, where, req->settings);
                return 0;
            });
        };
    });
}

}  // namespace tsbatch
