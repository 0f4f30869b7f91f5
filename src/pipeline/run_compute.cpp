#include "pipeline/run_compute.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include "core/error.hpp"
#include "core/memory.hpp"
#include "core/stop_request.hpp"
#include "parallel/agreement.hpp"
#include "pipeline/chunk_reader.hpp"
#include "pipeline/progress.hpp"

namespace tsbatch {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// TSBATCH_TEST_CHUNK_DELAY_MS: a pause after each computed chunk, so that tests can stop a
// small run in the middle. Not for production use.
std::chrono::milliseconds test_chunk_delay() {
    const char* v = std::getenv("TSBATCH_TEST_CHUNK_DELAY_MS");
    return std::chrono::milliseconds(v ? std::atoll(v) : 0);
}

// Chunk k from the checkpoint, or nothing when it is not recorded or its file is damaged
// (a machine crash before the file reached the disk): then it is computed again.
std::optional<execution> load_recorded(const checkpoint_store* checkpoint, std::size_t k, int rank) {
    if (!checkpoint || !checkpoint->has(k)) return std::nullopt;
    try {
        return checkpoint->load(k);
    } catch (const input_error& e) {
        std::fprintf(stderr, "tsbatch: rank %d: warning: %s; computing it again\n", rank, e.what());
        return std::nullopt;
    }
}

// Rows of every output of every series-wise step in this chunk (dataset-wide steps fold
// their partial results over the same chunks).
void record_chunk_rows(chunk_row_counts& chunk_rows, const execution& part) {
    chunk_rows.resize(part.steps.size());
    for (std::size_t s = 0; s < part.steps.size(); ++s) {
        const auto& outs = part.steps[s].outputs;
        chunk_rows[s].resize(outs.size());
        for (std::size_t o = 0; o < outs.size(); ++o)
            chunk_rows[s][o].push_back(outs[o].kind == data_kind::series ? outs[o].series.size()
                                                                         : outs[o].table.size());
    }
}

// Rank 0's progress on stderr (other ranks show none). Rank 0 sees its own share only; ranks
// hold near-equal cost, so its fraction extrapolated to the whole job is the estimate.
class share_progress {
public:
    share_progress(const comm& c, const run_config& cfg, const run_plan& plan, const report_rank& share) {
        if (!c.is_root()) return;
        reporter_.emplace(stderr, isatty(fileno(stderr)) != 0, cfg.run.progress_interval_ms);
        reporter_->start(plan.rows.size(), plan.total_points);
        if (share.series) ks_ = static_cast<double>(plan.rows.size()) / static_cast<double>(share.series);
        if (share.points) kp_ = static_cast<double>(plan.total_points) / static_cast<double>(share.points);
    }

    // Progress within a chunk that starts after this rank's first `s0` series and `p0` points.
    progress_fn after(std::uint64_t s0, std::uint64_t p0) {
        if (!reporter_) return {};
        return [this, s0, p0](std::uint64_t s, std::uint64_t p) {
            reporter_->update(static_cast<std::uint64_t>(static_cast<double>(s0 + s) * ks_),
                              static_cast<std::uint64_t>(static_cast<double>(p0 + p) * kp_));
        };
    }

