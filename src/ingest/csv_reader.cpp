#include "ingest/csv_reader.hpp"

#include "core/error.hpp"
#include "ingest/csv_rows.hpp"

namespace tsbatch::ingest {

tag_column parse_tag_column(std::string_view spec) {
    const std::size_t eq = spec.find('=');
    if (eq == std::string_view::npos) return {std::string(spec), std::string(spec)};
    return {std::string(spec.substr(0, eq)), std::string(spec.substr(eq + 1))};
}

void validate(const csv_options& o) {
    if (o.separator != '\0' && o.separator != ',' && o.separator != ';' && o.separator != '\t')
        throw usage_error("CSV separator must be ',', ';' or a tab");
    if (o.decimal_comma && o.separator == ',')
        throw usage_error("a decimal comma needs another separator than ',' (use ';')");
    if (o.time_column.empty()) throw usage_error("the CSV time column must be named");
    if (o.layout == csv_layout::long_form) {
        if (o.metric.empty() == o.metric_column.empty())
            throw usage_error("long-form CSV needs either a metric column or a fixed metric (exactly one)");
        if (o.value_column.empty()) throw usage_error("the CSV value column must be named");
        for (const tag_column& t : o.tag_columns)
            if (t.key.empty() || t.column.empty())
                throw usage_error("a tag column is written 'column' or 'key=column', got '" + t.key + "=" + t.column +
                                  "'");
    }
}

bool is_blank_line(std::string_view text) {
    for (char c : text)
        if (c != ' ' && c != '\t') return false;
    return true;
}

csv_input::csv_input(text::byte_source& source, const csv_options& options, record_sink& sink_, parse_context& ctx_)
    : lines(source, options.max_line_bytes),
      times(options.time_format, options.zone, options.dst),
      values(options.decimal_comma, options.nan_markers),
      sink(sink_),
      ctx(ctx_) {}

void csv_input::read_header(char separator) {
    do {
        if (!lines.next(row)) throw input_error(file() + ": no header line (the file is empty)");
    } while (is_blank_line(row.text));
    const std::string where = file() + ":" + std::to_string(row.number);
    if (row.too_long)
        throw input_error(where + ": the header line is longer than " + std::to_string(lines.max_line_bytes()) +
                          " bytes");
    if (separator == '\0') separator = detect_separator(row.text);
    if (separator == '\0')
        throw input_error(where + ": cannot tell the separator from the header (it has no ',', ';' or tab): '" +
                          printable_excerpt(row.text) + "'; name the separator");
    splitter = csv_splitter(separator);
    std::uint32_t col = 0;
    if (const char* e = splitter.split(row.text, fields, col))
        throw input_error(where + ":" + std::to_string(col) + ": " + e + " in the header");
    header_line = row.number;
    header.clear();
    header_columns.clear();
    for (const csv_field& f : fields) {
        header.emplace_back(f.text);
        header_columns.push_back(f.column);
    }
}

std::size_t csv_input::column(const std::string& name, std::string_view option) const {
    std::size_t found = header.size();
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i] != name) continue;
        if (found != header.size())
            throw input_error(file() + ":" + std::to_string(header_line) + ":" + std::to_string(header_columns[i]) +
                              ": column '" + name + "' appears twice in the header");
        found = i;
    }
    if (found != header.size()) return found;
    std::string list;
    for (const std::string& h : header) list += (list.empty() ? "'" : ", '") + printable_excerpt(h) + "'";
    throw input_error(file() + ":" + std::to_string(header_line) + ": no column '" + name + "' (" +
                      std::string(option) + ") in the header; its columns are " + list);
}

bool csv_input::next_row() {
    while (lines.next(row)) {
        if (row.too_long) {
            report(1,
                   "line of " + std::to_string(row.length) + " bytes is longer than the limit of " +
                       std::to_string(lines.max_line_bytes()) + "; skipped",
                   row.text);
            continue;
        }
        if (is_blank_line(row.text)) continue;
        std::uint32_t col = 0;
        if (const char* e = splitter.split(row.text, fields, col)) {
            report(col, e, row.text.substr(col - 1));
            continue;
        }
        if (fields.size() != header.size()) {
            const std::uint64_t col_at =
                fields.size() > header.size() ? fields[header.size()].column : row.text.size() + 1;
            report(
                col_at,
                "row has " + std::to_string(fields.size()) + " fields, the header has " + std::to_string(header.size()),
                row.text);
            continue;
        }
        return true;
    }
    return false;
}

void read_csv(text::byte_source& source, const csv_options& options, record_sink& sink, parse_context& ctx) {
    validate(options);
    csv_input in(source, options, sink, ctx);
    in.read_header(options.separator);
    if (options.decimal_comma && in.splitter.separator() == ',')
        throw usage_error(in.file() + ": the header is separated by ',', which a decimal comma cannot share; use ';'");
    if (options.layout == csv_layout::long_form)
        read_long_rows(in, options);
    else
        read_wide_rows(in, options);
}

}  // namespace tsbatch::ingest
