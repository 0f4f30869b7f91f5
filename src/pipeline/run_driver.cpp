#include "pipeline/run_driver.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "build_info.hpp"
#include "core/error.hpp"
#include "core/format.hpp"
#include "core/redact.hpp"
#include "core/time.hpp"
#include "io/h5.hpp"
#include "io/staged.hpp"
#include "parallel/mpi_comm.hpp"
#include "core/stop_request.hpp"
#include "pipeline/checkpoint.hpp"
#include "parallel/agreement.hpp"
#include "pipeline/collective.hpp"
#include "pipeline/config.hpp"
#include "pipeline/dataset_stage.hpp"
#include "pipeline/executor.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/selection.hpp"
#include "pipeline/storage_stage.hpp"
#include "report/run_report.hpp"
#include "storage/opentsdb_rules.hpp"

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

/// What one rank did, gathered for the summary and the /_run_ranks table.

struct step_total {
    std::string name, op;
    std::uint64_t rows = 0, points = 0, empty = 0;
    double seconds = 0;
    bool kept = true;
};

/// One `tsbatch run`, phase by phase. Every member function is collective.
class run_job {
public:
    run_job(const comm& c, const run_request& req)
        : c_(c), req_(req), cfg_(parse_run_config(read_config_text(c, req.config_path), req.config_path, req.overrides)),
          pipeline_(cfg_) {}

    int run() {
        if (cfg_.output.opentsdb) (void)storage::metric_template(cfg_.output.opentsdb->metric);  // fail before computing
        open_input();
        plan_ranks();
        if (req_.dry_run) {
            if (c_.is_root()) print_plan();
            return 0;
        }
        compute();
        skipped_ = c_.sum(ex_.skipped.size());
        gather_step_totals();
        write_result();
        if (checkpoint_) {
            c_.barrier();  // every rank is done reading it
            if (c_.is_root()) checkpoint_->remove();
        }
        if (c_.is_root()) print_summary();
        write_report();
        input_.reset();
        if (cfg_.output.opentsdb) send_to_opentsdb(*cfg_.output.opentsdb);
        return skipped_ > 0 ? static_cast<int>(exit_code::series_skipped) : 0;
    }

private:
    // Opens the input on every rank and selects its series; refuses to overwrite it.
    void open_input() {
        agreed_phase(c_, [&] {
            std::error_code ec;
            if (std::filesystem::exists(cfg_.output.path, ec) && std::filesystem::exists(cfg_.input.path, ec) &&
                std::filesystem::equivalent(cfg_.output.path, cfg_.input.path, ec))
                throw config_error(cfg_.file + ": output.path '" + cfg_.output.path +
                                   "' is the input file; a run never overwrites its input");
            input_.emplace(cfg_.input.path, cfg_.input.group, c_);
            const auto n = input_->series_count();
            std::vector<std::string> tags;
            if (cfg_.input.select.selects_series() || pipeline_.group_tag()) tags = input_->read_strings("tags", 0, n);
            if (cfg_.input.select.selects_series()) {
                rows_ = select_rows(input_->read_strings("metric", 0, n), tags, cfg_.input.select);
            } else {
                rows_.resize(n);
                for (std::uint64_t i = 0; i < n; ++i) rows_[i] = i;
            }
            if (pipeline_.group_tag()) group_rows(tags, *pipeline_.group_tag());
        });
        input_name_ = cfg_.input.path + (cfg_.input.group == "/" ? "" : ":" + cfg_.input.group);
        if (c_.is_root() && rows_.empty() && input_->series_count() > 0)
            std::fprintf(stderr, "tsbatch: warning: input.select matches none of the %llu series of %s\n",
                         static_cast<unsigned long long>(input_->series_count()), input_name_.c_str());
    }

    // A step that needs whole groups (cut_by_reference) gets them as runs of consecutive
    // series: the rows are ordered by the group tag's value (stable, so storage order holds
    // within a group; series without the tag come first, each alone), and joined_ marks
    // where a chunk boundary would split a group. Every output row keeps its source_index.
    void group_rows(const std::vector<std::string>& tags, const std::string& tag) {
        std::vector<std::optional<std::string_view>> key(tags.size());
        for (auto r : rows_) key[r] = tag_value(tags[r], tag);
        std::stable_sort(rows_.begin(), rows_.end(), [&](std::uint64_t a, std::uint64_t b) { return key[a] < key[b]; });
        joined_.assign(rows_.size(), 0);
        for (std::size_t i = 0; i + 1 < rows_.size(); ++i)
            joined_[i] = key[rows_[i]] && key[rows_[i]] == key[rows_[i + 1]] ? 1 : 0;
    }

