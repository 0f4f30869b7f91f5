#include "pipeline/report_results.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "io/result_reader.hpp"
#include "io/staged.hpp"
#include "pipeline/executor.hpp"

namespace tsbatch {
namespace {

// Rows of a table or of string ids read at once: a bound on what is held.
constexpr std::uint64_t table_strip = 65536;
// Windows and centroids kept per picture (the page draws at most 12 and 24 of them).
constexpr std::size_t max_windows = 12;
constexpr std::size_t max_centroids = 24;

// Rows of a table read by table_reader (which leaves meta empty).
std::size_t rows_in(const table_batch& t) {
    return t.columns.empty() ? 0 : t.columns.front().size();
}

const table_column* column_of(const table_batch& t, const std::string& name) {
    for (const auto& c : t.columns)
        if (c.spec.name == name) return &c;
    return nullptr;
}

std::int64_t int_at(const table_batch& t, const std::string& name, std::size_t row) {
    const auto* c = column_of(t, name);
    return c && c->spec.type == column_type::int64 && row < c->ints.size() ? c->ints[row] : 0;
}

double float_at(const table_batch& t, const std::string& name, std::size_t row) {
    const auto* c = column_of(t, name);
    return c && c->spec.type == column_type::float64 && row < c->floats.size()
               ? c->floats[row]
               : std::numeric_limits<double>::quiet_NaN();
}

std::string string_at(const table_batch& t, const std::string& name, std::size_t row) {
    const auto* c = column_of(t, name);
    return c && c->spec.type == column_type::string && row < c->strings.size() ? c->strings[row] : std::string();
}

// Every row of a small table (PCA variance, the top matches, motif groups).
table_batch read_table(const result_file& f, const std::string& path) {
    const table_reader t(f, path);
    return t.read(0, t.rows());
}

// The values of `s` from `from` to `to`, both included.
std::vector<double> values_between(series_view s, std::int64_t from, std::int64_t to) {
    const auto b = std::lower_bound(s.time.begin(), s.time.end(), from);
    const auto e = std::upper_bound(s.time.begin(), s.time.end(), to);
    if (b >= e) return {};
    return {s.value.begin() + (b - s.time.begin()), s.value.begin() + (e - s.time.begin())};
}

// Sets rows[k] to the collection row of each id of `by_id` (id -> the k's asking for it),
// reading the ids a strip at a time; rows not found keep `no_row`.
void find_rows_by_id(const staged_reader& collection, const std::map<std::string, std::vector<std::size_t>>& by_id,
                     std::vector<std::uint64_t>& rows, std::uint64_t no_row) {
    std::size_t left = by_id.size();
    for (std::uint64_t start = 0; start < collection.series_count() && left > 0; start += table_strip) {
        const auto ids = collection.read_strings("id", start, std::min(table_strip, collection.series_count() - start));
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const auto it = by_id.find(ids[i]);
            if (it == by_id.end() || rows[it->second.front()] != no_row) continue;
            for (const auto k : it->second) rows[k] = start + i;
            --left;
        }
    }
}

// The series a dataset-wide step read: the run's input (rows by file row, select.time
// applied) or a series step's collection in the result (rows found by id).
class step_input {
public:
    step_input(const run_config& cfg, const staged_reader& input, const result_file& result, const step_config& st)
        : cfg_(cfg), input_(&input) {
        if (st.input == "source") return;
        input_ = nullptr;
        if (!cfg.keeps(st.input)) {
            why_not_ = "its input step " + st.input + " is not kept in the result";
            return;
        }
        for (const auto& o : result.objects_under("/" + st.input))
            if (o.kind == stored_kind::collection) {
                own_.emplace(result.path(), o.path, comm());
                input_ = &*own_;
                return;
            }
        why_not_ = "its input step " + st.input + " has no series in the result";
    }

    bool available() const noexcept { return input_ != nullptr; }
    const std::string& why_not() const noexcept { return why_not_; }

    /// The series of the given ids and file rows (series_index), as the step saw them, in
    /// the order of `wanted`; an empty batch entry (no meta) for one not found.
    std::vector<std::optional<series_batch>> read(
        const std::vector<std::pair<std::string, std::uint64_t>>& wanted) const {
        std::vector<std::optional<series_batch>> out(wanted.size());
        if (!input_) return out;
        std::vector<std::uint64_t> rows(wanted.size(), no_row);
        if (own_) {
            // A result collection: find the ids, a strip of ids at a time.
            std::map<std::string, std::vector<std::size_t>> by_id;
            for (std::size_t k = 0; k < wanted.size(); ++k) by_id[wanted[k].first].push_back(k);
            find_ids(by_id, rows);
        } else {
            for (std::size_t k = 0; k < wanted.size(); ++k)
                if (wanted[k].second < input_->series_count()) rows[k] = wanted[k].second;
        }
        for (std::size_t k = 0; k < wanted.size(); ++k) {
            if (rows[k] == no_row) continue;
            series_batch b = input_->read(std::span<const std::uint64_t>(&rows[k], 1));
            if (!own_) select_time(b, cfg_.input.select.time_from, cfg_.input.select.time_to);
            out[k] = std::move(b);
        }
        return out;
    }

