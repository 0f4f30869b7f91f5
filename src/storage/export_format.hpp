#pragma once
// The text formats `tsbatch export` writes, a series at a time, and the gzip file they go to.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/series.hpp"
#include "core/table.hpp"
#include "storage/opentsdb_rules.hpp"

namespace tsbatch::storage {

/// Appends one `tsdb import` line per non-NaN point: `metric timestamp value k1=v1 k2=v2\n`
/// (reference/opentsdb.md 1.3). `tags` is canonical; the series must have passed
/// check_series. Returns the number of lines appended.
std::uint64_t append_import_lines(std::string& out, std::string_view metric, std::string_view tags,
                                  series_view points, time_encoding enc);

/// CSV export: header `time,value,metric,<tag keys...>` with the tag keys of the whole export
/// (sorted); one row per point, time as ISO 8601 UTC with milliseconds
/// (`2020-01-01T00:00:00.000Z`), value as format_value, NaN as an empty cell, a missing tag
/// as an empty cell. Fields are quoted (RFC 4180) when they hold `,` `"` or a line break.
/// Lines end in "\n". csv_header returns the header line; append_csv_rows returns the number
/// of rows appended (every point, NaN included).
std::string csv_header(const std::vector<std::string>& tag_keys);
std::uint64_t append_csv_rows(std::string& out, std::string_view metric, std::string_view tags,
                              series_view points, const std::vector<std::string>& tag_keys);

/// Table CSV (one file per table or part of one): a header with the column names in order,
/// then one row per table row. A timestamp column (unit_epoch_ms) becomes two: `name` as ISO
/// 8601 UTC with milliseconds and `name_ms` with the integer. Numbers as format_value (so
/// they read back exactly), NaN as an empty cell, infinities as "inf" and "-inf"; strings and
/// names quoted as RFC 4180 when they hold `,` `"` or a line break. Lines end in "\n".
std::string table_csv_header(const std::vector<column_spec>& columns);
/// Appends every row of `rows` (its columns in header order; meta is not used).
void append_table_csv_rows(std::string& out, const table_batch& rows);

/// Matrix CSV: the first row is `corner` then the column labels; each row is its label then
/// its values (NaN as an empty cell), as table_csv_header formats them.
std::string matrix_csv_header(std::string_view corner, const std::vector<std::string>& col_labels);
void append_matrix_csv_row(std::string& out, std::string_view label, std::span<const double> values);

/// A file written under a temporary name (`path` + ".tmp.<pid>") and renamed to `path` by
/// commit(); destroyed without commit() it removes the temporary file, so `path` only ever
/// holds a complete file. Gzip-compressed at zlib's `level` (0-9, or -1 for its default), or
/// written as it is with `level` = export_file::plain; another level throws usage_error.
/// Errors throw output_error naming the path. Writes are gathered in 1 MiB blocks, so many
/// small writes cost no more than a few big ones.
class export_file {
public:
    static constexpr int plain = -2;  ///< no compression: a text file as it is

    explicit export_file(std::string path, int level = 6);
    ~export_file();
    export_file(const export_file&) = delete;
    export_file& operator=(const export_file&) = delete;

    void write(std::string_view bytes);
    /// Finishes the gzip stream (if any), fsyncs and renames into place.
    void commit();
    std::uint64_t bytes_in() const noexcept { return bytes_in_; }

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    std::string path_;
    std::uint64_t bytes_in_ = 0;
};

}  // namespace tsbatch::storage
