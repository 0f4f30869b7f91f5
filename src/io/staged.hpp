#pragma once
// The staged HDF5 format, version 1 (DESIGN §3, normative): series collections and tables,
// read by ranges of series and written collectively by every rank's slab.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/point_source.hpp"
#include "core/series.hpp"
#include "core/table.hpp"
#include "core/temp_file.hpp"
#include "parallel/comm.hpp"
#include "parallel/partition.hpp"

namespace tsbatch {

inline constexpr const char* series_format = "tsbatch-series";
inline constexpr const char* table_format = "tsbatch-table";
inline constexpr const char* result_format = "tsbatch-result";
inline constexpr const char* matrix_format = "tsbatch-matrix";
/// Matrices are stored in square chunks of this many rows and columns; tiles cut on that grid
/// are written fastest.
inline constexpr std::uint64_t matrix_tile = 256;
inline constexpr std::int64_t format_version = 1;

/// Reads one series collection. Every rank opens the file and reads the per-series point
/// counts (needed to partition); then each reads only its own series (one hyperslab per
/// dataset for a contiguous range). Refuses files that are not HDF5, groups that are not a
/// tsbatch collection, newer major versions and inconsistent offsets with input_error
/// naming the file and group.
class staged_reader {
public:
    staged_reader(const std::string& path, const std::string& group, const comm& c);
    ~staged_reader();
    staged_reader(staged_reader&&) noexcept;
    staged_reader& operator=(staged_reader&&) noexcept;

    const std::string& path() const noexcept;
    const std::string& group() const noexcept;
    std::uint64_t series_count() const noexcept;
    std::uint64_t point_count() const noexcept;
    /// Point count of every series of the collection.
    const std::vector<std::uint64_t>& counts() const noexcept;

    /// Rows [start, start+n) of the string column `name` (id, metric or tags).
    std::vector<std::string> read_strings(const std::string& name, std::uint64_t start, std::uint64_t n) const;

    /// The first and the last timestamp of each series in `rows` (two reads of scattered
    /// points, not a read of the series); both 0 for an empty series.
    struct time_extent {
        std::int64_t first = 0, last = 0;
    };
    std::vector<time_extent> time_extents(index_range rows) const;

    /// Meta and points of the series at `rows` (sorted ascending), in that order; each
    /// series' source_index is its row. The points go into `reuse`'s buffers when it has
    /// some (a batch read before): only the part of them beyond its old size is zeroed first.
    series_batch read(std::span<const std::uint64_t> rows, series_batch&& reuse = {}) const;
    series_batch read(index_range rows) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

struct write_options {
    int deflate_level = 0;                      ///< 0 = no compression
    std::uint64_t chunk_bytes = 8u << 20;       ///< target size of one HDF5 chunk
    /// Matrix tiles written by a thread of the writer's own while the caller computes the
    /// next: write_matrix_tile() copies the tile and returns. For a file of one process only
    /// (the thread calls HDF5, which must never see two calls at once: every other member
    /// waits for the tiles first, and the caller makes no other HDF5 call until it calls one).
    bool tiles_in_background = false;
};

/// Writes a new HDF5 file under a temporary name next to `final_path` and renames it into
/// place on commit(), so the final path only ever holds a complete file. Every member is
/// collective: all ranks call them in the same order with their own slabs.
class staged_writer {
public:
    staged_writer(const comm& c, std::string final_path, write_options opt = {});
    ~staged_writer();  ///< without commit(): closes and removes the temporary file
    staged_writer(const staged_writer&) = delete;
    staged_writer& operator=(const staged_writer&) = delete;

    const std::string& final_path() const noexcept { return final_path_; }
    const std::string& temp_path() const noexcept { return temp_path_; }

    /// Writes `local` (this rank's consecutive series, ranks in order) as a collection at
    /// `group` ("/" = the file's root) with tsbatch_step_op = `op` when not empty.
    void write_collection(const std::string& group, const series_batch& local, const std::string& op = "");

    /// The same with the points taken from `points` piece by piece: `rows` gives the series
    /// (meta, and offsets into `points`; its own points are not read). Every rank writes as
    /// many pieces as the rank with the most, so that the writes stay collective where the
    /// file needs them to be (compression); a rank with fewer writes nothing in the others.
    void write_collection(const std::string& group, const series_batch& rows, point_source& points,
                          const std::string& op = "");

    /// Creates the plain group `group` (a multi-output step's parent of its outputs) with
    /// tsbatch_step_op = `op` when not empty.
    void write_group(const std::string& group, const std::string& op);

    /// Writes `local` as a table at `group`. With `series_rows`, rows are series: the
    /// `series_index` and `id` columns come from local.meta; otherwise only the columns.
    void write_table(const std::string& group, const table_batch& local, const std::string& op = "",
                     bool series_rows = true);

    /// Collective: creates the rows x cols float64 matrix `path` (a 2-D dataset with attrs
    /// tsbatch_format = "tsbatch-matrix", row_axis, col_axis and tsbatch_step_op = `op` when not
    /// empty). Never compressed: its tiles are written by single ranks. With `every_entry`,
    /// the matrix reads as that value everywhere and is not written to; the file stores none
    /// of it (a file several ranks write gets it at the commit, from rank 0 alone, since
    /// parallel HDF5 would write the value into every chunk at creation).
    void create_matrix(const std::string& path, std::uint64_t rows, std::uint64_t cols, const std::string& row_axis,
                       const std::string& col_axis, const std::string& op = "",
                       std::optional<double> every_entry = std::nullopt);
    /// Not collective: writes a tile (row-major) of a matrix made by create_matrix. With
    /// write_options::tiles_in_background the write happens later; its error, if any, is
    /// thrown by the writer's next call.
    void write_matrix_tile(const std::string& path, std::uint64_t row0, std::uint64_t col0, std::uint64_t rows,
                           std::uint64_t cols, std::span<const double> values);

    /// Sets a string/int/double attribute on the object at `path` (same value on every rank).
    void set_attr(const std::string& path, const std::string& name, const std::string& value);
    void set_attr(const std::string& path, const std::string& name, std::int64_t value);
    void set_attr(const std::string& path, const std::string& name, double value);

    /// Closes the file and renames it to the final path.
    void commit();

private:
    /// On rank 0 at the commit, the parallel file closed: the matrices of one value. Returns
    /// the error, or nothing.
    std::string make_deferred_constants();
    template <class T>
    void set_attr_of(const std::string& path, const std::string& name, const T& value);

    struct impl;
    const comm& comm_;
    std::string final_path_;
    std::string temp_path_;
    write_options opt_;
    std::unique_ptr<impl> impl_;
    bool committed_ = false;
};

}  // namespace tsbatch
