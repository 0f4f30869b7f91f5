#pragma once
// The HTML run report (report.html next to the result): one self-contained page with the
// run's summary, the work of each rank, the throughput of each step and a few sample series
// before and after each series step. Everything here is pure (plain data in, a string out)
// except write_run_report, which puts the page on disk.
//
// The page has no script and refers to nothing outside itself: inline CSS, inline SVG, and a
// Content-Security-Policy that blocks every load, so it reads the same offline, and a browser
// reports anything that would try to load.
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/series.hpp"

namespace tsbatch {

/// What one rank did (a row of /_run_ranks).
struct report_rank {
    std::uint64_t series = 0;
    std::uint64_t points = 0;
    double read_s = 0;
    double compute_s = 0;
    double write_s = 0;
};

/// One output of one step (a row of /_run_steps), plus the points the step read.
struct report_step {
    std::string name;  ///< "step", or "step/output" for a step with several outputs
    std::string op;
    std::uint64_t rows = 0;          ///< series (or table rows) produced
    std::uint64_t points = 0;        ///< points produced (0 for a table)
    std::uint64_t empty = 0;         ///< empty output series
    double seconds = 0;              ///< the slowest rank's time
    std::uint64_t input_points = 0;  ///< points of the step's input: throughput = input_points / seconds
    bool kept = true;                ///< written to the result (output.keep)
};

/// One sample series at one stage: the run's input or one series step's output.
struct report_trace {
    std::string label;               ///< "source", or the step name
    std::vector<std::int64_t> time;  ///< ms since the epoch, strictly increasing
    std::vector<double> value;       ///< same size as time; NaN = missing
};

/// A sample series: its id and its traces, the input ("source") first, then the output of
/// each series step for that series. Any length: the plots are downsampled.
struct report_sample {
    std::string id;
    std::vector<report_trace> traces;
};

/// Everything the report shows. Strings are user-supplied text (paths, ids, step names) and
/// are escaped on the page.
struct run_report_data {
    std::string title = "tsbatch run report";
    std::string config_path;
    std::string output_path;
    std::int64_t start_ms = 0;  ///< wall clock at the start, ms since the epoch
    std::int64_t end_ms = 0;    ///< wall clock at the end
    std::string tsbatch_version;
    int ranks = 0;
    std::uint64_t total_series = 0;
    std::uint64_t total_points = 0;
    double total_seconds = 0;
    std::vector<report_rank> rank_work;  ///< one entry per rank, in rank order
    std::vector<std::string> rank_hosts; ///< each rank's host name, in rank order (may be empty)
    /// The partition's estimated max/mean rank cost (decomposition::imbalance()); NaN when unknown.
    double planned_imbalance = std::numeric_limits<double>::quiet_NaN();
    std::vector<report_step> steps;
    std::uint64_t skipped_series = 0;
    std::uint64_t chunks = 0;
    std::uint64_t chunks_from_checkpoint = 0;
    std::vector<report_sample> samples;
};

/// Max/mean of the ranks' compute seconds: 1 is perfect balance. 1 when there is no rank or
/// no rank computed anything (nothing to balance), like the partition's imbalance().
double compute_imbalance(const std::vector<report_rank>& ranks);

/// A point of a plotted line in data units (time in ms, as a double).
struct plot_point {
    double t;
    double v;
};

/// Reduces a series to what `columns` pixel columns spanning [t0, t1] can show: in each
/// column the minimum and the maximum, in time order, so a single-point spike stays visible.
/// NaN and infinite values break the line, and so does a stretch without points longer than
/// `max_gap_ms` (an outage that a resampled series simply leaves out): each run returned is
/// one unbroken polyline. A break inside one column is not shown (it would not be visible),
/// which bounds the output to 2 * columns points however many points and gaps the series has.
/// Precondition: times increase (as in every series of tsbatch).
std::vector<std::vector<plot_point>> downsample_min_max(series_view s, std::int64_t t0, std::int64_t t1, int columns,
                                                        double max_gap_ms = std::numeric_limits<double>::infinity());

/// The gap beyond which a plotted line breaks: 3 times the median interval between points
/// (quality_stats' default gap_factor), infinite for fewer than 3 points.
double plot_gap_ms(std::span<const std::int64_t> time);

/// Escapes text for HTML content and quoted attribute values (& < > " '). Invalid UTF-8 and
/// control characters other than tab and newline become U+FFFD, so the page is valid UTF-8.
std::string html_escape(std::string_view text);

/// The whole page: HTML5, UTF-8, inline CSS and SVG, no script, no external reference.
std::string render_run_report(const run_report_data& data);

/// Writes the page to `path` under a temporary name (`path.tmp.<pid>`) renamed when complete,
/// so `path` is either absent, the previous file, or the whole new page. Throws output_error
/// naming `path` when it cannot be written; the temporary file is removed then.
void write_run_report(const std::string& path, const run_report_data& data);

}  // namespace tsbatch