    // Chunks independent of the rank count, then each rank's contiguous run of chunks.
    void plan_ranks() {
        counts_.resize(rows_.size());
        for (std::size_t i = 0; i < rows_.size(); ++i) counts_[i] = input_->counts()[rows_[i]];
        for (auto n : counts_) total_points_ += n;
        plan_ = decompose(counts_, pipeline_, cfg_.run.balance, c_.size(), joined_,
                          chunking{cfg_.run.chunk_points, cfg_.run.chunk_series});
    }

    // The series at `rows`, in that order. The reader wants ascending rows; grouped runs
    // (group_rows) are read in storage order and then put in run order.
    series_batch read_rows(std::span<const std::uint64_t> rows) const {
        if (std::is_sorted(rows.begin(), rows.end())) return input_->read(rows);
        std::vector<std::uint64_t> sorted(rows.begin(), rows.end());
        std::sort(sorted.begin(), sorted.end());
        const series_batch stored = input_->read(sorted);
        series_batch out;
        out.meta.reserve(rows.size());
        out.offset.reserve(rows.size() + 1);
        out.time.reserve(stored.point_count());
        out.value.reserve(stored.point_count());
        for (auto r : rows) {
            const auto i = static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), r) - sorted.begin());
            out.append(stored.meta[i], stored.series(i));
        }
        return out;
    }

    void print_plan() const {
        std::printf("dry run: %s\n", req_.config_path.c_str());
        std::printf("input %s: %zu of %llu series selected, %s points, %zu chunks\n", input_name_.c_str(), rows_.size(),
                    static_cast<unsigned long long>(input_->series_count()),
                    format_human_count(static_cast<double>(total_points_)).c_str(), plan_.chunks.size());
        for (const auto& s : cfg_.steps)
            std::printf("step %-16s op %-14s input %-12s%s\n", s.name.c_str(), s.op.c_str(), s.input.c_str(),
                        cfg_.keeps(s.name) ? "" : "  (not kept)");
        for (int r = 0; r < c_.size(); ++r) {
            const auto sr = plan_.series_of_rank(r);
            std::uint64_t pts = 0;
            for (auto i = sr.begin; i < sr.end; ++i) pts += counts_[i];
            std::printf("rank %d: series [%zu, %zu) %s points\n", r, sr.begin, sr.end,
                        format_human_count(static_cast<double>(pts)).c_str());
        }
        std::printf("estimated imbalance (max/mean rank cost): %.3f\n", plan_.imbalance());
        std::printf("output %s (not written)\n", cfg_.output.path.c_str());
    }

    // With run.checkpoint: the directory of finished chunks, checked against this run's
    // fingerprint, and the stop signals that end a run politely.
    void open_checkpoint() {
        if (cfg_.run.checkpoint.empty()) return;
        std::error_code ec;
        struct stat st {};
        const bool have = ::stat(cfg_.input.path.c_str(), &st) == 0;
        const std::string fingerprint =
            c_.broadcast(std::string("tsbatch ") + TSBATCH_VERSION + " " + TSBATCH_GIT_ID + "\ninput " +
                         std::filesystem::absolute(cfg_.input.path, ec).string() + " size " +
                         std::to_string(have ? st.st_size : -1) + " mtime_ns " +
                         std::to_string(have ? st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec : -1) +
                         "\nchunks " + std::to_string(plan_.chunks.size()) + "\nconfig\n" + to_yaml(cfg_));
        agreed_phase(c_, [&] {
            if (c_.is_root()) checkpoint_.emplace(cfg_.run.checkpoint, fingerprint, true, req_.restart);
        });
        agreed_phase(c_, [&] {
            if (!c_.is_root()) checkpoint_.emplace(cfg_.run.checkpoint, fingerprint, false, false);
        });
        install_stop_handlers();
    }

    // Runs this rank's chunks one after the other, each read, computed and (with a checkpoint)
    // recorded on its own; chunks already recorded are loaded instead. A stop signal ends the
    // loop after the chunk in hand, and then the whole run, with exit 75.
    void compute() {
        open_checkpoint();
        const auto mine = plan_.rank_chunks[static_cast<std::size_t>(c_.rank())];
        std::uint64_t done_chunks = 0;
        bool stopped = false;
        agreed_phase(c_, [&] {
            ex_ = pipeline_.run(series_batch{}, input_name_, false);  // every step, no rows yet
            const auto slab = plan_.series_of_rank(c_.rank());
            std::uint64_t slab_points = 0;
            for (auto i = slab.begin; i < slab.end; ++i) slab_points += counts_[i];
            timing_.series = slab.size();
            timing_.points = slab_points;

            std::optional<progress_reporter> progress;
            double ks = 1, kp = 1;
            if (c_.is_root()) {
                progress.emplace(stderr, isatty(fileno(stderr)) != 0, cfg_.run.progress_interval_ms);
                progress->start(rows_.size(), total_points_);
                // Rank 0 sees its own share only; ranks hold near-equal cost, so its fraction
                // extrapolated to the whole job is the estimate.
                if (slab.size()) ks = static_cast<double>(rows_.size()) / static_cast<double>(slab.size());
                if (slab_points) kp = static_cast<double>(total_points_) / static_cast<double>(slab_points);
            }
            const auto delay = test_chunk_delay();
            for (auto k = mine.begin; k < mine.end; ++k) {
                const auto rows = plan_.chunks[k];
                execution part;
                if (auto recorded = load_recorded(k)) {
                    part = std::move(*recorded);
                    ++chunks_reused_;
                } else {
                    auto t0 = clock_type::now();
                    series_batch batch =
                        read_rows(std::span<const std::uint64_t>(rows_.data() + rows.begin, rows.size()));
                    select_time(batch, cfg_.input.select.time_from, cfg_.input.select.time_to);
                    timing_.read_s += seconds_since(t0);
                    t0 = clock_type::now();
                    progress_fn on_progress;  // counts within the chunk, after the chunks before it
                    if (progress)
                        on_progress = [&, s0 = ex_.series_done, p0 = ex_.points_done](std::uint64_t s, std::uint64_t p) {
                            progress->update(static_cast<std::uint64_t>(static_cast<double>(s0 + s) * ks),
                                             static_cast<std::uint64_t>(static_cast<double>(p0 + p) * kp));
                        };
                    part = pipeline_.run(batch, input_name_, cfg_.run.on_series_error == "skip", on_progress);
                    timing_.compute_s += seconds_since(t0);
                    if (checkpoint_) checkpoint_->save(k, part);
                    if (delay.count() > 0) std::this_thread::sleep_for(delay);
                }
                record_chunk_rows(part);
                append_execution(ex_, std::move(part));
                ++done_chunks;
                if (stop_requested() != 0 && k + 1 < mine.end) {
                    stopped = true;
                    break;
                }
            }
            if (checkpoint_ && stopped) checkpoint_->sync();  // on disk before the job is requeued
            if (progress) progress->finish();
        });
        const bool any_stopped = c_.max(stopped ? 1 : 0) != 0;
        if (any_stopped) {
            const auto recorded = c_.sum(done_chunks);
            throw interrupted_error("stopped by a signal (SIGTERM or SIGUSR1): " + std::to_string(recorded) + " of " +
                                    std::to_string(plan_.chunks.size()) + " chunks are recorded in " +
                                    cfg_.run.checkpoint + "; run the same command again to resume");
        }
        chunks_reused_ = c_.sum(chunks_reused_);
    }

    // Rows of every output of every series-wise step in this chunk (dataset-wide steps fold
    // their partial results over the same chunks).
    void record_chunk_rows(const execution& part) {
        chunk_rows_.resize(part.steps.size());
        for (std::size_t s = 0; s < part.steps.size(); ++s) {
            const auto& outs = part.steps[s].outputs;
            chunk_rows_[s].resize(outs.size());
            for (std::size_t o = 0; o < outs.size(); ++o)
                chunk_rows_[s][o].push_back(outs[o].kind == data_kind::series ? outs[o].series.size() : outs[o].table.size());
        }
    }

    // This rank's source series again, for a dataset-wide step that reads the source: chunk
    // by chunk with the run's time selection, without the series the run skipped as invalid.
    series_batch read_source_again(std::vector<std::size_t>& rows_per_chunk) const {
        series_batch all;
        const auto mine = plan_.rank_chunks[static_cast<std::size_t>(c_.rank())];
        for (auto k = mine.begin; k < mine.end; ++k) {
            const auto rows = plan_.chunks[k];
            series_batch batch = read_rows(std::span<const std::uint64_t>(rows_.data() + rows.begin, rows.size()));
            select_time(batch, cfg_.input.select.time_from, cfg_.input.select.time_to);
            std::size_t kept = 0;
            for (std::size_t i = 0; i < batch.size(); ++i) {
                if (!check_series(batch.series(i)).empty()) continue;
                all.append(std::move(batch.meta[i]), batch.series(i));
                ++kept;
            }
            rows_per_chunk.push_back(kept);
        }
        return all;
    }

    // Chunk k from the checkpoint, or nothing when it is not recorded or its file is damaged
    // (a machine crash before the file reached the disk): then it is computed again.
    std::optional<execution> load_recorded(std::size_t k) const {
        if (!checkpoint_ || !checkpoint_->has(k)) return std::nullopt;
        try {
            return checkpoint_->load(k);
        } catch (const input_error& e) {
            std::fprintf(stderr, "tsbatch: rank %d: warning: %s; computing it again\n", c_.rank(), e.what());
            return std::nullopt;
        }
    }

    // What the balancing achieved: the slowest rank's compute time over the mean (1 = perfect).
    double compute_imbalance() const { return tsbatch::compute_imbalance(all_timing_); }

    // report.html next to the result (rank 0): the summary, per-rank work, per-step
    // throughput, and up to three of rank 0's series before and after each series step. A
    // report that cannot be written is a warning: the result itself is complete.
    void write_report() const {
        if (!c_.is_root()) return;
        std::string path = cfg_.output.path;
        if (path.size() > 3 && path.compare(path.size() - 3, 3, ".h5") == 0) path.resize(path.size() - 3);
        path += ".report.html";
        try {
            write_run_report(path, report_data());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "tsbatch: warning: no run report: %s\n", e.what());
        }
    }

    run_report_data report_data() const {
        run_report_data d;
        d.config_path = req_.config_path;
        d.output_path = cfg_.output.path;
        d.start_ms = wall_start_;
        d.end_ms = wall_ms();
        d.tsbatch_version = std::string(TSBATCH_VERSION) + " (" + TSBATCH_GIT_ID + ")";
        d.ranks = c_.size();
        d.total_series = rows_.size();
        d.total_points = total_points_;
        d.total_seconds = seconds_since(t_start_);
        d.rank_work = all_timing_;
        d.planned_imbalance = plan_.imbalance();
        for (const auto& t : step_totals_) {
            report_step s{t.name, t.op, t.rows, t.points, t.empty, t.seconds, 0, t.kept};
            const auto slash = t.name.find('/');
            const auto* cfg_step = cfg_.find_step(t.name.substr(0, slash));
            s.input_points = cfg_step ? points_of(cfg_step->input) : 0;
            d.steps.push_back(std::move(s));
        }
        d.skipped_series = skipped_;
        d.chunks = plan_.chunks.size();
        d.chunks_from_checkpoint = chunks_reused_;
        d.samples = samples();
        return d;
    }

    // Points of a step's input: the source, "step" (its first series output) or "step/output".
    std::uint64_t points_of(const std::string& input) const {
        if (input == "source") return total_points_;
        for (const auto& t : step_totals_)
            if (t.name == input || t.name.rfind(input + "/", 0) == 0) return t.points;
        return 0;
    }

    // Up to three series of rank 0's share (first, middle, last), as read and as each series
    // step left them.
    std::vector<report_sample> samples() const {
        std::vector<report_sample> out;
        const auto slab = plan_.series_of_rank(0);
        if (slab.empty() || !input_) return out;
        std::vector<std::uint64_t> picks;
        for (auto i : {slab.begin, slab.begin + slab.size() / 2, slab.end - 1})
            if (std::find(picks.begin(), picks.end(), rows_[i]) == picks.end()) picks.push_back(rows_[i]);
        for (auto row : picks) {
            series_batch in = read_rows(std::span<const std::uint64_t>(&row, 1));
            select_time(in, cfg_.input.select.time_from, cfg_.input.select.time_to);
            report_sample s;
            s.id = in.meta[0].id;
            const auto src = in.series(0);
            s.traces.push_back({"source", {src.time.begin(), src.time.end()}, {src.value.begin(), src.value.end()}});
            for (const auto& st : ex_.steps)
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

    // TSBATCH_TEST_CHUNK_DELAY_MS: a pause after each computed chunk, so that tests can stop a
    // small run in the middle. Not for production use.
    static std::chrono::milliseconds test_chunk_delay() {
        const char* v = std::getenv("TSBATCH_TEST_CHUNK_DELAY_MS");
        return std::chrono::milliseconds(v ? std::atoll(v) : 0);
    }

    // Per step over all ranks: series and points out, empty outputs, slowest rank's time.
    // Empty outputs are counted because operators such as cut may legitimately produce
    // them, and a user must see that rather than find them later.
    void gather_step_totals() {
        for (const auto& st : ex_.steps) {
            double slowest = 0;
            for (double x : c_.allgather(st.seconds)) slowest = std::max(slowest, x);
            for (const auto& out : st.outputs) {
                step_total t;
                t.name = out.name.empty() ? st.name : st.name + "/" + out.name;
                t.op = st.op;
                std::uint64_t rows = 0, points = 0, empty = 0;
                if (out.kind == data_kind::series) {
                    rows = out.series.size();
                    points = out.series.point_count();
                    for (std::size_t i = 0; i < out.series.size(); ++i) empty += out.series.count(i) == 0 ? 1 : 0;
                } else {
                    rows = out.table.size();
                }
                t.rows = c_.sum(rows);
                t.points = c_.sum(points);
                t.empty = c_.sum(empty);
                t.seconds = slowest;
                t.kept = cfg_.keeps(st.name);
                step_totals_.push_back(std::move(t));
            }
        }
    }

    // Every kept step, provenance and the run tables; visible under the final name only
    // when complete. Creating the file is agreed (a bad destination fails alike everywhere
    // and is reported once); the writes after it are collective I/O.
    void write_result() {
        write_options wo;
        wo.deflate_level = cfg_.output.compression == "deflate" ? cfg_.output.deflate_level : 0;
        std::optional<staged_writer> out;
        agreed_phase(c_, [&] { out.emplace(c_, cfg_.output.path, wo); });
        collective_section(c_, [&] {
            const auto t0 = clock_type::now();
            for (const auto& st : ex_.steps) {
                if (!cfg_.keeps(st.name)) continue;
                // One output is the step's group; several are its subgroups (/S/match ...).
                const bool multi = st.outputs.size() > 1;
                if (multi) out->write_group("/" + st.name, st.op);
                for (const auto& o : st.outputs) {
                    const std::string path = "/" + st.name + (multi ? "/" + o.name : "");
                    const std::string op = multi ? "" : st.op;
                    if (o.kind == data_kind::series) out->write_collection(path, o.series, op);
                    else out->write_table(path, o.table, op);
                }
            }
            timing_.write_s = seconds_since(t0);
        });
        // Dataset-wide steps write into the same file; their errors are agreed by every rank
        // (no collective_section: a bad input is exit 3, and the unfinished file is removed).
        const dataset_stage_inputs ds{cfg_, pipeline_, ex_, chunk_rows_,
                                      [this](std::vector<std::size_t>& rows) { return read_source_again(rows); }};
        for (auto& t : run_dataset_steps(c_, ds, *out))
            step_totals_.push_back({t.name, t.op, t.rows, t.points, 0, t.seconds, true});
        collective_section(c_, [&] {
            all_timing_ = c_.allgather(timing_);
            write_provenance(*out);
            write_run_tables(*out);
            out->commit();
        });
    }

    // output.opentsdb: the kept series outputs, read back from the committed result file (so
    // a failed push never costs the run), exported and/or pushed by every rank for its part.
    void send_to_opentsdb(const opentsdb_output& o) const {
        std::vector<staged_location> sources;
        for (const auto& st : ex_.steps) {
            if (!cfg_.keeps(st.name)) continue;
            if (o.steps && std::find(o.steps->begin(), o.steps->end(), st.name) == o.steps->end()) continue;
            const bool multi = st.outputs.size() > 1;
            for (const auto& out : st.outputs)
                if (out.kind == data_kind::series)
                    sources.push_back(location_of(cfg_.output.path, "/" + st.name + (multi ? "/" + out.name : "")));
        }
        if (sources.empty()) {
            if (c_.is_root()) std::fprintf(stderr, "tsbatch: warning: output.opentsdb: no kept step has series to send\n");
            return;
        }
        if (!o.import_dir.empty()) {
            export_settings s;
            s.dir = o.import_dir;
            s.metric_template = o.metric;
            s.whole_seconds = o.whole_seconds;
            export_collections(c_, sources, s);
        }
        if (!o.url.empty()) {
            push_settings s;
            s.journal = o.journal.empty() ? cfg_.output.path + ".push-journal" : o.journal;
            s.metric_template = o.metric;
            s.whole_seconds = o.whole_seconds;
            s.limits.max_points = o.batch_points;
            s.limits.max_body_bytes = o.max_request_bytes;
            s.client.url = o.url;
            s.client.connections = static_cast<int>(o.connections);
            s.client.max_retries = static_cast<int>(o.retries);
            // The result file is new, so a rerun of the run sends everything again; what a
            // failed push left undone is sent by the `tsbatch push` command the error names.
            s.restart = true;
            try {
                push_collections(c_, sources, s);
            } catch (const storage_error& e) {
                std::string resume = "tsbatch push";
                for (const auto& src : sources) resume += " " + src.name();
                resume += " --url " + redact_url(s.client.url) + " --journal " + s.journal + " --metric '" +
                          s.metric_template + "'" + " --batch-points " + std::to_string(s.limits.max_points) +
                          " --max-request-bytes " + std::to_string(s.limits.max_body_bytes) +
                          (s.whole_seconds ? " --whole-seconds" : "");
                throw storage_error(std::string(e.what()) + ". The result file " + cfg_.output.path +
                                    " is complete; to send only the rest, run: " + resume);
            }
        }
    }

    // DESIGN §3: what produced this file, from what, where and when.
    void write_provenance(staged_writer& out) const {
        std::error_code ec;
        const std::vector<std::pair<std::string, std::string>> text_attrs = {
            {"tsbatch_version", TSBATCH_VERSION},
            {"tsbatch_git", TSBATCH_GIT_ID},
            {"config", to_yaml(cfg_)},
            {"config_file", req_.config_path},
            {"command_line", req_.command_line},
            {"host", hostname()},
            {"start_time", format_iso8601(wall_start_)},
            {"end_time", format_iso8601(wall_ms())},
            {"input_path", std::filesystem::absolute(cfg_.input.path, ec).string()},
            {"input_group", cfg_.input.group},
            {"input_mtime", file_mtime_iso(cfg_.input.path)},
            {"hdf5_version", h5::library_version()},
            {"mpi_version", mpi_session::library_version()},
        };
        // Attribute writes are collective and must carry the same value on every rank.
        for (const auto& [k, v] : text_attrs) out.set_attr("/", k, c_.broadcast(v));
        out.set_attr("/", "ranks", static_cast<std::int64_t>(c_.size()));
        const auto input_size = static_cast<std::int64_t>(std::filesystem::file_size(cfg_.input.path, ec));
        out.set_attr("/", "input_size", c_.allgather(input_size).front());
        out.set_attr("/", "series_skipped", static_cast<std::int64_t>(skipped_));
        out.set_attr("/", "chunks", static_cast<std::int64_t>(plan_.chunks.size()));
        out.set_attr("/", "balance", cfg_.run.balance);
        out.set_attr("/", "imbalance_planned", plan_.imbalance());
        out.set_attr("/", "imbalance_compute", compute_imbalance());
        out.set_attr("/", "chunks_from_checkpoint", static_cast<std::int64_t>(chunks_reused_));
    }

    // /_run_ranks (one row per rank), /_run_steps (one row per step), both written by rank 0,
    // and /_run_skipped.
    void write_run_tables(staged_writer& out) const {
        table_batch steps({{"step", column_type::string, "", ""},
                           {"op", column_type::string, "", ""},
                           {"rows", column_type::int64, "", "series (or table rows) produced"},
                           {"points", column_type::int64, "", ""},
                           {"empty_series", column_type::int64, "", ""},
                           {"seconds", column_type::float64, "s", "slowest rank"}});
        if (c_.is_root())
            for (const auto& t : step_totals_) {
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
                           {"series", column_type::int64, "", ""},
                           {"points", column_type::int64, "", ""},
                           {"read_s", column_type::float64, "s", ""},
                           {"compute_s", column_type::float64, "s", ""},
                           {"write_s", column_type::float64, "s", ""}});
        if (c_.is_root())
            for (std::size_t r = 0; r < all_timing_.size(); ++r) {
                const auto& t = all_timing_[r];
                row_sink row(ranks);
                row.set(0, static_cast<std::int64_t>(r));
                row.set(1, static_cast<std::int64_t>(t.series));
                row.set(2, static_cast<std::int64_t>(t.points));
                row.set(3, t.read_s);
                row.set(4, t.compute_s);
                row.set(5, t.write_s);
            }
        out.write_table("/_run_ranks", ranks, "", false);

        table_batch skipped({{"reason", column_type::string, "", ""}});
        for (const auto& s : ex_.skipped) {
            skipped.meta.push_back({s.id, "", "", s.source_index});
            row_sink(skipped).set(0, s.reason);
        }
        out.write_table("/_run_skipped", skipped, "", true);
    }

    void print_summary() const {
        const double total_s = seconds_since(t_start_);
        std::printf("tsbatch run: %s -> %s\n", req_.config_path.c_str(), cfg_.output.path.c_str());
        std::printf("%zu series, %s points on %d rank%s in %.2f s (%s points/s)\n", rows_.size(),
                    format_human_count(static_cast<double>(total_points_)).c_str(), c_.size(), c_.size() > 1 ? "s" : "",
                    total_s, format_human_count(static_cast<double>(total_points_) / std::max(total_s, 1e-9)).c_str());
        std::printf("balance %s: imbalance (max/mean) %.3f planned, %.3f in compute time\n", cfg_.run.balance.c_str(),
                    plan_.imbalance(), compute_imbalance());
        if (checkpoint_)
            std::printf("checkpoint %s: %llu of %zu chunks taken from it, %llu computed\n", cfg_.run.checkpoint.c_str(),
                        static_cast<unsigned long long>(chunks_reused_), plan_.chunks.size(),
                        static_cast<unsigned long long>(plan_.chunks.size() - chunks_reused_));
        std::printf("%6s %10s %12s %9s %10s %9s\n", "rank", "series", "points", "read_s", "compute_s", "write_s");
        for (std::size_t r = 0; r < all_timing_.size(); ++r) {
            const auto& t = all_timing_[r];
            std::printf("%6zu %10llu %12llu %9.3f %10.3f %9.3f\n", r, static_cast<unsigned long long>(t.series),
                        static_cast<unsigned long long>(t.points), t.read_s, t.compute_s, t.write_s);
        }
        int w = 16;  // step names, "step/output" for several outputs, in one column
        for (const auto& t : step_totals_) w = std::max(w, static_cast<int>(t.name.size()));
        std::printf("%-*s %-16s %10s %12s %8s %9s\n", w, "step", "op", "rows", "points", "empty", "seconds");
        for (const auto& t : step_totals_)
            std::printf("%-*s %-16s %10llu %12llu %8llu %9.3f%s\n", w, t.name.c_str(), t.op.c_str(),
                        static_cast<unsigned long long>(t.rows), static_cast<unsigned long long>(t.points),
                        static_cast<unsigned long long>(t.empty), t.seconds, t.kept ? "" : "  (not kept)");
        if (skipped_ > 0)
            std::printf("%llu series skipped (invalid input); listed in %s:/_run_skipped\n",
                        static_cast<unsigned long long>(skipped_), cfg_.output.path.c_str());
        std::fflush(stdout);
    }

    const comm& c_;
    const run_request& req_;
    const clock_type::time_point t_start_ = clock_type::now();
    const std::int64_t wall_start_ = wall_ms();
    const run_config cfg_;  ///< parsed identically on every rank from rank 0's text
    const step_pipeline pipeline_;

    std::optional<staged_reader> input_;
    std::string input_name_;
    std::vector<std::uint64_t> rows_;    ///< selected rows of the input collection
    std::vector<std::uint64_t> counts_;  ///< their point counts
    std::vector<std::uint8_t> joined_;   ///< joined_[i]: rows i and i+1 are one group
    std::uint64_t total_points_ = 0;
    decomposition plan_;

    report_rank timing_;  ///< this rank's series, points and phase times
    std::vector<report_rank> all_timing_;
    execution ex_;
    chunk_row_counts chunk_rows_;  ///< rows of each output in each of this rank's chunks
    std::optional<checkpoint_store> checkpoint_;
    std::uint64_t chunks_reused_ = 0;  ///< chunks loaded from the checkpoint (all ranks, after compute)
    std::vector<step_total> step_totals_;
    std::uint64_t skipped_ = 0;
};

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

int run_pipeline(const comm& c, const run_request& req) { return run_job(c, req).run(); }

}  // namespace tsbatch