    void finish() {
        if (reporter_) reporter_->finish();
    }

private:
    std::optional<progress_reporter> reporter_;
    double ks_ = 1, kp_ = 1;
};

// Rows (and, on the way, points) of each series output of `part` that do not stay in memory
// move to `run`: points to their spool stream, rows to run.ex without points. What is left in
// `part` is then appended as before.
void route_chunk(computed_run& run, execution& part) {
    for (std::size_t s = 0; s < part.steps.size(); ++s)
        for (std::size_t o = 0; o < part.steps[s].outputs.size(); ++o) {
            const int route = run.route[s][o];
            auto& out = part.steps[s].outputs[o];
            if (route == points_in_memory || out.kind != data_kind::series) continue;
            series_batch& rows = run.ex.steps[s].outputs[o].series;
            if (route >= 0)
                run.spool->append(static_cast<std::size_t>(route), std::move(out.series.time),
                                  std::move(out.series.value));
            const auto base = rows.offset.back();
            for (std::size_t i = 1; i < out.series.offset.size(); ++i)
                rows.offset.push_back(base + out.series.offset[i]);
            rows.meta.insert(rows.meta.end(), std::make_move_iterator(out.series.meta.begin()),
                             std::make_move_iterator(out.series.meta.end()));
            out.series = series_batch{};
        }
}

// Rank 0: the report's sample rows of every series output of `part` into `sampled`.
void sample_chunk(execution& sampled, const execution& part, const std::vector<std::uint64_t>& rows) {
    for (std::size_t s = 0; s < part.steps.size(); ++s)
        for (std::size_t o = 0; o < part.steps[s].outputs.size(); ++o) {
            const auto& out = part.steps[s].outputs[o];
            if (out.kind != data_kind::series) continue;
            for (std::size_t i = 0; i < out.series.size(); ++i)
                if (std::find(rows.begin(), rows.end(), out.series.meta[i].source_index) != rows.end())
                    sampled.steps[s].outputs[o].series.append(out.series.meta[i], out.series.series(i));
        }
}

// Chunk k read into `chunk` (the previous chunk's, whose buffers the reader may reuse), with
// input.select's time range, and checked (on the reading thread, when it reads ahead).
void read_chunk(const run_config& cfg, const run_plan& plan, std::size_t k, const row_reader& read,
                input_chunk& chunk) {
    chunk.batch = read(plan.rows_of_chunk(k), std::move(chunk.batch));
    select_time(chunk.batch, cfg.input.select.time_from, cfg.input.select.time_to);
    chunk.valid = all_series_valid(chunk.batch);
}

// Chunk k taken into `chunk` and run through the series-wise steps; the seconds spent
// waiting for it and computing it are added to `timing`.
execution compute_chunk(const run_config& cfg, const step_pipeline& pipeline, std::size_t k,
                        const std::string& input_name, chunk_reader& chunks, const progress_fn& on_progress,
                        report_rank& timing, input_chunk& chunk) {
    auto t0 = clock_type::now();
    chunks.take(k, chunk);
    timing.read_s += seconds_since(t0);
    t0 = clock_type::now();
    execution part = pipeline.run(chunk.batch, input_name, cfg.run.on_series_error == "skip", on_progress, chunk.valid);
    timing.compute_s += seconds_since(t0);
    return part;
}

// The series of one chunk that pass check_series appended to the kept source (a series a
// series-wise step skipped with its group is still the source's), consecutive series on one
// time axis sharing it. A chunk checked valid where it was read needs no second look.
void keep_source_chunk(computed_run& run, const input_chunk& chunk) {
    const series_batch& batch = chunk.batch;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (!chunk.valid && !check_series(batch.series(i)).empty()) continue;
        run.source.append_sharing_time(batch.meta[i], batch.series(i));
        ++kept;
    }
    run.source_rows.push_back(kept);
}

}  // namespace

bool dataset_steps_read_source(const run_config& cfg, const step_pipeline& pipeline) {
    for (const auto& d : pipeline.dataset_steps())
        if (d.input < 0 && cfg.keeps(d.name)) return true;
    return false;
}

std::unique_ptr<checkpoint_store> open_run_checkpoint(const comm& c, const run_config& cfg, const run_plan& plan,
                                                      const std::string& program, bool restart) {
    std::unique_ptr<checkpoint_store> checkpoint;
    if (cfg.run.checkpoint.empty()) return checkpoint;
    std::error_code ec;
    struct stat st {};
    const bool have = ::stat(cfg.input.path.c_str(), &st) == 0;
    const std::string fingerprint =
        c.broadcast(program + "\ninput " + std::filesystem::absolute(cfg.input.path, ec).string() + " size " +
                    std::to_string(have ? st.st_size : -1) + " mtime_ns " +
                    std::to_string(have ? st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec : -1) + "\nchunks " +
                    std::to_string(plan.split.chunks.size()) + "\nconfig\n" + to_yaml(cfg));
    agreed_phase(c, [&] {
        if (c.is_root())
            checkpoint = std::make_unique<checkpoint_store>(cfg.run.checkpoint, fingerprint, true, restart);
    });
    agreed_phase(c, [&] {
        if (!c.is_root())
            checkpoint = std::make_unique<checkpoint_store>(cfg.run.checkpoint, fingerprint, false, false);
    });
    install_stop_handlers();
    return checkpoint;
}

