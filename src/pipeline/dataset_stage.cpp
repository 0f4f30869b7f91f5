#include "pipeline/dataset_stage.hpp"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <thread>

#include "algo/dataset/dataset_support.hpp"
#include "core/error.hpp"
#include "pipeline/collective.hpp"
#include "pipeline/matrix_chunks.hpp"

namespace tsbatch {
namespace {

// A matrix output of the result file: created collectively, tiles written by their ranks in
// whole chunks (matrix_chunks.hpp), the chunks shared between ranks at finish().
class result_matrix final : public matrix_sink {
public:
    result_matrix(const comm& c, staged_writer& w, std::string path, std::string op)
        : c_(c), w_(w), path_(std::move(path)), op_(std::move(op)) {}

    void create(std::uint64_t rows, std::uint64_t cols, const matrix_axes& axes) override {
        w_.create_matrix(path_, rows, cols, axes.row_axis, axes.col_axis, op_);
        rows_ = rows;
        created_ = true;
        chunks_.emplace(
            rows, cols, matrix_tile,
            [this](std::uint64_t r0, std::uint64_t c0, std::uint64_t nr, std::uint64_t nc, std::span<const double> v) {
                // Written by this rank alone while the others compute: a failure
                // here cannot be agreed on, so it ends the job (collective_section)
                // instead of leaving ranks waiting.
                collective_section(c_, [&] { w_.write_matrix_tile(path_, r0, c0, nr, nc, v); });
            });
    }
    void create_constant(std::uint64_t rows, std::uint64_t cols, const matrix_axes& axes, double value) override {
        w_.create_matrix(path_, rows, cols, axes.row_axis, axes.col_axis, op_, value);
        rows_ = rows;
        created_ = true;
    }
    void write(std::uint64_t row0, std::uint64_t col0, std::uint64_t rows, std::uint64_t cols,
               std::span<const double> values) override {
        if (!chunks_) throw internal_error("matrix " + path_ + " written before it was created, or constant");
        chunks_->write(row0, col0, rows, cols, values);
    }
    /// Collective, after the operator: the chunks whose tiles came from several ranks.
    void finish() {
        if (chunks_) chunks_->finish(c_);
    }
    void set_attr(const std::string& name, const std::string& value) override { w_.set_attr(path_, name, value); }
    void set_attr(const std::string& name, double value) override { w_.set_attr(path_, name, value); }

    bool created() const noexcept { return created_; }
    std::uint64_t rows() const noexcept { return rows_; }

private:
    const comm& c_;
    staged_writer& w_;
    std::string path_, op_;
    std::uint64_t rows_ = 0;
    bool created_ = false;
    std::optional<matrix_chunk_writer> chunks_;
};

// The outputs of one dataset-wide step: series and tables in memory until the operator
// returns, matrices straight into the file.
class result_outputs final : public dataset_outputs {
public:
    result_outputs(const comm& c, staged_writer& w, const std::string& step, const operator_def& def,
                   const dataset_operator& op)
        : def_(def), series_(def.outputs.size()), tables_(def.outputs.size()) {
        const bool multi = def.outputs.size() > 1;
        for (std::size_t o = 0; o < def.outputs.size(); ++o) {
            paths_.push_back("/" + step + (multi ? "/" + def.outputs[o].name : ""));
            if (def.outputs[o].kind == data_kind::table) tables_[o] = table_batch(op.columns(o));
            if (def.outputs[o].kind == data_kind::matrix)
                matrices_.emplace_back(std::make_unique<result_matrix>(c, w, paths_[o], multi ? "" : def.name));
            else
                matrices_.emplace_back(nullptr);
        }
    }
    series_batch& series(std::size_t o) override { return series_.at(o); }
    table_batch& table(std::size_t o) override { return tables_.at(o); }
    matrix_sink& matrix(std::size_t o) override {
        if (!matrices_.at(o))
            throw internal_error("output " + std::to_string(o) + " of " + def_.name + " is not a matrix");
        return *matrices_[o];
    }

