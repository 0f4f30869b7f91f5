#include "pipeline/run_driver.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "build_info.hpp"
#include "cli/run_context.hpp"
#include "core/error.hpp"
#include "core/glob.hpp"
#include "core/time.hpp"
#include "io/h5.hpp"
#include "io/staged.hpp"
#include "parallel/mpi_comm.hpp"
#include "parallel/partition.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"
#include "pipeline/progress.hpp"


namespace tsbatch {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Whether a series' canonical tags "k1=v1,k2=v2" satisfy every tag glob of the selection.
bool tags_match(const std::string& tags, const std::map<std::string, std::string>& want) {
    for (const auto& [key, pattern] : want) {
        bool found = false;
        std::size_t pos = 0;
        while (pos <= tags.size()) {
            auto comma = tags.find(',', pos);
            if (comma == std::string::npos) comma = tags.size();
            const auto item = std::string_view(tags).substr(pos, comma - pos);
            const auto eq = item.find('=');
            if (eq != std::string_view::npos && item.substr(0, eq) == key) {
                found = glob_match(pattern, item.substr(eq + 1));
                break;
            }
            pos = comma + 1;
        }
        if (!found) return false;
    }
    return true;
}

// The rows of the input collection the config selects (every rank computes the same).
std::vector<std::uint64_t> selected_rows(const staged_reader& in, const select_config& sel) {
    const auto n = in.series_count();
    std::vector<std::uint64_t> rows;
    if (!sel.selects_series()) {
        rows.resize(n);
        for (std::uint64_t i = 0; i < n; ++i) rows[i] = i;
        return rows;
    }
    const auto metrics = in.read_strings("metric", 0, n);
    const auto tags = in.read_strings("tags", 0, n);
    for (std::uint64_t i = 0; i < n; ++i)
        if ((sel.metric.empty() || glob_match(sel.metric, metrics[i])) && tags_match(tags[i], sel.tags))
            rows.push_back(i);
    return rows;
}

std::string file_mtime_iso(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return "unknown";
    return format_iso8601(static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000);
}

std::string hostname() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
    return buf;
}

struct rank_timing {
    std::uint64_t series = 0;
    std::uint64_t points = 0;
    double read_s = 0;
    double compute_s = 0;
    double write_s = 0;
};

std::string human(double x) {
    const char* units[] = {"", "k", "M", "G", "T"};
    int u = 0;
    while (x >= 1000 && u < 4) {
        x /= 1000;
        ++u;
    }
    return fmt::format("{:.3g}{}", x, units[u]);
}

}  // namespace

std::string read_config_text(const comm& c, const std::string& path) {
    std::string text, error;
    if (c.is_root()) {
        std::ifstream f(path, std::ios::binary);
        if (!f) {
            error = path + ": cannot read the config file (" +
                    (std::filesystem::exists(path) ? "permission denied" : "no such file") + ")";
        } else {
            std::ostringstream ss;
            ss << f.rdbuf();
            text = ss.str();
        }
    }
    error = c.broadcast(error);
    if (!error.empty()) throw config_error(error);
    return c.broadcast(text);
}