std::vector<std::vector<int>> route_points(const run_config& cfg, const step_pipeline& pipeline) {
    const execution skeleton = pipeline.run(series_batch{}, "", false);
    std::vector<std::vector<int>> route(skeleton.steps.size());
    int streams = 0;
    for (std::size_t s = 0; s < skeleton.steps.size(); ++s)
        for (std::size_t o = 0; o < skeleton.steps[s].outputs.size(); ++o) {
            bool read_again = false;
            for (const auto& d : pipeline.dataset_steps())
                read_again |=
                    cfg.keeps(d.name) && d.input == static_cast<int>(s) && d.input_output == static_cast<int>(o);
            if (skeleton.steps[s].outputs[o].kind != data_kind::series || read_again)
                route[s].push_back(points_in_memory);
            else if (cfg.keeps(skeleton.steps[s].name))
                route[s].push_back(streams++);
            else
                route[s].push_back(points_dropped);
        }
    return route;
}

std::vector<std::uint64_t> report_sample_rows(const run_plan& plan) {
    std::vector<std::uint64_t> picks;
    const auto slab = plan.split.series_of_rank(0);
    if (slab.empty()) return picks;
    for (auto i : {slab.begin, slab.begin + slab.size() / 2, slab.end - 1})
        if (std::find(picks.begin(), picks.end(), plan.rows[i]) == picks.end()) picks.push_back(plan.rows[i]);
    return picks;
}

