#pragma once
// Splits one CSV line into fields (RFC 4180 double quotes), without copying unless a field
// holds an escaped quote (""). Internal to the CSV reader.
//
// A quoted field must close on its own line: time-series data never needs a line break
// inside a field, and this keeps one stray quote from swallowing the rest of a file.
// Spaces and tabs around a field are trimmed (unless the tab is the separator); inside
// quotes they are kept.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tsbatch::ingest {

struct csv_field {
    std::string_view text;  ///< unquoted, unescaped, trimmed
    std::uint32_t column;   ///< 1-based byte column where the field's text starts (after a quote)
};

class csv_splitter {
public:
    explicit csv_splitter(char separator) : sep_(separator) {}
    char separator() const noexcept { return sep_; }

    /// Splits `line` into `fields` (views into `line` or into this splitter, valid until the
    /// next call). Returns nullptr, or a message with `error_column` set.
    const char* split(std::string_view line, std::vector<csv_field>& fields, std::uint32_t& error_column);

private:
    const char* quoted(std::string_view line, std::size_t& pos, csv_field& f, std::uint32_t& error_column);

    char sep_;
    std::string scratch_;  // unescaped quoted fields; reserved to the line size so views stay valid
};

/// The separator of a header line: the most frequent of ',' ';' and tab outside quotes (ties
/// in that order); 0 when the line has none of them.
char detect_separator(std::string_view header);

}  // namespace tsbatch::ingest
