#include "pipeline/run_commit.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <utility>

#include "algo/kernels/blas.hpp"
#include "build_info.hpp"
#include "core/host_name.hpp"
#include "core/time.hpp"
#include "io/h5.hpp"
#include "io/staged.hpp"
#include "parallel/agreement.hpp"
#include "parallel/mpi_comm.hpp"
#include "pipeline/collective.hpp"
#include "pipeline/dataset_stage.hpp"

namespace tsbatch {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::string file_mtime_iso(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return "unknown";
    return format_iso8601(static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000);
}

// Every kept series-wise step: one output is the step's group; several are its subgroups
// (/S/match ...). Streamed outputs come from the spool, in pieces.
void write_steps(staged_writer& out, const run_config& cfg, const computed_run& run) {
    const execution& ex = run.ex;
    for (std::size_t s = 0; s < ex.steps.size(); ++s) {
        const auto& st = ex.steps[s];
        if (!cfg.keeps(st.name)) continue;
        const bool multi = st.outputs.size() > 1;
        if (multi) out.write_group("/" + st.name, st.op);
        for (std::size_t k = 0; k < st.outputs.size(); ++k) {
            const auto& o = st.outputs[k];
            const std::string path = "/" + st.name + (multi ? "/" + o.name : "");
            const std::string op = multi ? "" : st.op;
            const int route = s < run.route.size() && k < run.route[s].size() ? run.route[s][k] : points_in_memory;
            if (o.kind == data_kind::series && route >= 0)
                out.write_collection(path, o.series, *run.spool->source(static_cast<std::size_t>(route)), op);
            else if (o.kind == data_kind::series)
                out.write_collection(path, o.series, op);
            else
                out.write_table(path, o.table, op);
        }
    }
}

// DESIGN §3: what produced this file, from what, where and when.
void write_provenance(staged_writer& out, const comm& c, const run_config& cfg, const run_origin& origin,
                      const run_plan& plan, const run_outcome& o) {
    std::error_code ec;
    const std::vector<std::pair<std::string, std::string>> text_attrs = {
        {"tsbatch_version", TSBATCH_VERSION},
        {"tsbatch_git", TSBATCH_GIT_ID},
        {"config", to_yaml(cfg)},
        {"config_file", origin.config_path},
        {"command_line", origin.command_line},
        {"host", host_name()},
        {"start_time", format_iso8601(origin.start_ms)},
        {"end_time", format_iso8601(run_clock::wall_ms())},
        {"input_path", std::filesystem::absolute(cfg.input.path, ec).string()},
        {"input_group", cfg.input.group},
        {"input_mtime", file_mtime_iso(cfg.input.path)},
        {"hdf5_version", h5::library_version()},
        {"mpi_version", mpi_session::library_version()},
        {"blas", blas_description()},
    };
    // Attribute writes are collective and must carry the same value on every rank.
    for (const auto& [k, v] : text_attrs) out.set_attr("/", k, c.broadcast(v));
    out.set_attr("/", "ranks", static_cast<std::int64_t>(c.size()));
    const auto input_size = static_cast<std::int64_t>(std::filesystem::file_size(cfg.input.path, ec));
    out.set_attr("/", "input_size", c.allgather(input_size).front());
    out.set_attr("/", "series_skipped", static_cast<std::int64_t>(o.skipped));
    out.set_attr("/", "chunks", static_cast<std::int64_t>(plan.split.chunks.size()));
    out.set_attr("/", "balance", cfg.run.balance);
    out.set_attr("/", "imbalance_planned", plan.split.imbalance());
    out.set_attr("/", "imbalance_compute", compute_imbalance(o.rank_work));
    out.set_attr("/", "chunks_from_checkpoint", static_cast<std::int64_t>(o.chunks_reused));
}

// /_run_steps (one row per step output) and /_run_ranks (one row per rank), both written by
// rank 0, and /_run_skipped (every rank its own).
void write_run_tables(staged_writer& out, const comm& c, const run_outcome& o, const execution& ex) {
    table_batch steps({{"step", column_type::string, "", ""},
                       {"op", column_type::string, "", ""},
                       {"rows", column_type::int64, "", "series (or table rows) produced"},
                       {"points", column_type::int64, "", ""},
                       {"empty_series", column_type::int64, "", ""},
                       {"seconds", column_type::float64, "s", "slowest rank"}});
    if (c.is_root())
        for (const auto& t : o.steps) {
            row_sink row(steps);
            row.set(0, t.name);
            row.set(1, t.op);
            row.set(2, static_cast<std::int64_t>(t.rows));
            row.set(3, static_cast<std::int64_t>(t.points));
            row.set(4, static_cast<std::int64_t>(t.empty));
            row.set(5, t.seconds);
        }
    out.write_table("/_run_steps", steps, "", false);

    table_batch ranks({{"rank", column_type::int64, "", ""},
                       {"host", column_type::string, "", "the host the rank ran on"},
                       {"series", column_type::int64, "", ""},
                       {"points", column_type::int64, "", ""},
                       {"read_s", column_type::float64, "s", ""},
                       {"compute_s", column_type::float64, "s", ""},
                       {"write_s", column_type::float64, "s", ""}});
    if (c.is_root())
        for (std::size_t r = 0; r < o.rank_work.size(); ++r) {
            const auto& t = o.rank_work[r];
            row_sink row(ranks);
            row.set(0, static_cast<std::int64_t>(r));
            row.set(1, r < o.rank_hosts.size() ? o.rank_hosts[r] : std::string("?"));
            row.set(2, static_cast<std::int64_t>(t.series));
            row.set(3, static_cast<std::int64_t>(t.points));
            row.set(4, t.read_s);
            row.set(5, t.compute_s);
            row.set(6, t.write_s);
        }
    out.write_table("/_run_ranks", ranks, "", false);

    table_batch skipped({{"reason", column_type::string, "", ""}});
    for (const auto& s : ex.skipped) {
        skipped.meta.push_back({s.id, "", "", s.source_index});
        row_sink(skipped).set(0, s.reason);
    }
    out.write_table("/_run_skipped", skipped, "", true);
}

}  // namespace

