#pragma once
// Tokens of the condition language and the lexer that cuts a condition's text into them
// (lexer.cpp), with the helpers that every condition_error message uses (fail, quote). The
// parser (parser.cpp) is the lexer's one user.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tsbatch::detail::condition_impl {

enum class tok : std::uint8_t {
    end,
    number,
    name,
    lparen,
    rparen,
    comma,
    plus,
    minus,
    star,
    slash,
    lt,
    le,
    gt,
    ge,
    eq,
    ne
};

struct token {
    tok kind = tok::end;
    std::size_t begin = 0;  // [begin, end) in the text
    std::size_t end = 0;
    double value = 0.0;  // numbers
};

inline bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Throws condition_error for the mistake at `offset` (0-based) in the text.
[[noreturn]] void fail(std::size_t offset, const std::string& what);

// Text quoted for a message: blanks and non-printable bytes become spaces and '?', long text is cut.
std::string quote(std::string_view s);

class lexer {
public:
    explicit lexer(std::string_view text) : text_(text) {}

    // The next token; tok::end at the end of the text. Throws for a character no token starts with.
    token next();

private:
    token symbol();
    void skip_digits();
    token number();

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace tsbatch::detail::condition_impl
