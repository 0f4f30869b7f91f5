#pragma once
// OpenTSDB /api/query responses (reference/opentsdb.md 1.5):
//   [{"metric": "m", "tags": {"k": "v"}, "aggregateTags": [], "dps": {"1346846400": 50.0, ...}}]
// with `dps` also as an array of [timestamp, value] pairs (OpenTSDB's `arrays` option).
// Timestamps are seconds below 2^32 and milliseconds above (msResolution), as OpenTSDB writes
// them. A value may be a number, null or NaN (both give a NaN point).
//
// The input is streamed (json_reader): points go to the sink as they are read when
// "metric" and "tags" come before "dps", as OpenTSDB writes them; otherwise one series
// object's points are held until its end (16 B a point). Other members ("aggregateTags",
// "annotations", "query", ...) are skipped. Syntax errors throw input_error at
// `file:line:column`; a bad point or series object is reported and skipped. An OpenTSDB
// error response ({"error": {"message": ...}}) throws input_error with its message.
#include "text/byte_source.hpp"
#include "text/json_reader.hpp"
#include "ingest/parse_context.hpp"
#include "ingest/record_sink.hpp"

namespace tsbatch::ingest {

struct opentsdb_json_options {
    text::json_limits limits;
};

/// Reads one /api/query response (or several, one after another) into `sink`.
void read_opentsdb_json(text::byte_source& source, const opentsdb_json_options& options, record_sink& sink,
                        parse_context& ctx);

}  // namespace tsbatch::ingest