run_outcome write_result(const comm& c, const run_config& cfg, const step_pipeline& pipeline, const run_origin& origin,
                         const run_plan& plan, computed_run& run, std::vector<step_total> series_totals,
                         checkpoint_store* checkpoint, bool io_threads) {
    run_outcome o;
    o.ranks = c.size();
    o.steps = std::move(series_totals);
    o.skipped = run.skipped;
    o.chunks_reused = run.chunks_reused;
    report_rank timing = run.timing;

    write_options wo;
    wo.deflate_level = cfg.output.compression == "deflate" ? cfg.output.deflate_level : 0;
    wo.tiles_in_background = io_threads;
    std::optional<staged_writer> out;
    agreed_phase(c, [&] { out.emplace(c, cfg.output.path, wo); });
    collective_section(c, [&] {
        const auto t0 = clock_type::now();
        write_steps(*out, cfg, run);
        timing.write_s = seconds_since(t0);
    });
    o.spilled_bytes = c.sum(run.spool ? run.spool->spilled_bytes() : 0);
    run.spool.reset();  // its memory and file go before the dataset-wide steps
    const dataset_stage_inputs ds{cfg, pipeline, run.ex, run.chunk_rows, run.source, run.source_rows, checkpoint};
    for (auto& t : run_dataset_steps(c, ds, *out))
        o.steps.push_back({t.name, t.op, t.rows, t.points, 0, t.seconds, true});
    run.source = series_batch{};
    collective_section(c, [&] {
        const auto t0 = clock_type::now();
        o.rank_work = c.allgather(timing);
        o.rank_hosts = c.allgather_strings({host_name()});
        write_provenance(*out, c, cfg, origin, plan, o);
        write_run_tables(*out, c, o, run.ex);
        out->commit();
        o.finish_s = seconds_since(t0);
    });
    return o;
}

void remove_checkpoint(const comm& c, const checkpoint_store& checkpoint) {
    c.barrier();  // every rank is done reading it
    if (c.is_root()) checkpoint.remove();
}

}  // namespace tsbatch
