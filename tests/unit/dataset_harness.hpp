#pragma once
// Runs a dataset-wide operator on N simulated ranks, as `tsbatch run` would: the series are
// cut into chunks of `chunk_series`, ranks get contiguous runs of chunks, and every output
// is assembled afterwards (tables and series concatenated in rank order, matrices from all
// ranks' tiles). Tests then compare rank counts bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "algo/dataset_operator.hpp"
#include "algo/operator.hpp"
#include "parallel/partition.hpp"
#include "simulated_comm.hpp"

namespace tsbatch::test {

/// A matrix in memory; every cell must be written exactly once.
struct memory_matrix {
    bool created = false;
    bool constant = false;  ///< made by create_constant()
    std::uint64_t rows = 0, cols = 0;
    matrix_axes axes;
    std::vector<double> values;
    std::vector<int> writes;  ///< per cell
    std::map<std::string, std::string> text_attrs;
    std::map<std::string, double> number_attrs;
};

/// The matrices all ranks write to (tiles from any rank land in one place, under a lock).
class shared_matrix_sink final : public matrix_sink {
public:
    shared_matrix_sink(memory_matrix& m, std::mutex& lock, bool root) : m_(m), lock_(lock), root_(root) {}
    void create(std::uint64_t rows, std::uint64_t cols, const matrix_axes& axes) override {
        std::lock_guard<std::mutex> g(lock_);
        if (m_.created) {
            EXPECT_EQ(m_.rows, rows);
            EXPECT_EQ(m_.cols, cols);
            return;
        }
        m_.created = true;
        m_.rows = rows;
        m_.cols = cols;
        m_.axes = axes;
        m_.values.assign(rows * cols, 0.0);
        m_.writes.assign(rows * cols, 0);
    }
    /// Every cell holds `value`, counted as written once; a later write() counts again.
    void create_constant(std::uint64_t rows, std::uint64_t cols, const matrix_axes& axes, double value) override {
        create(rows, cols, axes);
        std::lock_guard<std::mutex> g(lock_);
        m_.constant = true;
        m_.values.assign(rows * cols, value);
        m_.writes.assign(rows * cols, 1);
    }
    void write(std::uint64_t r0, std::uint64_t c0, std::uint64_t rows, std::uint64_t cols,
               std::span<const double> v) override {
        std::lock_guard<std::mutex> g(lock_);
        ASSERT_TRUE(m_.created);
        ASSERT_LE(r0 + rows, m_.rows);
        ASSERT_LE(c0 + cols, m_.cols);
        ASSERT_EQ(v.size(), rows * cols);
        for (std::uint64_t i = 0; i < rows; ++i)
            for (std::uint64_t j = 0; j < cols; ++j) {
                m_.values[(r0 + i) * m_.cols + c0 + j] = v[i * cols + j];
                ++m_.writes[(r0 + i) * m_.cols + c0 + j];
            }
    }
    void set_attr(const std::string& name, const std::string& value) override {
        if (root_) m_.text_attrs[name] = value;
    }
    void set_attr(const std::string& name, double value) override {
        if (root_) m_.number_attrs[name] = value;
    }

private:
    memory_matrix& m_;
    std::mutex& lock_;
    bool root_;
};

/// One rank's outputs.
class memory_outputs final : public dataset_outputs {
public:
    memory_outputs(const operator_def& def, const dataset_operator& op, std::vector<memory_matrix>& matrices,
                   std::mutex& lock, bool root)
        : series_(def.outputs.size()), tables_(def.outputs.size()) {
        for (std::size_t o = 0; o < def.outputs.size(); ++o) {
            if (def.outputs[o].kind == data_kind::table) tables_[o] = table_batch(op.columns(o));
            sinks_.push_back(std::make_unique<shared_matrix_sink>(matrices[o], lock, root));
        }
    }
    series_batch& series(std::size_t o) override { return series_.at(o); }
    table_batch& table(std::size_t o) override { return tables_.at(o); }
    matrix_sink& matrix(std::size_t o) override { return *sinks_.at(o); }

