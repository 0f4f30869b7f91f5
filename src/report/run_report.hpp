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

/// "No such instant" in the report's optional timestamps. Not -1: -1 ms is a valid time
/// (1969-12-31T23:59:59.999Z), and tsbatch times may be negative.
inline constexpr std::int64_t report_no_time = std::numeric_limits<std::int64_t>::min();

/// The matrix profile of one sample series (a `matrix_profile` step's self-join), drawn as a
/// panel under the series' traces on the same time axis, with the top motif pair's two
/// windows and the discord window shaded on the profile and on the trace it was computed on.
///
/// What to fill in from a `matrix_profile` step with window m over a series of n points:
/// * `time[i]` is the time of the first point of window i (the series' time[i]), for the
///   n - m + 1 windows, increasing; `distance[i]` is the profile there (the z-normalised
///   Euclidean distance to the window's nearest non-trivial neighbour). Same size as `time`
///   (the shorter of the two is used). NaN or infinite = an excluded window (NaN in the
///   window, constant window): the line breaks there.
/// * `motif_a_time`, `motif_b_time`: the first points of the top motif pair's windows (the
///   pair of smallest profile value), `discord_time`: the first point of the top discord
///   (largest finite profile value); each report_no_time when absent. They need not be in
///   `time` (a profile may be handed in downsampled): the shaded window runs from that time to
///   the time of the window's m-th point in the trace named `input` when the sample has it,
///   else to the (m-1)-th next entry of `time`.
/// Any length: the panel is downsampled like the traces (min and max per pixel column).
struct report_matrix_profile {
    std::string step;                            ///< the matrix_profile step, shown in the panel's title
    std::string input = "source";                ///< label of the sample trace the profile was computed on
    std::size_t window = 0;                      ///< m, the window length in points
    std::vector<std::int64_t> time;              ///< first point of each window, ms since the epoch, increasing
    std::vector<double> distance;                ///< the profile; NaN/inf = excluded window
    std::int64_t motif_a_time = report_no_time;  ///< start of the top motif's first window
    std::int64_t motif_b_time = report_no_time;  ///< start of its nearest neighbour's window
    std::int64_t discord_time = report_no_time;  ///< start of the top discord's window
};

/// A sample series: its id and its traces, the input ("source") first, then the output of
/// each series step for that series. Any length: the plots are downsampled.
struct report_sample {
    std::string id;
    std::vector<report_trace> traces;
    std::vector<report_matrix_profile> profiles;  ///< zero or more, drawn under the traces
};

// ---------------------------------------------------------------------------------------
// Dataset-wide results. Each is plain data already reduced to what a picture needs, so that
// the page stays small however many series the run had; the pipeline fills them from the
// result file after the run (pipeline/report_results.hpp).

/// At most this many cells per side of a correlation heatmap.
inline constexpr std::size_t report_heatmap_max_cells = 100;

/// A correlation matrix (N x N) reduced to at most report_heatmap_max_cells cells per side.
/// Cell k covers the matrix rows (and columns) [block_start[k], block_start[k+1]): blocks of
/// consecutive series in the matrix's order, as equal as they can be, one series each when
/// N <= the cell limit. A cell's value is the mean of the finite values of its block (NaN
/// when it has none), so a block on the diagonal includes the diagonal's 1s. The page orders
/// the cells by clustering (heatmap_order), not by this order.
struct report_heatmap {
    std::string step;                        ///< the correlation step
    std::string matrix = "r";                ///< which of its matrices ("r", "r_mean")
    std::uint64_t series = 0;                ///< N
    std::string axis = "series";             ///< what a row is, plural: "series", "variables" (group_by)
    std::vector<std::uint64_t> block_start;  ///< cells + 1 entries, block_start[0] = 0, back() = N
    std::vector<double> value;               ///< cells x cells, row-major, in matrix order
    std::vector<std::string> labels;         ///< one per cell (empty: none): the id of the block's first series

