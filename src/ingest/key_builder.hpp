#pragma once
// Builds canonical series keys (metric + tags sorted by key) from the names of one record,
// checking or sanitising each name through the parse context.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/parse_context.hpp"
#include "ingest/record_sink.hpp"

namespace tsbatch::ingest {

class key_builder {
public:
    /// Starts a new key. Names are views: they must stay valid until build(). Columns are
    /// 1-based (0 = unknown); a name's line is build()'s unless given (JSON spans lines).
    void reset(std::string_view metric, std::uint64_t column, std::uint64_t line = 0);
    void add_tag(std::string_view key, std::uint64_t key_column, std::string_view value, std::uint64_t value_column,
                 std::uint64_t line = 0);
    std::size_t tag_count() const noexcept { return tags_.size(); }

    /// Checks every name (see parse_context::resolve_name), sorts the tags by key and joins
    /// them. Returns false, after a `malformed` report at `file:line` and the name's column,
    /// when a name is unusable or a tag key appears twice.
    bool build(parse_context& ctx, std::string_view file, std::uint64_t line, series_key& out);

private:
    struct name_ref {
        std::string_view text;
        std::uint64_t column;
        std::uint64_t line;
    };
    struct tag_ref {
        name_ref key;
        name_ref value;
    };
    name_ref metric_{};
    std::vector<tag_ref> tags_;
    std::vector<std::pair<std::string, std::string>> resolved_;
};

/// Reads a series written as `metric{k1=v1,k2=v2}` or `metric` (surrounding spaces ignored)
/// into `builder`; `column` is the 1-based column of text[0] in its line, or 0 when the text
/// is not from the input (then names get no column). Returns nullptr, or a message saying
/// what is wrong.
const char* read_series_text(std::string_view text, std::uint64_t column, key_builder& builder);

}  // namespace tsbatch::ingest