computed_run compute_chunks(const comm& c, const run_config& cfg, const step_pipeline& pipeline, const run_plan& plan,
                            const std::string& input_name, const row_reader& read, checkpoint_store* checkpoint,
                            const compute_options& options) {
    computed_run run;
    const auto mine = plan.split.rank_chunks[static_cast<std::size_t>(c.rank())];
    std::uint64_t done_chunks = 0;
    bool stopped = false;
    const auto sample_rows = c.is_root() ? report_sample_rows(plan) : std::vector<std::uint64_t>{};
    agreed_phase(c, [&] {
        run.ex = pipeline.run(series_batch{}, input_name, false);  // every step, no rows yet
        run.sampled = run.ex;
        run.route = route_points(cfg, pipeline);
        if (!options.spool_outputs)
            for (auto& r : run.route) std::fill(r.begin(), r.end(), static_cast<int>(points_in_memory));
        std::size_t streams = 0;
        for (const auto& r : run.route)
            for (int x : r) streams += x >= 0 ? 1 : 0;
        if (streams > 0) {
            run.spool =
                std::make_unique<output_spool>(cfg.output.path, cfg.run.output_memory_mb << 20, c.rank(), streams);
            if (options.io_threads) run.spool->write_in_background();
        }
        run.timing.series = plan.split.series_of_rank(c.rank()).size();
        run.timing.points = plan.points_of_rank(c.rank());
        const bool keep_source = dataset_steps_read_source(cfg, pipeline);
        if (keep_source) {
            // Room for every point up front: growing the batch chunk by chunk would copy it
            // again each time its capacity doubles. (Address space only for the timestamps:
            // series on one axis keep it once, and the pages beyond are never touched.)
            reserve_huge(run.source.time, run.timing.points);
            reserve_huge(run.source.value, run.timing.points);
        }
        // The chunks read, in order: those the checkpoint does not hold, and all of them when
        // the source is kept.
        std::vector<std::size_t> to_read;
        for (auto k = mine.begin; k < mine.end; ++k)
            if (keep_source || !checkpoint || !checkpoint->has(k)) to_read.push_back(k);
        chunk_reader chunks([&](std::size_t k, input_chunk& in) { read_chunk(cfg, plan, k, read, in); },
                            std::move(to_read), options.io_threads);
        share_progress progress(c, cfg, plan, run.timing);
        const auto delay = test_chunk_delay();
        input_chunk chunk;  // its buffers reused from chunk to chunk
        for (auto k = mine.begin; k < mine.end; ++k) {
            execution part;
            bool chunk_in_hand = false;
            if (auto recorded = load_recorded(checkpoint, k, c.rank())) {
                part = std::move(*recorded);
                ++run.chunks_reused;
            } else {
                part = compute_chunk(cfg, pipeline, k, input_name, chunks,
                                     progress.after(run.ex.series_done, run.ex.points_done), run.timing, chunk);
                chunk_in_hand = true;
                if (checkpoint) checkpoint->save(k, part);
                if (delay.count() > 0) std::this_thread::sleep_for(delay);
            }
            if (keep_source) {
                const auto t0 = clock_type::now();
                if (!chunk_in_hand) chunks.take(k, chunk);
                keep_source_chunk(run, chunk);
                run.timing.read_s += seconds_since(t0);
            }
            record_chunk_rows(run.chunk_rows, part);
            if (!sample_rows.empty()) sample_chunk(run.sampled, part, sample_rows);
            route_chunk(run, part);
            append_execution(run.ex, std::move(part));
            ++done_chunks;
            if (stop_requested() != 0 && k + 1 < mine.end) {
                stopped = true;
                break;
            }
        }
        if (checkpoint && stopped) checkpoint->sync();  // on disk before the job is requeued
        progress.finish();
    });
    if (c.max(stopped ? 1 : 0) != 0) {
        const auto recorded = c.sum(done_chunks);
        throw interrupted_error("stopped by a signal (SIGTERM or SIGUSR1): " + std::to_string(recorded) + " of " +
                                std::to_string(plan.split.chunks.size()) + " chunks are recorded in " +
                                cfg.run.checkpoint + "; run the same command again to resume");
    }
    run.chunks_reused = c.sum(run.chunks_reused);
    run.skipped = c.sum(run.ex.skipped.size());
    return run;
}

namespace {

// Rows of a table whose `reason` column says why the row has no result (features: a series
// too short, with missing values, constant): counted as empty outputs, like the empty
// series of a series step, so a run's summary shows them rather than a user finding NaN
// rows later. A table without such a column has none.
std::uint64_t table_rows_without_result(const table_batch& t) {
    for (const auto& col : t.columns)
        if (col.spec.name == "reason" && col.spec.type == column_type::string)
            return static_cast<std::uint64_t>(
                std::count_if(col.strings.begin(), col.strings.end(), [](const std::string& r) { return !r.empty(); }));
    return 0;
}

}  // namespace

std::vector<step_total> gather_step_totals(const comm& c, const run_config& cfg, const execution& ex) {
    std::vector<step_total> totals;
    for (const auto& st : ex.steps) {
        double slowest = 0;
        for (double x : c.allgather(st.seconds)) slowest = std::max(slowest, x);
        for (const auto& out : st.outputs) {
            step_total t;
            t.name = out.name.empty() ? st.name : st.name + "/" + out.name;
            t.op = st.op;
            std::uint64_t rows = 0, points = 0, empty = 0;
            if (out.kind == data_kind::series) {
                rows = out.series.size();
                points = out.series.offset.back();
                for (std::size_t i = 0; i < out.series.size(); ++i) empty += out.series.count(i) == 0 ? 1 : 0;
            } else {
                rows = out.table.size();
                empty = table_rows_without_result(out.table);
            }
            t.rows = c.sum(rows);
            t.points = c.sum(points);
            t.empty = c.sum(empty);
            t.seconds = slowest;
            t.kept = cfg.keeps(st.name);
            totals.push_back(std::move(t));
        }
    }
    return totals;
}

}  // namespace tsbatch
