#include "pipeline/stage_in.hpp"

#include <glob.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "build_info.hpp"
#include "core/error.hpp"
#include "core/format.hpp"
#include "core/time.hpp"
#include "ingest/accumulator.hpp"
#include "text/byte_source.hpp"
#include "ingest/csv_options.hpp"
#include "ingest/csv_reader.hpp"
#include "ingest/opentsdb_json.hpp"
#include "ingest/opentsdb_text.hpp"
#include "ingest/rank_merge.hpp"
#include "io/h5.hpp"
#include "io/staged.hpp"
#include "parallel/agreement.hpp"
#include "parallel/partition.hpp"
#include "pipeline/collective.hpp"
#include "pipeline/staged_output.hpp"

namespace tsbatch {
namespace {

// Every rank must see the same list in the same order, so rank 0 expands and broadcasts.
std::vector<std::string> expand_inputs(const std::vector<std::string>& patterns) {
    std::vector<std::string> files;
    for (const auto& p : patterns) {
        if (p.find_first_of("*?[") == std::string::npos) {
            files.push_back(p);
            continue;
        }
        glob_t g{};
        const int rc = ::glob(p.c_str(), 0, nullptr, &g);
        if (rc == GLOB_NOMATCH) {
            globfree(&g);
            throw input_error("no input file matches '" + p + "'");
        }
        if (rc != 0) {
            globfree(&g);
            throw input_error("cannot expand '" + p + "'");
        }
        std::vector<std::string> matched(g.gl_pathv, g.gl_pathv + g.gl_pathc);
        globfree(&g);
        std::sort(matched.begin(), matched.end());
        files.insert(files.end(), matched.begin(), matched.end());
    }
    for (const auto& f : files) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(f, ec)) throw input_error("input file " + f + " does not exist or is not a file");
    }
    return files;
}

ingest::csv_options csv_options_of(const stage_in_request& req) {
    using namespace ingest;
    csv_options o;
    if (req.layout == "wide") o.layout = csv_layout::wide_form;
    if (req.separator == "tab" || req.separator == "\\t") o.separator = '\t';
    else if (req.separator != "auto") o.separator = req.separator.front();
    o.decimal_comma = req.decimal_comma;
    o.time_column = req.time_column;
    const auto tf = time_format_from_name(req.time_format);
    if (!tf) throw usage_error("--time-format: '" + req.time_format + "' is not auto, iso, epoch_s or epoch_ms");
    o.time_format = *tf;
    if (!req.timezone.empty()) o.zone = time_zone::from_name(req.timezone);
    if (req.dst_error) o.dst = dst_policy::error;
    o.nan_markers = req.nan_markers;
    o.value_column = req.value_column;
    o.metric_column = req.metric_column;
    o.metric = req.metric;
    if (o.layout == csv_layout::long_form && o.metric.empty() && o.metric_column.empty()) o.metric_column = "metric";
    for (const auto& t : req.tags) o.tag_columns.push_back(parse_tag_column(t));
    for (const auto& m : req.series_map) {
        const auto eq = m.find('=');
        if (eq == std::string::npos || eq == 0) throw usage_error("--series-map '" + m + "': expected HEADER=SERIES");
        o.series_map[m.substr(0, eq)] = m.substr(eq + 1);
    }
    o.ignore_columns = req.ignore_columns;
    o.skip_empty_cells = !req.keep_empty_cells;
    validate(o);
    return o;
}

// Diagnostics this rank saw, kept up to a cap so a file of garbage cannot exhaust memory.
struct report_log {
    static constexpr std::size_t max_kept = 100000;
    std::vector<std::string> lines;
    std::uint64_t errors = 0;    // rows or points lost: malformed, duplicates under "error"
    std::uint64_t warnings = 0;  // names OpenTSDB would refuse, sanitised names
    std::uint64_t not_kept = 0;

    void add(const ingest::diagnostic& d) {
        const bool is_error = d.kind == ingest::diagnostic_kind::malformed || d.kind == ingest::diagnostic_kind::duplicate_time;
        (is_error ? errors : warnings) += 1;
        if (lines.size() < max_kept)
            lines.push_back(std::string(is_error ? "error: " : "warning: ") + d.to_string());
        else
            ++not_kept;
    }
};

void parse_file(const std::string& path, const stage_in_request& req, const ingest::csv_options* csv,
                ingest::record_sink& sink, ingest::parse_context& ctx) {
    auto source = text::open_file(path);
    if (req.from == "csv")
        ingest::read_csv(*source, *csv, sink, ctx);
    else if (req.from == "opentsdb-import")
        ingest::read_opentsdb_text(*source, {}, sink, ctx);
    else
        ingest::read_opentsdb_json(*source, {}, sink, ctx);
}

}  // namespace

