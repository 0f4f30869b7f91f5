#pragma once
// Options of the CSV reader (`tsbatch stage-in --from csv`).
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/line_reader.hpp"
#include "ingest/time_field.hpp"
#include "ingest/time_zone.hpp"

namespace tsbatch::ingest {

enum class csv_layout {
    long_form,  ///< one point per row: time, value, metric (column or fixed) and tag columns
    wide_form,  ///< one row per time, one column per series
};

/// A tag taken from a column (long form): tag `key` has the value of column `column`.
struct tag_column {
    std::string key;
    std::string column;
};

/// "site" (key and column alike) or "key=column".
tag_column parse_tag_column(std::string_view spec);

struct csv_options {
    csv_layout layout = csv_layout::long_form;
    char separator = '\0';       ///< ',', ';' or '\t'; '\0' detects it from the header line
    bool decimal_comma = false;  ///< values written 1,5 (needs a separator other than ',')
    std::string time_column = "time";
    ingest::time_format time_format = ingest::time_format::auto_detect;
    time_zone zone;  ///< for ISO times without a zone (default UTC)
    dst_policy dst = dst_policy::compatible;
    std::vector<std::string> nan_markers;  ///< in addition to "", NaN, NA, nan, null

    // Long form. Exactly one of metric_column and metric is set.
    std::string value_column = "value";
    std::string metric_column;            ///< the column holding each row's metric
    std::string metric;                   ///< one metric for every row
    std::vector<tag_column> tag_columns;  ///< an empty cell leaves that tag out of the row's series

    // Wide form. Every column but the time column and ignored ones is a series, named by its
    // header (`gw.level{site=BH01}` or `gw.level`) or by series_map (header text -> series text).
    std::map<std::string, std::string> series_map;
    std::vector<std::string> ignore_columns;
    bool skip_empty_cells = true;  ///< an empty cell is no point (false: a NaN point)

    std::size_t max_line_bytes = default_max_line_bytes;
};

/// Throws usage_error when the options contradict each other.
void validate(const csv_options& options);

}  // namespace tsbatch::ingest
