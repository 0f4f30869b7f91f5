#pragma once
// OpenTSDB `tsdb import` text (reference/opentsdb.md 1.3): one point per line,
// `metric timestamp value tagk=tagv ...`, plain or gzip.
//
// Fields are separated by spaces or tabs (runs of them too, though OpenTSDB wants exactly
// one). The timestamp is an integer > 0: seconds below 2^32, milliseconds from 2^32 up to
// 9999999999999, as OpenTSDB reads it; `sec.mmm` is refused as `tsdb import` refuses it.
// The value is an integer or a decimal number; `NaN` gives a NaN point (OpenTSDB itself
// refuses NaN) and infinities are refused. Zero tags are accepted (1..8 tags is an export
// rule); a tag without '=' or a key given twice is malformed. Blank lines are skipped.
#include "text/byte_source.hpp"
#include "ingest/line_reader.hpp"
#include "ingest/parse_context.hpp"
#include "ingest/record_sink.hpp"

namespace tsbatch::ingest {

struct opentsdb_text_options {
    std::size_t max_line_bytes = default_max_line_bytes;
};

/// Reads one `tsdb import` input into `sink`; each bad line is reported and skipped.
void read_opentsdb_text(text::byte_source& source, const opentsdb_text_options& options, record_sink& sink,
                        parse_context& ctx);

/// Reads an OpenTSDB timestamp (seconds below 2^32, else ms up to 9999999999999); returns
/// nullptr and sets `ms`, or returns what is wrong. Shared with the JSON reader.
const char* parse_opentsdb_timestamp(std::string_view text, std::int64_t& ms);

}  // namespace tsbatch::ingest