// Rank 0 prints the reports (at most `shown`) and writes all of them to --report.
int stage_in_files(const comm& c, const stage_in_request& req) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto policy = ingest::duplicate_policy_from_name(req.duplicates);
    if (!policy) throw usage_error("--duplicates must be error, first, last or mean");

    // Same list, same sizes, same split on every rank.
    std::vector<std::string> files;
    std::vector<double> sizes;
    agreed_phase(c, [&] {
        std::string joined;
        if (c.is_root()) {
            for (const auto& f : expand_inputs(req.inputs)) {
                joined += f;
                joined += '\n';
            }
        }
        joined = c.broadcast(joined);
        for (std::size_t at = 0; at < joined.size();) {
            const auto nl = joined.find('\n', at);
            files.push_back(joined.substr(at, nl - at));
            at = nl + 1;
        }
    });
    agreed_phase(c, [&] {
        std::vector<double> mine;
        if (c.is_root())
            for (const auto& f : files) mine.push_back(static_cast<double>(std::filesystem::file_size(f)) + 1.0);
        sizes = c.allgatherv(std::span<const double>(mine));
    });
    const auto file_ranges = partition_contiguous(sizes, c.size());
    const auto mine = file_ranges[static_cast<std::size_t>(c.rank())];

    // Parse this rank's files.
    report_log log;
    ingest::parse_context ctx([&](const ingest::diagnostic& d) { log.add(d); },
                              req.sanitise_names ? text::name_mode::sanitise : text::name_mode::check);
    ingest::accumulator acc;
    std::optional<ingest::csv_options> csv;
    std::uint64_t my_bytes = 0;
    agreed_phase(c, [&] {
        if (req.from == "csv") csv = csv_options_of(req);
        for (auto i = mine.begin; i < mine.end; ++i) {
            parse_file(files[i], req, csv ? &*csv : nullptr, acc, ctx);
            my_bytes += static_cast<std::uint64_t>(sizes[i] - 1.0);
        }
    });
    const double parse_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    series_batch batch;
    collective_section(c, [&] { batch = ingest::merge_across_ranks(c, acc, *policy, ctx); });

    const auto errors = c.sum(log.errors);
    const auto warnings = c.sum(log.warnings);
    agreed_phase(c, [&] {
        report_listing how;
        how.report_path = req.report_path;
        how.not_kept = log.not_kept;
        how.footer = {std::to_string(errors) + " errors, " + std::to_string(warnings) + " warnings"};
        publish_report_lines(c, log.lines, how);
    });
    if (errors > req.max_errors)
        throw input_error(std::to_string(errors) + " bad rows or points in the input (--max-errors " +
                          std::to_string(req.max_errors) + "); nothing was written to " + req.output);

    const auto series = c.sum(batch.meta.size());
    const auto points = c.sum(batch.time.size());
    const auto bytes = c.sum(my_bytes);
    if (series == 0) throw input_error("the inputs hold no series; nothing was written to " + req.output);
    std::string joined_inputs;
    for (const auto& f : files) joined_inputs += (joined_inputs.empty() ? "" : "\n") + f;
    const auto command_line = c.broadcast(req.command_line);
    const auto hdf5_version = c.broadcast(h5::library_version());
    write_staged_file(c, req.output, batch, req.compression, [&](staged_writer& out) {
        out.set_attr("/", "tsbatch_git", std::string(TSBATCH_GIT_ID));
        out.set_attr("/", "command_line", command_line);
        out.set_attr("/", "stage_in_from", req.from);
        out.set_attr("/", "stage_in_inputs", joined_inputs);
        out.set_attr("/", "stage_in_errors", static_cast<std::int64_t>(errors));
        out.set_attr("/", "stage_in_warnings", static_cast<std::int64_t>(warnings));
        out.set_attr("/", "ranks", static_cast<std::int64_t>(c.size()));
        out.set_attr("/", "hdf5_version", hdf5_version);
    });
    const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto slowest_parse = c.allgather(parse_s);
    if (c.is_root()) {
        const double p = *std::max_element(slowest_parse.begin(), slowest_parse.end());
        std::printf("staged %s: %llu series, %llu points from %zu file%s (%.1f MB) on %d rank%s in %.2f s "
                    "(parse %.2f s, %.0f MB/s); %llu bad rows skipped, %llu warnings\n",
                    req.output.c_str(), static_cast<unsigned long long>(series), static_cast<unsigned long long>(points),
                    files.size(), files.size() == 1 ? "" : "s", static_cast<double>(bytes) / 1e6, c.size(),
                    c.size() == 1 ? "" : "s", total_s, p, static_cast<double>(bytes) / 1e6 / std::max(p, 1e-9),
                    static_cast<unsigned long long>(errors), static_cast<unsigned long long>(warnings));
    }
    return 0;
}

}  // namespace tsbatch
