#pragma once
// A streaming pull parser for JSON (RFC 8259) over a byte source: it hands out one token at
// a time and keeps only the current string or number, so memory does not grow with the
// input. It checks the whole grammar, limits nesting depth and string length, decodes every
// escape (\uXXXX with surrogate pairs into UTF-8), and throws input_error as
// `file:line:column: message` on the first syntax error (after which nothing can be trusted).
//
// Extensions, for what OpenTSDB writes: the bare literal NaN; several top-level values one
// after another (concatenated responses); a UTF-8 BOM at the start.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/byte_source.hpp"

namespace tsbatch::text {

enum class json_token {
    begin_object,
    end_object,
    begin_array,
    end_array,
    key,  ///< an object member's name; text() holds it
    string,
    number,  ///< text() holds its JSON spelling
    true_value,
    false_value,
    null_value,
    nan_value,
    end_of_input,
};

struct json_limits {
    std::size_t max_depth = 64;
    std::size_t max_string_bytes = std::size_t{1} << 20;
};

class json_reader {
public:
    explicit json_reader(byte_source& source, json_limits limits = {});

    /// The next token.
    json_token next();
    /// The unescaped text of the last key or string, or the spelling of the last number.
    std::string_view text() const noexcept { return text_; }
    /// Where the last token starts (1-based; columns count bytes).
    std::uint64_t line() const noexcept { return token_line_; }
    std::uint64_t column() const noexcept { return token_column_; }
    const std::string& name() const { return source_.name(); }
    /// Nesting depth after the last token (0 at the top level).
    std::size_t depth() const noexcept { return stack_.size(); }

    /// Skips the rest of a value whose first token was `first` (nothing to do for scalars).
    void skip(json_token first);

    /// Throws input_error `file:line:column: message` at the last token.
    [[noreturn]] void fail(const std::string& message) const;

private:
    enum class state : std::uint8_t { array_first, array_next, object_first, object_value, object_next };

    int peek();
    int get();
    void skip_space();
    [[noreturn]] void fail_here(const std::string& message) const;
    void mark();
    json_token value();
    json_token close(json_token token);
    json_token read_key();
    void read_string();
    void read_escape();
    unsigned read_hex4();
    void append_utf8(char32_t cp);
    json_token read_number();
    json_token read_literal();

    byte_source& source_;
    json_limits limits_;
    std::string_view block_;
    std::size_t pos_ = 0;
    bool at_end_ = false;
    std::uint64_t line_ = 1;
    std::uint64_t column_ = 1;
    std::uint64_t token_line_ = 1;
    std::uint64_t token_column_ = 1;
    std::vector<state> stack_;
    std::string text_;
    bool started_ = false;
};

}  // namespace tsbatch::text
