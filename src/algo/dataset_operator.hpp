#pragma once
// Dataset-wide operators (ALGORITHMS.md, "Dataset-wide operators"): operators that need every
// series of the run at once (correlation, pca, kmeans, pattern_search, motifs). Each rank
// holds a contiguous run of the step's input rows; the operator talks to the other ranks
// only through `const comm&` (never MPI itself) and writes its results to sinks the caller
// binds (HDF5 in a run, memory in tests). Results must not depend on the rank count: every
// reduction combines per-chunk partials in an order fixed by the chunks alone, in chunk order
// or over the chunk tree (parallel/ordered_reduce.hpp), and the chunk grid
// (`dataset_input::chunk_rows`) is the same for any rank count.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/series.hpp"
#include "core/table.hpp"
#include "parallel/comm.hpp"

namespace tsbatch {

/// Snapshots of a dataset-wide step's finished work, kept across a stopped or killed run
/// (run.checkpoint). An operator whose work comes in pieces fixed by the data (matrix_profile's
/// tiles) saves, now and then, what this rank has finished; a resumed run, on any number of
/// ranks, reads every snapshot back instead of doing that work again. The checkpoint's
/// fingerprint covers the config and the input, so snapshots always belong to this step of
/// this run. Not collective.
class work_journal {
public:
    virtual ~work_journal() = default;
    /// The names of the snapshots recorded so far, by any rank of any earlier attempt.
    virtual std::vector<std::string> snapshots() const = 0;
    /// A snapshot's bytes; nothing when it is damaged (its work is then done again).
    virtual std::optional<std::vector<std::byte>> load(const std::string& name) const = 0;
    /// Whether this rank should save its snapshot now (a few minutes since the last one).
    virtual bool due() = 0;
    /// Records this process's snapshot, replacing its previous one (never another's).
    virtual void save(std::span<const std::byte> bytes) = 0;
    /// Flushes the snapshots saved so far to disk (before a stopped run exits).
    virtual void sync() = 0;
};

/// What a dataset-wide step reads on one rank.
struct dataset_input {
    /// This rank's rows of the input, in run order (rank 0's rows first): a series output of
    /// an earlier step or the source. Null when the step reads a table.
    const series_batch* series = nullptr;
    /// This rank's rows of a table output of an earlier step (kmeans features: table:<step>).
    const table_batch* table = nullptr;
    /// Global index (over all ranks, in run order) of this rank's first row.
    std::uint64_t first_row = 0;
    /// Rows on all ranks together.
    std::uint64_t total_rows = 0;
    /// Rows in each of this rank's chunks, in chunk order; they add up to this rank's rows.
    /// The chunk grid does not depend on the rank count (a rank holds whole chunks), so
    /// partial results per chunk combined in an order fixed by the chunks (in chunk order, or
    /// over the chunk tree) give the same bits on any rank count.
    std::vector<std::size_t> chunk_rows;
    /// Where to record finished work when the run has a checkpoint; null without one.
    work_journal* journal = nullptr;

    std::size_t rows() const noexcept { return series ? series->size() : table ? table->size() : 0; }
};

/// Names of a matrix's axes and, where an axis is made of series, which ones.
struct matrix_axes {
    std::string row_axis;  ///< e.g. "series", "component", "cluster"
    std::string col_axis;  ///< e.g. "series", "time", "feature"
};

/// Where a dense float64 matrix goes. create() is collective (every rank, same arguments);
/// write() is not: each rank writes the tiles it computed, any number, in any order, and
/// tiles never overlap. A matrix output that is never created is left out of the result.
class matrix_sink {
public:
    virtual ~matrix_sink() = default;
    virtual void create(std::uint64_t rows, std::uint64_t cols, const matrix_axes& axes) = 0;
    /// Collective like create(), for a matrix whose every entry is `value` (known before any is
    /// computed): stored as that one value, never written.
    virtual void create_constant(std::uint64_t rows, std::uint64_t cols, const matrix_axes& axes, double value) = 0;
    /// Tile of `rows` x `cols` values (row-major) at (row0, col0).
    virtual void write(std::uint64_t row0, std::uint64_t col0, std::uint64_t rows, std::uint64_t cols,
                       std::span<const double> values) = 0;
    /// A string or number attribute on the matrix (collective, same value on every rank).
    virtual void set_attr(const std::string& name, const std::string& value) = 0;
    virtual void set_attr(const std::string& name, double value) = 0;
};

/// The outputs of one dataset-wide step, indexed like operator_def::outputs. A series or
/// table output holds this rank's rows (ranks' rows are concatenated in rank order when
/// written), so a result that is global (top-k matches, centroids as a table) is put on
/// rank 0 only. Every table output starts with the columns the operator declared.
class dataset_outputs {
public:
    virtual ~dataset_outputs() = default;
    virtual series_batch& series(std::size_t output) = 0;
    virtual table_batch& table(std::size_t output) = 0;
    virtual matrix_sink& matrix(std::size_t output) = 0;
};

/// A dataset-wide operator with bound parameters.
class dataset_operator {
public:
    virtual ~dataset_operator() = default;
    /// The columns of table output `output` (only asked for table outputs).
    virtual std::vector<column_spec> columns(std::size_t output) const = 0;
    /// Collective: every rank calls it with its rows. Throws input_error (exit 3) for data
    /// the operator cannot use (naming the series), param_error for parameters that do not
    /// fit the data (k above the number of series ...). A check that can fail on one rank
    /// alone runs inside agreed_phase (parallel/agreement.hpp) before the next collective,
    /// so that every rank throws alike and none is left waiting.
    virtual void apply(const dataset_input& in, const comm& c, dataset_outputs& out) const = 0;
};

}  // namespace tsbatch