    /// The file row of series `id` in the input, if any.
    std::optional<std::uint64_t> row_of(const std::string& id) const {
        if (!input_) return std::nullopt;
        std::map<std::string, std::vector<std::size_t>> by_id{{id, {0}}};
        std::vector<std::uint64_t> rows(1, no_row);
        find_ids(by_id, rows);
        if (rows[0] == no_row) return std::nullopt;
        return rows[0];
    }

private:
    static constexpr std::uint64_t no_row = ~std::uint64_t{0};

    void find_ids(const std::map<std::string, std::vector<std::size_t>>& by_id,
                  std::vector<std::uint64_t>& rows) const {
        find_rows_by_id(*input_, by_id, rows, no_row);
    }

    const run_config& cfg_;
    const staged_reader* input_;
    std::optional<staged_reader> own_;
    std::string why_not_;
};

// Fills each window's values from the step's input; says so in `notes` when it cannot.
void fill_windows(std::vector<report_window>& windows, const std::vector<std::uint64_t>& rows, const step_input& in,
                  const std::string& step, std::vector<std::string>& notes) {
    if (!in.available()) {
        notes.push_back(step + ": windows listed without their values: " + in.why_not());
        return;
    }
    std::vector<std::pair<std::string, std::uint64_t>> wanted;
    for (std::size_t k = 0; k < windows.size(); ++k) wanted.emplace_back(windows[k].id, rows[k]);
    const auto series = in.read(wanted);
    for (std::size_t k = 0; k < windows.size(); ++k)
        if (series[k] && series[k]->size() == 1)
            windows[k].values = values_between(series[k]->series(0), windows[k].start_time, windows[k].end_time);
}

report_heatmap read_correlation(const result_file& f, const std::string& step, const step_config& st) {
    // With group_by the picture is the mean over the contexts (variables x variables).
    const bool grouped = st.params.has("group_by") && !st.params.text("group_by").empty();
    const std::string name = grouped ? "r_mean" : "r";
    const matrix_reader m(f, "/" + step + "/" + name);
    const std::uint64_t n = m.rows();
    if (m.cols() != n) throw input_error(f.path() + ":/" + step + "/" + name + " is not square");
    heatmap_reducer reducer(n);
    // Strips of whole rows of the file's chunks where those fit in 64 MiB: HDF5 then reads
    // each chunk once, where strips that cut chunks read every chunk two or three times (1.3 s
    // of the report on a 10,000 x 10,000 matrix).
    std::uint64_t strip = reducer.rows_per_strip();
    if (matrix_tile * n * sizeof(double) <= (std::uint64_t{64} << 20))
        strip = std::max(matrix_tile, strip / matrix_tile * matrix_tile);
    std::vector<double> values;
    for (std::uint64_t r = 0; r < n; r += strip) {
        const std::uint64_t rows = std::min(strip, n - r);
        m.read_rows(r, rows, values);
        reducer.add_rows(r, rows, values);
    }
    if (!grouped) return reducer.result(step, name, m.labels(0));
    // Rows are the variables (metrics) in sorted order: named from the series table.
    std::vector<std::string> names(n);
    const table_reader series(f, "/" + step + "/series");
    for (std::uint64_t r = 0; r < series.rows(); r += table_strip) {
        const table_batch t = series.read(r, std::min(table_strip, series.rows() - r));
        for (std::size_t i = 0; i < rows_in(t); ++i) {
            const std::int64_t v = int_at(t, "variable_index", i);
            if (v >= 0 && static_cast<std::uint64_t>(v) < n)
                names[static_cast<std::size_t>(v)] = string_at(t, "variable", i);
        }
    }
    report_heatmap h = reducer.result(step, name, names);
    h.axis = "variables";
    return h;
}

report_pca read_pca(const result_file& f, const std::string& step) {
    const table_batch t = read_table(f, "/" + step + "/variance");
    report_pca p;
    p.step = step;
    const auto* ratio = column_of(t, "ratio");
    const auto* cumulative = column_of(t, "cumulative_ratio");
    if (ratio) p.ratio = ratio->floats;
    if (cumulative) p.cumulative = cumulative->floats;
    return p;
}

report_kmeans read_kmeans(const result_file& f, const std::string& step) {
    report_kmeans k;
    k.step = step;
    const matrix_reader centroids(f, "/" + step + "/centroids");
    k.feature_axis = centroids.axis_name(1);
    k.sizes.assign(centroids.rows(), 0);
    const table_reader labels(f, "/" + step + "/labels");
    for (std::uint64_t r = 0; r < labels.rows(); r += table_strip) {
        const table_batch t = labels.read(r, std::min(table_strip, labels.rows() - r));
        if (const auto* c = column_of(t, "cluster"))
            for (const auto v : c->ints)
                if (v >= 0 && static_cast<std::uint64_t>(v) < k.sizes.size()) ++k.sizes[static_cast<std::size_t>(v)];
    }
    for (std::uint64_t i = 0; i < std::min<std::uint64_t>(centroids.rows(), max_centroids); ++i)
        k.centroids.push_back(centroids.read_rows(i, 1));
    return k;
}

// A table's rows as windows: id, distance, start/end time; `rank_column` "" gives rank 0.
report_window window_at(const table_batch& t, std::size_t row, const std::string& rank_column) {
    report_window w;
    w.id = string_at(t, "id", row);
    w.rank = rank_column.empty() ? 0 : int_at(t, rank_column, row);
    w.distance = float_at(t, "distance", row);
    w.start_time = int_at(t, "start_time", row);
    w.end_time = int_at(t, "end_time", row);
    return w;
}

// An inline pattern: numbers separated by commas, as pattern_search reads it.
std::optional<std::vector<double>> inline_pattern(const std::string& text) {
    std::vector<double> v;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        std::istringstream one(item);
        double x = 0;
        if (!(one >> x)) return std::nullopt;
        one >> std::ws;
        if (!one.eof()) return std::nullopt;
        v.push_back(x);
    }
    if (v.empty()) return std::nullopt;
    return v;
}

