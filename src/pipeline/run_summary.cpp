#include "pipeline/run_summary.hpp"

#include <algorithm>
#include <exception>

#include "core/format.hpp"

namespace tsbatch {
namespace {

// Points of a step's input: the source, "step" (its first series output) or "step/output".
std::uint64_t points_of(const std::string& input, const run_plan& plan, const std::vector<step_total>& steps) {
    if (input == "source") return plan.total_points;
    for (const auto& t : steps)
        if (t.name == input || t.name.rfind(input + "/", 0) == 0) return t.points;
    return 0;
}

}  // namespace

void print_run_summary(std::FILE* out, const run_config& cfg, const std::string& config_path, const run_plan& plan,
                       const run_outcome& o, double total_s, const fixed_costs& fixed) {
    const double imbalance_compute = compute_imbalance(o.rank_work);
    std::fprintf(out, "tsbatch run: %s -> %s\n", config_path.c_str(), cfg.output.path.c_str());
    std::fprintf(out, "%zu series, %s points on %d rank%s in %.2f s (%s points/s)\n", plan.rows.size(),
                 format_human_count(static_cast<double>(plan.total_points)).c_str(), o.ranks, o.ranks > 1 ? "s" : "",
                 total_s, format_human_count(static_cast<double>(plan.total_points) / std::max(total_s, 1e-9)).c_str());
    std::fprintf(out, "balance %s: imbalance (max/mean) %.3f planned, %.3f in compute time\n", cfg.run.balance.c_str(),
                 plan.split.imbalance(), imbalance_compute);
    if (!cfg.run.checkpoint.empty())
        std::fprintf(out, "checkpoint %s: %llu of %zu chunks taken from it, %llu computed\n",
                     cfg.run.checkpoint.c_str(), static_cast<unsigned long long>(o.chunks_reused),
                     plan.split.chunks.size(),
                     static_cast<unsigned long long>(plan.split.chunks.size() - o.chunks_reused));
    std::fprintf(out, "%6s %10s %12s %9s %10s %9s  %s\n", "rank", "series", "points", "read_s", "compute_s", "write_s",
                 "host");
    for (std::size_t r = 0; r < o.rank_work.size(); ++r) {
        const auto& t = o.rank_work[r];
        std::fprintf(out, "%6zu %10llu %12llu %9.3f %10.3f %9.3f  %s\n", r, static_cast<unsigned long long>(t.series),
                     static_cast<unsigned long long>(t.points), t.read_s, t.compute_s, t.write_s,
                     r < o.rank_hosts.size() ? o.rank_hosts[r].c_str() : "?");
    }
    int w = 16;  // step names, "step/output" for several outputs, in one column
    for (const auto& t : o.steps) w = std::max(w, static_cast<int>(t.name.size()));
    std::fprintf(out, "%-*s %-16s %10s %12s %8s %9s\n", w, "step", "op", "rows", "points", "empty", "seconds");
    for (const auto& t : o.steps)
        std::fprintf(out, "%-*s %-16s %10llu %12llu %8llu %9.3f%s\n", w, t.name.c_str(), t.op.c_str(),
                     static_cast<unsigned long long>(t.rows), static_cast<unsigned long long>(t.points),
                     static_cast<unsigned long long>(t.empty), t.seconds, t.kept ? "" : "  (not kept)");
    std::fprintf(out, "fixed costs: start %.3f s, setup %.3f s, finish %.3f s, report %.3f s\n", fixed.start_s,
                 fixed.setup_s, fixed.finish_s, fixed.report_s);
    if (o.spilled_bytes > 0)
        std::fprintf(out, "outputs: %.1f MB beyond run.output_memory_mb (%llu MiB per rank) waited in temporary files\n",
                     static_cast<double>(o.spilled_bytes) / 1e6, static_cast<unsigned long long>(cfg.run.output_memory_mb));
    if (o.skipped > 0)
        std::fprintf(out, "%llu series skipped (invalid input); listed in %s:/_run_skipped\n",
                     static_cast<unsigned long long>(o.skipped), cfg.output.path.c_str());
    std::fflush(out);
}

run_report_data report_data(const run_config& cfg, const std::string& config_path, const run_plan& plan,
                            const run_outcome& o) {
    run_report_data d;
    d.config_path = config_path;
    d.output_path = cfg.output.path;
    d.ranks = o.ranks;
    d.total_series = plan.rows.size();
    d.total_points = plan.total_points;
    d.rank_work = o.rank_work;
    d.rank_hosts = o.rank_hosts;
    d.planned_imbalance = plan.split.imbalance();
    for (const auto& t : o.steps) {
        report_step s{t.name, t.op, t.rows, t.points, t.empty, t.seconds, 0, t.kept};
        const auto slash = t.name.find('/');
        const auto* cfg_step = cfg.find_step(t.name.substr(0, slash));
        s.input_points = cfg_step ? points_of(cfg_step->input, plan, o.steps) : 0;
        d.steps.push_back(std::move(s));
    }
    d.skipped_series = o.skipped;
    d.chunks = plan.split.chunks.size();
    d.chunks_from_checkpoint = o.chunks_reused;
    return d;
}

std::vector<report_sample> report_samples(const run_config& cfg, const run_plan& plan, const execution& ex,
                                          const row_reader& read) {
    std::vector<report_sample> out;
    for (auto row : report_sample_rows(plan)) {
        series_batch in = read(std::span<const std::uint64_t>(&row, 1), {});
        select_time(in, cfg.input.select.time_from, cfg.input.select.time_to);
        report_sample s;
        s.id = in.meta[0].id;
        const auto src = in.series(0);
        s.traces.push_back({"source", {src.time.begin(), src.time.end()}, {src.value.begin(), src.value.end()}});
        for (const auto& st : ex.steps)
            for (const auto& o : st.outputs) {
                if (o.kind != data_kind::series) continue;
                for (std::size_t i = 0; i < o.series.size(); ++i) {
                    if (o.series.meta[i].source_index != row) continue;
                    const auto v = o.series.series(i);
                    s.traces.push_back({o.name.empty() ? st.name : st.name + "/" + o.name,
                                        {v.time.begin(), v.time.end()},
                                        {v.value.begin(), v.value.end()}});
                    break;
                }
            }
        out.push_back(std::move(s));
    }
    return out;
}

std::string report_path_of(const std::string& output_path) {
    std::string path = output_path;
    if (path.size() > 3 && path.compare(path.size() - 3, 3, ".h5") == 0) path.resize(path.size() - 3);
    return path + ".report.html";
}

void write_report(const run_config& cfg, const std::string& config_path, const std::string& version,
                  const run_clock& clock, const run_plan& plan, const run_outcome& o, const execution& ex,
                  const row_reader& read,
                  const std::function<report_dataset_results(std::vector<report_sample>&)>& dataset) {
    const std::string path = report_path_of(cfg.output.path);
    try {
        run_report_data d = report_data(cfg, config_path, plan, o);
        d.start_ms = clock.start_ms;
        d.end_ms = run_clock::wall_ms();
        d.tsbatch_version = version;
        d.total_seconds = clock.seconds();
        d.samples = report_samples(cfg, plan, ex, read);
        if (dataset) d.dataset = dataset(d.samples);
        write_run_report(path, d);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tsbatch: warning: no run report: %s\n", e.what());
    }
}

}  // namespace tsbatch
