#pragma once
// Reading the tables and matrices of a result file back (DESIGN §3) in one process, by ranges
// of rows: `tsbatch export --to csv` writes them as CSV. Collections are read by
// staged_reader. Every rank that reads opens the file on its own (read-only).
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/table.hpp"

namespace tsbatch {

/// What a group or dataset of a tsbatch file is, by its tsbatch_format attribute.
enum class stored_kind { collection, table, matrix, other };
inline constexpr std::array stored_kind_names{"collection", "table", "matrix", "group"};  // enum order

/// A collection, table or matrix of a file.
struct stored_object {
    std::string path;  ///< "/q", "/corr/top_pairs", "/corr/r"; "/" for a staged file's collection
    stored_kind kind = stored_kind::other;
};

/// A column of a stored table, in the file's order (series_index and id first in a table of
/// series). series_index is read as int64.
struct stored_column {
    std::string name;
    column_type type = column_type::float64;
    std::string unit;  ///< the column's `unit` attribute, "" without
};

/// An open HDF5 file, read-only. Errors name the file: input_error (exit 3) when it is
/// missing, not HDF5, or lacks the object asked for.
class result_file {
public:
    explicit result_file(const std::string& path);
    ~result_file();
    result_file(result_file&&) noexcept;
    result_file& operator=(result_file&&) noexcept;

    const std::string& path() const noexcept;
    /// What `object` is ("/" is the root). Throws input_error when it does not exist.
    stored_kind kind_of(const std::string& object) const;
    /// The collections, tables and matrices at `object` and below it, in the order they
    /// were written (a step's outputs in its order, steps in run order).
    std::vector<stored_object> objects_under(const std::string& object) const;

    /// A string attribute of `object` ("/" for the file's provenance), or "" without one.
    std::string string_attr(const std::string& object, const std::string& name) const;

    long long id() const noexcept;  ///< the HDF5 file id (hid_t), for the readers below

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// One table of a result_file, read by ranges of rows.
class table_reader {
public:
    table_reader(const result_file& file, const std::string& group);
    ~table_reader();
    table_reader(table_reader&&) noexcept;

    std::uint64_t rows() const noexcept;
    const std::vector<stored_column>& columns() const noexcept;
    /// Rows [start, start+n) of every column, in columns() order (meta is left empty).
    table_batch read(std::uint64_t start, std::uint64_t n) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// One matrix of a result_file, read by ranges of rows.
class matrix_reader {
public:
    matrix_reader(const result_file& file, const std::string& path);
    ~matrix_reader();
    matrix_reader(matrix_reader&&) noexcept;

    std::uint64_t rows() const noexcept;
    std::uint64_t cols() const noexcept;
    /// The name of axis 0 (rows) or 1 (columns): the row_axis / col_axis attribute.
    const std::string& axis_name(int axis) const noexcept;
    /// Rows [row0, row0+n), row-major (n x cols()).
    std::vector<double> read_rows(std::uint64_t row0, std::uint64_t n) const;
    /// The same into `into`, whose memory a reader of strip after strip reuses (a fresh
    /// vector per strip of a 10,000 x 10,000 matrix faults in and zeroes 800 MB).
    void read_rows(std::uint64_t row0, std::uint64_t n, std::vector<double>& into) const;
    /// The labels of axis 0 or 1, one per row or column:
    /// 1. the attribute `row_labels` / `col_labels` (labels separated by ','), when present;
    /// 2. else the `id` column of the table next to the matrix named like the axis (a
    ///    correlation's `series` table), when it has as many rows as the axis;
    /// 3. else the positions 0, 1, 2, ...
    std::vector<std::string> labels(int axis) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace tsbatch
