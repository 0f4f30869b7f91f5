#pragma once
// What the long- and wide-form row readers share (internal to the CSV reader).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/csv_fields.hpp"
#include "ingest/csv_options.hpp"
#include "ingest/line_reader.hpp"
#include "ingest/parse_context.hpp"
#include "ingest/record_sink.hpp"
#include "ingest/time_field.hpp"
#include "ingest/value_field.hpp"

namespace tsbatch::ingest {

/// One CSV input being read: its lines, its header and the current row's fields.
struct csv_input {
    csv_input(text::byte_source& source, const csv_options& options, record_sink& sink_, parse_context& ctx_);

    line_reader lines;
    csv_splitter splitter{','};
    std::vector<std::string> header;
    std::uint64_t header_line = 0;
    std::vector<std::uint32_t> header_columns;
    line row;
    std::vector<csv_field> fields;
    time_parser times;
    value_parser values;
    record_sink& sink;
    parse_context& ctx;

    const std::string& file() const { return lines.name(); }
    text_location at(std::uint64_t column) const { return {file(), row.number, column}; }
    void report(std::uint64_t column, std::string message, std::string_view text) {
        ctx.report(diagnostic_kind::malformed, at(column), std::move(message), text);
    }
    /// Reads the header line (the first non-blank one) and settles the separator; throws
    /// input_error when there is none or it cannot be split.
    void read_header(char separator);
    /// Reads the next row with as many fields as the header; bad rows are reported and skipped.
    bool next_row();
    /// The index of header column `name`; throws input_error listing the header otherwise.
    std::size_t column(const std::string& name, std::string_view option) const;
};

/// Whether a line holds nothing but spaces and tabs.
bool is_blank_line(std::string_view text);

void read_long_rows(csv_input& in, const csv_options& options);
void read_wide_rows(csv_input& in, const csv_options& options);

}  // namespace tsbatch::ingest