report_pattern_search read_pattern_search(const result_file& f, const std::string& step, const step_config& st,
                                          const step_input& in, std::vector<std::string>& notes) {
    report_pattern_search p;
    p.step = step;
    if (st.params.has("distance")) p.distance = st.params.text("distance");
    const table_batch t = read_table(f, "/" + step);
    std::vector<std::uint64_t> rows;
    for (std::size_t r = 0; r < rows_in(t) && p.matches.size() < max_windows; ++r) {
        p.matches.push_back(window_at(t, r, "rank"));
        rows.push_back(static_cast<std::uint64_t>(int_at(t, "series_index", r)));
    }
    fill_windows(p.matches, rows, in, step, notes);
    const std::string pattern = st.params.has("pattern") ? st.params.text("pattern") : std::string();
    if (auto v = inline_pattern(pattern)) {
        p.pattern = std::move(*v);
    } else if (in.available()) {
        // A series of the input: its points in [pattern_from, pattern_to).
        const auto row = in.row_of(pattern);
        if (row) {
            const auto s = in.read({{pattern, *row}});
            if (s[0] && s[0]->size() == 1) {
                const auto ps = s[0]->series(0);
                const std::int64_t from = st.params.has("pattern_from") ? st.params.timestamp("pattern_from")
                                                                        : std::numeric_limits<std::int64_t>::min();
                const std::int64_t to = st.params.has("pattern_to") ? st.params.timestamp("pattern_to")
                                                                    : std::numeric_limits<std::int64_t>::max();
                for (std::size_t k = 0; k < ps.size(); ++k)
                    if (ps.time[k] >= from && ps.time[k] < to) p.pattern.push_back(ps.value[k]);
            }
        }
    }
    return p;
}