    const std::string& path(std::size_t o) const { return paths_[o]; }
    const series_batch& series_of(std::size_t o) const { return series_[o]; }
    const table_batch& table_of(std::size_t o) const { return tables_[o]; }
    const result_matrix* matrix_of(std::size_t o) const { return matrices_[o].get(); }
    /// Collective: completes every matrix output.
    void finish_matrices() {
        for (auto& m : matrices_)
            if (m) m->finish();
    }

private:
    const operator_def& def_;
    std::vector<std::string> paths_;
    std::vector<series_batch> series_;
    std::vector<table_batch> tables_;
    std::vector<std::unique_ptr<result_matrix>> matrices_;
};

// A step's snapshots as pieces of the run's checkpoint, named "<step>.<writer>": this
// process writes under a name no other process uses (rank, pid, start time), so a resumed run
// on other ranks never replaces a snapshot it has not read.
class checkpoint_journal final : public work_journal {
public:
    checkpoint_journal(checkpoint_store& store, const std::string& step, int rank)
        : store_(store), prefix_(piece_name(step) + ".") {
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        mine_ = prefix_ + "r" + std::to_string(rank) + "-" + std::to_string(::getpid()) + "-" +
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
        if (const char* v = std::getenv("TSBATCH_TEST_SNAPSHOT_MS"))
            interval_ = std::chrono::milliseconds(std::atoll(v));
        if (const char* v = std::getenv("TSBATCH_TEST_WORK_DELAY_MS"))
            delay_ = std::chrono::milliseconds(std::atoll(v));
    }
    std::vector<std::string> snapshots() const override { return store_.pieces(prefix_); }
    std::optional<std::vector<std::byte>> load(const std::string& name) const override {
        const auto bytes = store_.load_piece(name);
        if (!bytes) return std::nullopt;
        const auto* p = reinterpret_cast<const std::byte*>(bytes->data());
        return std::vector<std::byte>(p, p + bytes->size());
    }
    bool due() override {
        // Tests slow each piece of work down to stop a run in the middle of a step.
        if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
        return std::chrono::steady_clock::now() - last_ >= interval_;
    }
    void save(std::span<const std::byte> bytes) override {
        store_.save_piece(mine_, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
        last_ = std::chrono::steady_clock::now();
    }
    void sync() override { store_.sync(); }

private:
    // Step names may hold characters a piece name may not.
    static std::string piece_name(const std::string& step) {
        std::string out;
        for (char ch : step) out += std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' ? ch : '_';
        return out;
    }
    checkpoint_store& store_;
    std::string prefix_, mine_;
    std::chrono::milliseconds interval_{std::chrono::minutes(2)};
    std::chrono::milliseconds delay_{0};
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

std::string where_of(const run_config& cfg, const std::string& step) {
    const auto* sc = cfg.find_step(step);
    if (sc && sc->where.line > 0) return sc->where.file + ":" + std::to_string(sc->where.line);
    return cfg.file;
}

}  // namespace

std::vector<dataset_output_total> run_dataset_steps(const comm& c, const dataset_stage_inputs& in, staged_writer& out) {
    std::vector<dataset_output_total> totals;
    for (const auto& st : in.pipeline.dataset_steps()) {
        if (!in.cfg.keeps(st.name)) continue;  // its results would go nowhere
        const auto t0 = std::chrono::steady_clock::now();
        dataset_input input;
        if (st.input < 0) {
            input.series = &in.source;
            input.chunk_rows = in.source_rows;
        } else {
            const auto s = static_cast<std::size_t>(st.input), o = static_cast<std::size_t>(st.input_output);
            const step_output& from = in.series_results.steps.at(s).outputs.at(o);
            if (from.kind == data_kind::series)
                input.series = &from.series;
            else
                input.table = &from.table;
            if (s < in.chunk_rows.size()) input.chunk_rows = in.chunk_rows[s][o];
        }
        std::tie(input.first_row, input.total_rows) = global_rows(c, input.rows());
        std::optional<checkpoint_journal> journal;
        if (in.checkpoint) {
            journal.emplace(*in.checkpoint, st.name, c.rank());
            input.journal = &*journal;
        }

        const operator_def& def = *st.def;
        if (def.outputs.size() > 1) out.write_group("/" + st.name, def.name);
        result_outputs outputs(c, out, st.name, def, *st.op.dataset);
        try {
            st.op.dataset->apply(input, c, outputs);
        } catch (const param_error& e) {
            throw config_error(where_of(in.cfg, st.name) + ": steps." + st.name + ".params." + e.param() + ": " +
                               e.what());
        }
        outputs.finish_matrices();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        double slowest = 0;
        for (double s : c.allgather(seconds)) slowest = std::max(slowest, s);
        for (std::size_t o = 0; o < def.outputs.size(); ++o) {
            dataset_output_total t;
            t.name = def.outputs.size() > 1 ? st.name + "/" + def.outputs[o].name : st.name;
            t.op = def.name;
            t.seconds = slowest;
            switch (def.outputs[o].kind) {
                case data_kind::series:
                    out.write_collection(outputs.path(o), outputs.series_of(o), def.outputs.size() > 1 ? "" : def.name);
                    t.rows = c.sum(outputs.series_of(o).size());
                    t.points = c.sum(outputs.series_of(o).point_count());
                    break;
                case data_kind::table:
                    out.write_table(outputs.path(o), outputs.table_of(o), def.outputs.size() > 1 ? "" : def.name);
                    t.rows = c.sum(outputs.table_of(o).size());
                    break;
                case data_kind::matrix:
                    if (!outputs.matrix_of(o)->created()) continue;  // not produced with these parameters
                    t.rows = outputs.matrix_of(o)->rows();
                    break;
            }
            totals.push_back(std::move(t));
        }
    }
    return totals;
}

}  // namespace tsbatch
