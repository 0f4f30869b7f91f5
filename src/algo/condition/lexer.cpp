// Lexer (lexer.hpp): text -> tokens. Rejects, naming its column, a character that no token
// starts with and a malformed or out-of-range number; also the message helpers fail and quote.
#include "algo/condition/lexer.hpp"

#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

#include "algo/condition/condition.hpp"

namespace tsbatch::detail::condition_impl {

namespace {

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
bool is_name_start(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) noexcept {
    return is_name_start(c) || is_digit(c);
}

std::string hex_byte(unsigned char c) {
    constexpr const char* digits = "0123456789abcdef";
    return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

}  // namespace

[[noreturn]] void fail(std::size_t offset, const std::string& what) {
    throw condition_error(offset + 1, what);
}

std::string quote(std::string_view s) {
    constexpr std::size_t max_quoted = 40;
    std::string q = "'";
    for (std::size_t i = 0; i < s.size() && i < max_quoted; ++i) {
        const char c = s[i];
        q += is_blank(c) ? ' ' : (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    q += s.size() > max_quoted ? "...'" : "'";
    return q;
}

token lexer::next() {
    while (pos_ < text_.size() && is_blank(text_[pos_])) ++pos_;
    if (pos_ == text_.size()) return token{tok::end, pos_, pos_};
    const char c = text_[pos_];
    if (is_digit(c) || (c == '.' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1]))) return number();
    if (is_name_start(c)) {
        const std::size_t begin = pos_;
        while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
        return token{tok::name, begin, pos_};
    }
    return symbol();
}

token lexer::symbol() {
    const std::size_t begin = pos_;
    const char c = text_[pos_];
    const bool then_eq = pos_ + 1 < text_.size() && text_[pos_ + 1] == '=';
    auto one = [&](tok k) { return token{k, begin, ++pos_}; };
    auto two = [&](tok k) { return token{k, begin, pos_ += 2}; };
    switch (c) {
        case '(':
            return one(tok::lparen);
        case ')':
            return one(tok::rparen);
        case ',':
            return one(tok::comma);
        case '+':
            return one(tok::plus);
        case '-':
            return one(tok::minus);
        case '*':
            return one(tok::star);
        case '/':
            return one(tok::slash);
        case '<':
            return then_eq ? two(tok::le) : one(tok::lt);
        case '>':
            return then_eq ? two(tok::ge) : one(tok::gt);
        case '=':
            if (then_eq) return two(tok::eq);
            fail(begin, "unexpected '=': compare with '=='");
        case '!':
            if (then_eq) return two(tok::ne);
            fail(begin, "unexpected '!': write 'not' to negate");
        case '&':
            fail(begin, "unexpected '&': write 'and'");
        case '|':
            fail(begin, "unexpected '|': write 'or'");
        default:
            break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) fail(begin, "unexpected byte " + hex_byte(u) + ": a condition is plain ASCII text");
    fail(begin, "unexpected character '" + std::string(1, c) + "'");
}

void lexer::skip_digits() {
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
}

token lexer::number() {
    const std::size_t begin = pos_;
    skip_digits();
    if (pos_ < text_.size() && text_[pos_] == '.') {
        ++pos_;
        skip_digits();
    }
    bool well_formed = true;
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
        ++pos_;
        if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
        well_formed = pos_ < text_.size() && is_digit(text_[pos_]);
        skip_digits();
    }
    // `3y`, `1.2.3`, `1e`: take the whole run of letters, digits and dots into the message.
    if (!well_formed || (pos_ < text_.size() && (is_name_char(text_[pos_]) || text_[pos_] == '.'))) {
        while (pos_ < text_.size() && (is_name_char(text_[pos_]) || text_[pos_] == '.')) ++pos_;
        fail(begin, "malformed number " + quote(text_.substr(begin, pos_ - begin)));
    }
    token t{tok::number, begin, pos_};
    const auto [ptr, ec] = std::from_chars(text_.data() + begin, text_.data() + pos_, t.value);
    if (ec == std::errc::result_out_of_range)
        fail(begin,
             "number " + quote(text_.substr(begin, pos_ - begin)) + " is out of the range of a double: write inf or 0");
    if (ec != std::errc() || ptr != text_.data() + pos_)
        fail(begin, "malformed number " + quote(text_.substr(begin, pos_ - begin)));
    return t;
}

}  // namespace tsbatch::detail::condition_impl