std::optional<report_motif_group> read_motifs(const result_file& f, const std::string& step, const step_input& in,
                                              std::vector<std::string>& notes) {
    const table_reader reader(f, "/" + step);
    // The table is sorted by group, centre first: the top group is at the start.
    report_motif_group g;
    g.step = step;
    std::vector<std::uint64_t> rows;
    bool found = false, done = false;
    for (std::uint64_t r0 = 0; r0 < reader.rows() && !done; r0 += 256) {
        const table_batch t = reader.read(r0, std::min<std::uint64_t>(256, reader.rows() - r0));
        for (std::size_t r = 0; r < rows_in(t) && !done; ++r) {
            const std::int64_t group = int_at(t, "group", r);
            if (!found) {
                g.group = group;
                g.series_count = static_cast<std::uint64_t>(std::max<std::int64_t>(0, int_at(t, "series_count", r)));
                found = true;
            }
            // The centre and up to max_windows members.
            done = group != g.group || g.windows.size() > max_windows;
            if (done) break;
            report_window w = window_at(t, r, "");
            w.rank = string_at(t, "role", r) == "centre" ? 0 : static_cast<std::int64_t>(g.windows.size());
            g.windows.push_back(std::move(w));
            rows.push_back(static_cast<std::uint64_t>(int_at(t, "series_index", r)));
        }
    }
    if (!found) return std::nullopt;
    fill_windows(g.windows, rows, in, step, notes);
    return g;
}

// The profile of each sample series a matrix_profile step computed, with its top motif pair
// and discord, from the step's `profile` collection and `top` table.
void attach_matrix_profile(const result_file& f, const step_config& st, std::vector<report_sample>& samples) {
    const staged_reader profiles(f.path(), "/" + st.name + "/profile", comm());
    constexpr std::uint64_t no_row = ~std::uint64_t{0};
    std::map<std::string, std::vector<std::size_t>> by_id;
    for (std::size_t k = 0; k < samples.size(); ++k) by_id[samples[k].id].push_back(k);
    std::vector<std::uint64_t> rows(samples.size(), no_row);
    find_rows_by_id(profiles, by_id, rows, no_row);
    std::map<std::string, report_matrix_profile*> panel_of;  // sample id -> its new panel
    for (std::size_t k = 0; k < samples.size(); ++k) {
        if (rows[k] == no_row) continue;
        const series_batch b = profiles.read(std::span<const std::uint64_t>(&rows[k], 1));
        const auto v = b.series(0);
        report_matrix_profile p;
        p.step = st.name;
        p.input = st.input;
        p.window = static_cast<std::size_t>(st.params.integer("window"));
        p.time.assign(v.time.begin(), v.time.end());
        p.distance.assign(v.value.begin(), v.value.end());
        samples[k].profiles.push_back(std::move(p));
    }
    // Pointers taken once every panel is in place (push_back may move a sample's panels).
    for (std::size_t k = 0; k < samples.size(); ++k)
        if (rows[k] != no_row) panel_of[samples[k].id] = &samples[k].profiles.back();
    if (panel_of.empty()) return;
    const table_reader top(f, "/" + st.name + "/top");
    for (std::uint64_t r = 0; r < top.rows(); r += table_strip) {
        const table_batch t = top.read(r, std::min(table_strip, top.rows() - r));
        for (std::size_t i = 0; i < rows_in(t); ++i) {
            const auto it = panel_of.find(string_at(t, "id", i));
            if (it == panel_of.end() || int_at(t, "rank", i) != 1) continue;
            auto& p = *it->second;
            if (string_at(t, "kind", i) == "motif") {
                p.motif_a_time = int_at(t, "start_time", i);
                p.motif_b_time = int_at(t, "neighbor_time", i);
            } else {
                p.discord_time = int_at(t, "start_time", i);
            }
        }
    }
}

}  // namespace

report_dataset_results read_report_results(const run_config& cfg, const staged_reader& input,
                                          std::vector<report_sample>& samples) {
    report_dataset_results r;
    std::optional<result_file> file;
    for (const auto& st : cfg.steps) {
        static const std::set<std::string> drawn{"correlation", "pca",    "kmeans",
                                                 "pattern_search", "motifs", "matrix_profile"};
        if (!drawn.count(st.op) || !cfg.keeps(st.name)) continue;
        try {
            if (!file) file.emplace(cfg.output.path);
            if (st.op == "correlation")
                r.correlations.push_back(read_correlation(*file, st.name, st));
            else if (st.op == "pca")
                r.pcas.push_back(read_pca(*file, st.name));
            else if (st.op == "kmeans")
                r.kmeans.push_back(read_kmeans(*file, st.name));
            else if (st.op == "matrix_profile")
                attach_matrix_profile(*file, st, samples);
            else if (st.op == "pattern_search")
                r.patterns.push_back(
                    read_pattern_search(*file, st.name, st, step_input(cfg, input, *file, st), r.notes));
            else if (auto g = read_motifs(*file, st.name, step_input(cfg, input, *file, st), r.notes))
                r.motifs.push_back(std::move(*g));
        } catch (const std::exception& e) {
            r.notes.push_back(st.name + ": not drawn (" + e.what() + ")");
        }
    }
    return r;
}

}  // namespace tsbatch
