#include "text/json_reader.hpp"

#include <cstring>

#include "core/error.hpp"

namespace tsbatch::text {
namespace {

bool is_digit(int c) {
    return c >= '0' && c <= '9';
}

std::string describe(int c) {
    if (c < 0) return "the end of the input";
    if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
    return "byte 0x" + std::string(1, "0123456789ABCDEF"[(c >> 4) & 0xF]) + "0123456789ABCDEF"[c & 0xF];
}

constexpr std::size_t max_number_chars = 64;

}  // namespace

json_reader::json_reader(byte_source& source, json_limits limits) : source_(source), limits_(limits) {}

int json_reader::peek() {
    while (pos_ == block_.size()) {
        if (at_end_) return -1;
        block_ = source_.next();
        pos_ = 0;
        at_end_ = block_.empty();
    }
    return static_cast<unsigned char>(block_[pos_]);
}

int json_reader::get() {
    const int c = peek();
    if (c < 0) return c;
    ++pos_;
    if (c == '\n') {
        ++line_;
        column_ = 1;
    } else {
        ++column_;
    }
    return c;
}

void json_reader::skip_space() {
    for (int c = peek(); c == ' ' || c == '\t' || c == '\n' || c == '\r'; c = peek()) get();
}

void json_reader::mark() {
    token_line_ = line_;
    token_column_ = column_;
}

void json_reader::fail(const std::string& message) const {
    throw input_error(name() + ":" + std::to_string(token_line_) + ":" + std::to_string(token_column_) + ": " +
                      message);
}

void json_reader::fail_here(const std::string& message) const {
    throw input_error(name() + ":" + std::to_string(line_) + ":" + std::to_string(column_) + ": " + message);
}

json_token json_reader::next() {
    if (!started_) {
        started_ = true;
        // A UTF-8 BOM is not JSON, but editors on Windows write one.
        if (peek() == 0xEF) {
            for (const unsigned char b : {0xEFU, 0xBBU, 0xBFU})
                if (get() != static_cast<int>(b)) fail_here("invalid byte at the start of the input");
            column_ = 1;
        }
    }
    skip_space();
    mark();
    if (stack_.empty()) return peek() < 0 ? json_token::end_of_input : value();
    const int c = peek();
    switch (stack_.back()) {
        case state::array_first:
            if (c == ']') return close(json_token::end_array);
            stack_.back() = state::array_next;
            return value();
        case state::array_next:
            if (c == ']') return close(json_token::end_array);
            if (c != ',') fail_here("expected ',' or ']' in an array, found " + describe(c));
            get();
            skip_space();
            mark();
            return value();
        case state::object_first:
            if (c == '}') return close(json_token::end_object);
            return read_key();
        case state::object_value:
            stack_.back() = state::object_next;
            return value();
        case state::object_next:
            if (c == '}') return close(json_token::end_object);
            if (c != ',') fail_here("expected ',' or '}' in an object, found " + describe(c));
            get();
            skip_space();
            mark();
            return read_key();
    }
    return json_token::end_of_input;  // not reached
}

json_token json_reader::close(json_token token) {
    get();
    stack_.pop_back();
    return token;
}

json_token json_reader::read_key() {
    if (peek() != '"') fail_here("expected a member name in double quotes, found " + describe(peek()));
    read_string();
    const std::uint64_t l = token_line_, c = token_column_;
    skip_space();
    if (peek() != ':') fail_here("expected ':' after a member name, found " + describe(peek()));
    get();
    token_line_ = l;
    token_column_ = c;
    stack_.back() = state::object_value;
    return json_token::key;
}

json_token json_reader::value() {
    const int c = peek();
    auto open = [&](state s, json_token t) {
        if (stack_.size() >= limits_.max_depth)
            fail("nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
        get();
        stack_.push_back(s);
        return t;
    };
    if (c == '{') return open(state::object_first, json_token::begin_object);
    if (c == '[') return open(state::array_first, json_token::begin_array);
    if (c == '"') {
        read_string();
        return json_token::string;
    }
    if (c == '-' || is_digit(c)) return read_number();
    if (c == 't' || c == 'f' || c == 'n' || c == 'N') return read_literal();
    fail_here("expected a value, found " + describe(c));
}

void json_reader::read_string() {
    get();  // the opening quote
    text_.clear();
    for (;;) {
        // Copy the run of plain characters in the current block at once.
        std::size_t n = 0;
        while (pos_ + n < block_.size()) {
            const auto b = static_cast<unsigned char>(block_[pos_ + n]);
            if (b == '"' || b == '\\' || b < 0x20) break;
            ++n;
        }
        text_.append(block_.substr(pos_, n));
        pos_ += n;
        column_ += n;
        if (text_.size() > limits_.max_string_bytes)
            fail("string longer than " + std::to_string(limits_.max_string_bytes) + " bytes");
        const int c = peek();
        if (c < 0) fail("string is not closed");
        if (c == '"') {
            get();
            return;
        }
        if (c == '\\') {
            read_escape();
        } else if (c < 0x20) {
            fail_here("control character " + describe(c) + " in a string (write it as an escape)");
        }
    }
}

unsigned json_reader::read_hex4() {
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
        const int c = peek();
        unsigned d = 0;
        if (c >= '0' && c <= '9')
            d = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = static_cast<unsigned>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = static_cast<unsigned>(c - 'A' + 10);
        else
            fail_here("\\u must be followed by four hex digits, found " + describe(c));
        get();
        v = v * 16 + d;
    }
    return v;
}

void json_reader::append_utf8(char32_t cp) {
    if (cp < 0x80) {
        text_ += static_cast<char>(cp);
    } else if (cp < 0x800) {
        text_ += static_cast<char>(0xC0 | (cp >> 6));
        text_ += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        text_ += static_cast<char>(0xE0 | (cp >> 12));
        text_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        text_ += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        text_ += static_cast<char>(0xF0 | (cp >> 18));
        text_ += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        text_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        text_ += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

void json_reader::read_escape() {
    get();  // the backslash
    const int c = get();
    switch (c) {
        case '"':
            text_ += '"';
            return;
        case '\\':
            text_ += '\\';
            return;
        case '/':
            text_ += '/';
            return;
        case 'b':
            text_ += '\b';
            return;
        case 'f':
            text_ += '\f';
            return;
        case 'n':
            text_ += '\n';
            return;
        case 'r':
            text_ += '\r';
            return;
        case 't':
            text_ += '\t';
            return;
        case 'u':
            break;
        default:
            fail_here("invalid escape \\" + (c < 0 ? std::string() : describe(c)) + " in a string");
    }
    const unsigned u = read_hex4();
    if (u >= 0xDC00 && u <= 0xDFFF) fail_here("\\u escape holds a low surrogate without a high one");
    if (u < 0xD800 || u > 0xDBFF) return append_utf8(u);
    // A high surrogate must be followed by an escaped low one.
    if (get() != '\\' || get() != 'u') fail_here("\\u escape holds a high surrogate without a low one");
    const unsigned low = read_hex4();
    if (low < 0xDC00 || low > 0xDFFF) fail_here("\\u escape holds a high surrogate without a low one");
    append_utf8(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00));
}

json_token json_reader::read_number() {
    text_.clear();
    auto take = [&]() {
        if (text_.size() >= max_number_chars)
            fail("number longer than " + std::to_string(max_number_chars) + " characters");
        text_ += static_cast<char>(get());
    };
    auto take_digits = [&]() {
        if (!is_digit(peek())) fail_here("expected a digit in a number, found " + describe(peek()));
        while (is_digit(peek())) take();
    };
    if (peek() == '-') take();
    if (peek() == '0') {
        take();
        if (is_digit(peek())) fail_here("a number must not start with 0");
    } else {
        take_digits();
    }
    if (peek() == '.') {
        take();
        take_digits();
    }
    if (peek() == 'e' || peek() == 'E') {
        take();
        if (peek() == '+' || peek() == '-') take();
        take_digits();
    }
    return json_token::number;
}

json_token json_reader::read_literal() {
    static constexpr struct {
        const char* word;
        json_token token;
    } literals[] = {{"true", json_token::true_value},
                    {"false", json_token::false_value},
                    {"null", json_token::null_value},
                    {"NaN", json_token::nan_value}};
    const int first = peek();
    for (const auto& l : literals) {
        if (l.word[0] != first) continue;
        for (const char* p = l.word; *p != '\0'; ++p)
            if (get() != static_cast<unsigned char>(*p)) fail("invalid literal (expected " + std::string(l.word) + ")");
        const int c = peek();
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c))
            fail("invalid literal (expected " + std::string(l.word) + ")");
        return l.token;
    }
    fail("invalid literal");
}

void json_reader::skip(json_token first) {
    if (first != json_token::begin_object && first != json_token::begin_array) return;
    const std::size_t target = stack_.size() - 1;
    while (stack_.size() > target) {
        if (next() == json_token::end_of_input) fail("unexpected end of the input");
    }
}

}  // namespace tsbatch::text
