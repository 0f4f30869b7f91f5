#pragma once
// The CSV reader: long and wide form (see csv_options.hpp).
//
// The first non-blank line is the header (a UTF-8 BOM is skipped); blank lines are skipped;
// lines may end in \n or \r\n. Problems with the header or the options (a column that does not
// exist, a bad series name in a wide header's syntax) throw input_error / usage_error before
// any row is read. Each bad row or field afterwards is reported to the parse context as
// `file:line:column: message (text: '...')` and skipped.
#include "text/byte_source.hpp"
#include "ingest/csv_options.hpp"
#include "ingest/parse_context.hpp"
#include "ingest/record_sink.hpp"

namespace tsbatch::ingest {

/// Reads one CSV input into `sink`.
void read_csv(text::byte_source& source, const csv_options& options, record_sink& sink, parse_context& ctx);

}  // namespace tsbatch::ingest