    std::vector<series_batch> series_;
    std::vector<table_batch> tables_;

private:
    std::vector<std::unique_ptr<shared_matrix_sink>> sinks_;
};

/// Everything one run produced, assembled over ranks.
struct dataset_run {
    std::vector<series_batch> series;
    std::vector<table_batch> tables;
    std::vector<memory_matrix> matrices;
};

inline void append_rows(table_batch& all, const table_batch& part) {
    if (all.columns.empty()) {
        all = part;
        return;
    }
    all.meta.insert(all.meta.end(), part.meta.begin(), part.meta.end());
    for (std::size_t c = 0; c < all.columns.size(); ++c) {
        auto& a = all.columns[c];
        const auto& p = part.columns[c];
        a.ints.insert(a.ints.end(), p.ints.begin(), p.ints.end());
        a.floats.insert(a.floats.end(), p.floats.begin(), p.floats.end());
        a.strings.insert(a.strings.end(), p.strings.begin(), p.strings.end());
    }
}

/// Runs `op` (of `def`) over `input` (series, or a table when `table_input`) on `ranks`
/// simulated ranks with chunks of `chunk_series` rows. Fails the test when a rank gets no
/// chunk: a comparison where some ranks idle proves nothing about them. `rows_may_idle`
/// allows ranks without rows, for operators that share one series' work between all ranks
/// (matrix_profile), where such ranks still compute.
/// Extras of a run: a journal of finished work shared by every rank (run.checkpoint).
struct run_options {
    work_journal* journal = nullptr;
};

inline dataset_run run_dataset_op(const operator_def& def, const dataset_operator& op, const series_batch* input,
                                  const table_batch* table_input, int ranks, std::size_t chunk_series,
                                  bool rows_may_idle = false, const run_options& options = {}) {
    const std::size_t n = input ? input->size() : table_input->size();
    std::vector<std::size_t> chunk_sizes;
    for (std::size_t at = 0; at < n; at += chunk_series) chunk_sizes.push_back(std::min(chunk_series, n - at));
    const std::vector<double> cost(chunk_sizes.size(), 1.0);
    const auto rank_chunks = partition_contiguous(cost, ranks);
    for (int r = 0; r < ranks && !rows_may_idle; ++r)
        EXPECT_GT(rank_chunks[static_cast<std::size_t>(r)].size(), 0u)
            << "rank " << r << " of " << ranks << " gets no chunk of " << n << " rows in chunks of " << chunk_series
            << ": make the chunks smaller";

    dataset_run run;
    run.matrices.resize(def.outputs.size());
    std::mutex lock;
    std::vector<std::unique_ptr<memory_outputs>> outs(static_cast<std::size_t>(ranks));
    run_simulated(ranks, [&](const comm& c) {
        const auto mine = rank_chunks[static_cast<std::size_t>(c.rank())];
        std::size_t first = 0;
        for (std::size_t k = 0; k < mine.begin; ++k) first += chunk_sizes[k];
        dataset_input in;
        in.journal = options.journal;
        in.first_row = first;
        in.total_rows = n;
        series_batch local_series;
        table_batch local_table;
        std::size_t rows = 0;
        for (auto k = mine.begin; k < mine.end; ++k) {
            in.chunk_rows.push_back(chunk_sizes[k]);
            rows += chunk_sizes[k];
        }
        if (input) {
            for (std::size_t i = first; i < first + rows; ++i) local_series.append(input->meta[i], input->series(i));
            in.series = &local_series;
        } else {
            local_table = table_batch();
            local_table.columns = table_input->columns;
            for (auto& col : local_table.columns) {
                col.ints.clear();
                col.floats.clear();
                col.strings.clear();
            }
            for (std::size_t i = first; i < first + rows; ++i) {
                local_table.meta.push_back(table_input->meta[i]);
                for (std::size_t cc = 0; cc < local_table.columns.size(); ++cc) {
                    const auto& src = table_input->columns[cc];
                    auto& dst = local_table.columns[cc];
                    if (!src.ints.empty()) dst.ints.push_back(src.ints[i]);
                    if (!src.floats.empty()) dst.floats.push_back(src.floats[i]);
                    if (!src.strings.empty()) dst.strings.push_back(src.strings[i]);
                }
            }
            in.table = &local_table;
        }
        auto o = std::make_unique<memory_outputs>(def, op, run.matrices, lock, c.is_root());
        op.apply(in, c, *o);
        outs[static_cast<std::size_t>(c.rank())] = std::move(o);
    });
    run.series.resize(def.outputs.size());
    run.tables.resize(def.outputs.size());
    for (const auto& o : outs)
        for (std::size_t k = 0; k < def.outputs.size(); ++k) {
            const auto& s = o->series_[k];
            for (std::size_t i = 0; i < s.size(); ++i) run.series[k].append(s.meta[i], s.series(i));
            append_rows(run.tables[k], o->tables_[k]);
        }
    for (const auto& m : run.matrices)
        for (int w : m.writes) EXPECT_EQ(w, 1) << "a matrix cell was written " << w << " times";
    return run;
}

inline bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

inline void expect_same_bits(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (std::size_t i = 0; i < a.size(); ++i)
        ASSERT_TRUE(same_bits(a[i], b[i])) << what << " differs at " << i << ": " << a[i] << " vs " << b[i];
}

/// Two runs give the same bits in every output.
inline void expect_same_run(const dataset_run& a, const dataset_run& b, const std::string& what) {
    ASSERT_EQ(a.matrices.size(), b.matrices.size());
    for (std::size_t k = 0; k < a.matrices.size(); ++k) {
        EXPECT_EQ(a.matrices[k].created, b.matrices[k].created) << what;
        EXPECT_EQ(a.matrices[k].constant, b.matrices[k].constant) << what;
        expect_same_bits(a.matrices[k].values, b.matrices[k].values, what + " matrix " + std::to_string(k));
        EXPECT_EQ(a.matrices[k].text_attrs, b.matrices[k].text_attrs) << what;
        EXPECT_EQ(a.matrices[k].number_attrs, b.matrices[k].number_attrs) << what;
        const auto& ta = a.tables[k];
        const auto& tb = b.tables[k];
        ASSERT_EQ(ta.size(), tb.size()) << what << " table " << k;
        for (std::size_t i = 0; i < ta.size(); ++i) EXPECT_EQ(ta.meta[i].id, tb.meta[i].id) << what;
        for (std::size_t c = 0; c < ta.columns.size(); ++c) {
            EXPECT_EQ(ta.columns[c].ints, tb.columns[c].ints) << what << " column " << ta.columns[c].spec.name;
            expect_same_bits(ta.columns[c].floats, tb.columns[c].floats, what + " column " + ta.columns[c].spec.name);
            EXPECT_EQ(ta.columns[c].strings, tb.columns[c].strings) << what;
        }
        EXPECT_EQ(a.series[k].offset, b.series[k].offset) << what;
        EXPECT_EQ(a.series[k].time, b.series[k].time) << what;
        expect_same_bits(a.series[k].value, b.series[k].value, what + " series " + std::to_string(k));
    }
}

}  // namespace tsbatch::test
