#pragma once
// Per-series scalar results (DESIGN §3 "table"): one row per input series, typed columns.
#include <cstdint>
#include <string>
#include <vector>

#include "core/enum_names.hpp"
#include "core/series.hpp"

namespace tsbatch {

enum class column_type { int64, float64, string };
inline constexpr std::array column_type_names{"int64", "float64", "string"};  // enum order

inline const char* to_string(column_type t) noexcept {
    return enum_name(t, column_type_names);
}

/// Column units. A timestamp and a duration are both integer milliseconds in the file; the
/// unit tells them apart, so that exports can write timestamps as dates.
inline constexpr const char* unit_epoch_ms = "epoch_ms";  ///< a timestamp: ms since 1970-01-01T00:00:00Z
inline constexpr const char* unit_ms = "ms";              ///< a duration in milliseconds

struct column_spec {
    std::string name;
    column_type type = column_type::float64;
    std::string unit;     ///< unit_epoch_ms, unit_ms, or "" when dimensionless or the series' own unit
    std::string summary;  ///< one line for `tsbatch catalogue`
};

/// One column's values; only the vector matching spec.type is used.
struct table_column {
    column_spec spec;
    std::vector<std::int64_t> ints;
    std::vector<double> floats;
    std::vector<std::string> strings;

    std::size_t size() const noexcept {
        switch (spec.type) {
            case column_type::int64:
                return ints.size();
            case column_type::float64:
                return floats.size();
            case column_type::string:
                return strings.size();
        }
        return 0;
    }
};

/// Rows of a table for a run of consecutive series, as one rank holds them.
struct table_batch {
    std::vector<series_meta> meta;  ///< row identity: id and source_index are written
    std::vector<table_column> columns;

    explicit table_batch(const std::vector<column_spec>& specs = {}) {
        columns.reserve(specs.size());
        for (const auto& s : specs) columns.push_back(table_column{s, {}, {}, {}});
    }
    std::size_t size() const noexcept { return meta.size(); }
};

/// Writes one row of a table: an operator sets every column by index, in any order.
class row_sink {
public:
    explicit row_sink(table_batch& t) : table_(t) {}
    void set(std::size_t column, std::int64_t v) { table_.columns[column].ints.push_back(v); }
    void set(std::size_t column, double v) { table_.columns[column].floats.push_back(v); }
    void set(std::size_t column, std::string v) { table_.columns[column].strings.push_back(std::move(v)); }

private:
    table_batch& table_;
};

/// The rows an operator writes for one input series: each add_row() starts a row that
/// carries the series' identity. Used by operators whose table has any number of rows per
/// series (triggers, flagged points).
class table_sink {
public:
    table_sink(table_batch& t, const series_meta& m) : table_(t), meta_(m) {}
    row_sink add_row() {
        table_.meta.push_back(meta_);
        return row_sink(table_);
    }

private:
    table_batch& table_;
    const series_meta& meta_;
};

}  // namespace tsbatch