    std::size_t cells() const noexcept { return block_start.empty() ? 0 : block_start.size() - 1; }
};

/// Builds a report_heatmap from the rows of an N x N matrix fed in strips, holding only the
/// cells' sums and counts (and a cell index per column): O(N + cells^2) memory for any N.
class heatmap_reducer {
public:
    explicit heatmap_reducer(std::uint64_t n, std::size_t max_cells = report_heatmap_max_cells);
    /// The strips to feed: rows [row0, row0 + rows) of the matrix, row-major (rows x N values),
    /// in any order, each row once. Throws internal_error when they do not fit the matrix.
    void add_rows(std::uint64_t row0, std::uint64_t rows, std::span<const double> values);
    /// Rows of the matrix per strip that keep a strip near `bytes`: at least 1.
    std::uint64_t rows_per_strip(std::uint64_t bytes = 8u << 20) const noexcept;
    /// The cells' means. `row_ids` (N ids, or empty) name the blocks by their first series.
    report_heatmap result(std::string step, std::string matrix, const std::vector<std::string>& row_ids) const;

private:
    std::uint64_t n_;
    std::vector<std::uint64_t> start_;
    std::vector<std::uint32_t> cell_of_;  // per column
    std::vector<double> sum_;
    std::vector<std::uint64_t> count_;
};

/// The order in which the page draws the heatmap's cells: the leaf order of an average-
/// linkage hierarchical clustering of the cells on the distance 1 - value (NaN counts as
/// r = 0), merging the closest pair first (ties: the lowest indices) and putting the part
/// holding the lower index first. Deterministic; correlated blocks end up side by side.
std::vector<std::size_t> heatmap_order(const report_heatmap& h);

/// `pca`: the share of the variance of each component, largest first.
struct report_pca {
    std::string step;
    std::vector<double> ratio;       ///< explained variance ratio per component
    std::vector<double> cumulative;  ///< cumulative ratio (same size)
};

/// `kmeans`: the size of each cluster and its centroid.
struct report_kmeans {
    std::string step;
    std::string feature_axis;                    ///< what a centroid's entries are ("time", "feature" ...)
    std::vector<std::uint64_t> sizes;            ///< series per cluster, cluster 0 first
    std::vector<std::vector<double>> centroids;  ///< per cluster (may be fewer than sizes: the first ones)
};

/// A window of a series (a pattern match or a motif member) with its values.
struct report_window {
    std::string id;                             ///< the series
    std::int64_t rank = 0;                      ///< 1 = best match; for a motif group 0 = its centre
    double distance = 0;                        ///< to the pattern or to the group's centre
    std::int64_t start_time = 0, end_time = 0;  ///< first and last point
    std::vector<double> values;                 ///< the window's values (empty: not available, listed only)
};

/// `pattern_search`: the pattern and its best matches, drawn z-normalised over each other.
struct report_pattern_search {
    std::string step;
    std::string distance = "euclidean_znorm";  ///< the step's distance
    std::vector<double> pattern;               ///< empty when unknown: the matches alone
    std::vector<report_window> matches;        ///< best first
};

/// `motifs`: the top motif group (its centre first, then its members).
struct report_motif_group {
    std::string step;
    std::int64_t group = 1;
    std::uint64_t series_count = 0;
    std::vector<report_window> windows;  ///< centre first (rank 0), then the members
};

/// The results of the dataset-wide steps, in the order of the config.
struct report_dataset_results {
    std::vector<report_heatmap> correlations;
    std::vector<report_pca> pcas;
    std::vector<report_kmeans> kmeans;
    std::vector<report_pattern_search> patterns;
    std::vector<report_motif_group> motifs;
    std::vector<std::string> notes;  ///< what could not be shown, and why (listed on the page)

    bool empty() const noexcept {
        return correlations.empty() && pcas.empty() && kmeans.empty() && patterns.empty() && motifs.empty() &&
               notes.empty();
    }
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
    report_dataset_results dataset;  ///< pictures of the dataset-wide steps' results
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