int run_pipeline(const comm& c, const run_request& req) {
    const auto t_start = clock_type::now();
    const auto wall_start = wall_ms();
    const bool root = c.is_root();

    // 1. Config: rank 0 reads, everyone parses the same text (errors are alike everywhere).
    const std::string text = read_config_text(c, req.config_path);
    const run_config cfg = parse_run_config(text, req.config_path, req.overrides);
    const step_pipeline pipeline(cfg);

    // 2. Input: open, select, refuse to overwrite it.
    std::optional<staged_reader> input;
    std::vector<std::uint64_t> rows;
    agreed_phase(c, [&] {
        std::error_code ec;
        if (std::filesystem::exists(cfg.output.path, ec) && std::filesystem::exists(cfg.input.path, ec) &&
            std::filesystem::equivalent(cfg.output.path, cfg.input.path, ec))
            throw config_error(cfg.file + ": output.path '" + cfg.output.path +
                               "' is the input file; a run never overwrites its input");
        input.emplace(cfg.input.path, cfg.input.group, c);
        rows = selected_rows(*input, cfg.input.select);
    });
    const std::string input_name = cfg.input.path + (cfg.input.group == "/" ? "" : ":" + cfg.input.group);
    if (root && rows.empty() && input->series_count() > 0)
        std::fprintf(stderr, "tsbatch: warning: input.select matches none of the %llu series of %s\n",
                     static_cast<unsigned long long>(input->series_count()), input_name.c_str());

    // 3. Decomposition: chunks independent of the rank count, then contiguous chunk ranges.
    std::vector<std::uint64_t> counts(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) counts[i] = input->counts()[rows[i]];
    const auto plan = decompose(counts, pipeline, cfg.run.balance, c.size());
    const auto mine = plan.series_of_rank(c.rank());
    std::uint64_t total_points = 0;
    for (auto n : counts) total_points += n;

    if (req.dry_run) {
        if (root) {
            std::printf("dry run: %s\n", req.config_path.c_str());
            std::printf("input %s: %zu of %llu series selected, %s points, %zu chunks\n", input_name.c_str(), rows.size(),
                        static_cast<unsigned long long>(input->series_count()), human(static_cast<double>(total_points)).c_str(),
                        plan.chunks.size());
            for (const auto& s : cfg.steps)
                std::printf("step %-16s op %-14s input %-12s%s\n", s.name.c_str(), s.op.c_str(), s.input.c_str(),
                            cfg.keeps(s.name) ? "" : "  (not kept)");
            for (int r = 0; r < c.size(); ++r) {
                const auto sr = plan.series_of_rank(r);
                std::uint64_t pts = 0;
                for (auto i = sr.begin; i < sr.end; ++i) pts += counts[i];
                std::printf("rank %d: series [%zu, %zu) %s points\n", r, sr.begin, sr.end, human(static_cast<double>(pts)).c_str());
            }
            std::printf("estimated imbalance (max/mean rank cost): %.3f\n", plan.imbalance());
            std::printf("output %s (not written)\n", cfg.output.path.c_str());
        }
        return 0;
    }

    // 4. Read this rank's slab and run the steps.
    rank_timing timing;
    execution ex;
    agreed_phase(c, [&] {
        auto t0 = clock_type::now();
        std::span<const std::uint64_t> my_rows(rows.data() + mine.begin, mine.size());
        series_batch batch = input->read(my_rows);
        select_time(batch, cfg.input.select.time_from, cfg.input.select.time_to);
        timing.read_s = seconds_since(t0);
        timing.series = batch.size();
        timing.points = batch.point_count();

        std::optional<progress_reporter> progress;
        progress_fn on_progress;
        if (root && c.size() >= 1) {
            progress.emplace(stderr, isatty(fileno(stderr)) != 0, cfg.run.progress_interval_ms);
            // Rank 0 sees its own share only; ranks hold near-equal cost, so its fraction
            // extrapolated to the whole job is the progress estimate.
            progress->start(rows.size(), total_points);
            const double scale_series = batch.size() ? static_cast<double>(rows.size()) / batch.size() : 1.0;
            const double scale_points = batch.point_count() ? static_cast<double>(total_points) / batch.point_count() : 1.0;
            on_progress = [&, scale_series, scale_points](std::uint64_t s, std::uint64_t p) {
                progress->update(static_cast<std::uint64_t>(s * scale_series), static_cast<std::uint64_t>(p * scale_points));
            };
        }
        t0 = clock_type::now();
        ex = pipeline.run(batch, input_name, cfg.run.on_series_error == "skip", on_progress);
        timing.compute_s = seconds_since(t0);
        if (progress) progress->finish();
    });
    input.reset();

    // 5. Write the result collectively; the file appears under its final name only when complete.
    const std::uint64_t skipped = c.sum(ex.skipped.size());
    std::vector<rank_timing> all_timing;
    collective_section(c, [&] {
        write_options wo;
        wo.deflate_level = cfg.output.compression == "deflate" ? cfg.output.deflate_level : 0;
        staged_writer out(c, cfg.output.path, wo);
        const auto t0 = clock_type::now();
        for (const auto& st : ex.steps) {
            if (!cfg.keeps(st.name)) continue;
            if (st.kind == data_kind::series) out.write_collection("/" + st.name, st.series, st.op);
            else out.write_table("/" + st.name, st.table, st.op);
        }
        timing.write_s = seconds_since(t0);

        // Provenance (DESIGN §3) and the per-rank timing summary.
        all_timing = c.allgather(timing);
        std::error_code ec;
        const auto abs_input = std::filesystem::absolute(cfg.input.path, ec).string();
        const std::vector<std::pair<std::string, std::string>> text_attrs = {
            {"tsbatch_version", TSBATCH_VERSION},
            {"tsbatch_git", TSBATCH_GIT_ID},
            {"config", to_yaml(cfg)},
            {"config_file", req.config_path},
            {"command_line", req.command_line},
            {"host", c.broadcast(hostname())},
            {"start_time", format_iso8601(wall_start)},
            {"end_time", format_iso8601(c.max(wall_ms()))},
            {"input_path", abs_input},
            {"input_group", cfg.input.group},
            {"input_mtime", file_mtime_iso(cfg.input.path)},
            {"hdf5_version", h5::library_version()},
            {"mpi_version", mpi_session::library_version()},
        };
        for (const auto& [k, v] : text_attrs) out.set_attr("/", k, c.broadcast(v));
        out.set_attr("/", "ranks", static_cast<std::int64_t>(c.size()));
        out.set_attr("/", "input_size", static_cast<std::int64_t>(std::filesystem::file_size(cfg.input.path, ec)));
        out.set_attr("/", "series_skipped", static_cast<std::int64_t>(skipped));

        table_batch ranks({{"rank", column_type::int64, "", ""},
                           {"series", column_type::int64, "", ""},
                           {"points", column_type::int64, "", ""},
                           {"read_s", column_type::float64, "s", ""},
                           {"compute_s", column_type::float64, "s", ""},
                           {"write_s", column_type::float64, "s", ""}});
        if (root)
            for (std::size_t r = 0; r < all_timing.size(); ++r) {
                const auto& t = all_timing[r];
                row_sink row(ranks);
                row.set(0, static_cast<std::int64_t>(r));
                row.set(1, static_cast<std::int64_t>(t.series));
                row.set(2, static_cast<std::int64_t>(t.points));
                row.set(3, t.read_s);
                row.set(4, t.compute_s);
                row.set(5, t.write_s);
            }
        out.write_table("/_run_ranks", ranks, "", false);

        table_batch skip_table({{"reason", column_type::string, "", ""}});
        for (const auto& s : ex.skipped) {
            skip_table.meta.push_back({s.id, "", "", s.source_index});
            row_sink(skip_table).set(0, s.reason);
        }
        out.write_table("/_run_skipped", skip_table, "", true);
        out.commit();
    });

    if (root) {
        const double total_s = seconds_since(t_start);
        std::printf("tsbatch run: %s -> %s\n", req.config_path.c_str(), cfg.output.path.c_str());
        std::printf("%zu series, %s points on %d rank%s in %.2f s (%s points/s)\n", rows.size(),
                    human(static_cast<double>(total_points)).c_str(), c.size(), c.size() > 1 ? "s" : "", total_s,
                    human(static_cast<double>(total_points) / std::max(total_s, 1e-9)).c_str());
        std::printf("%6s %10s %12s %9s %10s %9s\n", "rank", "series", "points", "read_s", "compute_s", "write_s");
        for (std::size_t r = 0; r < all_timing.size(); ++r) {
            const auto& t = all_timing[r];
            std::printf("%6zu %10llu %12llu %9.3f %10.3f %9.3f\n", r, static_cast<unsigned long long>(t.series),
                        static_cast<unsigned long long>(t.points), t.read_s, t.compute_s, t.write_s);
        }
        if (skipped > 0)
            std::printf("%llu series skipped (invalid input); listed in %s:/_run_skipped\n",
                        static_cast<unsigned long long>(skipped), cfg.output.path.c_str());
        std::fflush(stdout);
    }
    return skipped > 0 ? static_cast<int>(exit_code::series_skipped) : 0;
}

}  // namespace tsbatch
