// Conditions (condition.hpp): a lexer, a recursive-descent parser that type-checks and folds
// constants as it builds a small tree, a compiler from the tree to a register program, and an
// evaluator that runs the program over blocks of values.
//
// Why a register program over blocks: cut_y must classify hundreds of millions of points per
// second per core. Walking a tree per point costs a branch or indirect call per node and point;
// instead each instruction runs over a block of 256 values held in small stack arrays, as one
// straight loop on explicit vector lanes, so dispatch costs one switch per instruction and
// block. Explicit lanes (the GCC/Clang vector extension) because baseline x86-64 GCC does not
// auto-vectorise a double comparison that produces a mask.
//
// Booleans are 64-bit lane masks (all ones or zero), the natural result of a vector double
// comparison. A mask instruction merges its result into its destination (store, and, or, each
// optionally negated), so `a < y <= b and not isnan(y)` is three passes over a block, not seven.
//
// Every recursion of the parser and compiler is bounded: sums, products, comparison chains and
// and/or lists are n-ary nodes built by loops, and each nesting level (parentheses, calls,
// `not`, unary signs) counts against condition::max_depth. Any input therefore parses in
// bounded stack, which the fuzzer (tests/fuzz/fuzz_condition.cpp) relies on.
#include "algo/condition/condition.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace tsbatch {

condition_error::condition_error(std::size_t column, const std::string& what)
    : std::invalid_argument("column " + std::to_string(column) + ": " + what), column_(column) {}

namespace detail {

enum class opcode : std::uint8_t {
    // Number results, in a number register.
    neg,
    abs,
    add,
    sub,
    mul,
    div,
    // Mask results, merged into a mask register.
    lt,
    le,
    gt,
    ge,
    eq,
    ne,
    isnan,
    combine,  // merges mask register a.reg
    fill,     // merges the constant a.value != 0
};

// How a mask instruction merges its result r into its destination register d.
enum class merge : std::uint8_t {
    store,      // d = r
    store_not,  // d = ~r
    and_,       // d &= r
    and_not,    // d &= ~r
    or_,        // d |= r
    or_not,     // d |= ~r
};

// Where a number comes from: the block of y values, a number register or a constant.
struct operand {
    enum class kind : std::uint8_t { y, reg, constant };
    kind where = kind::constant;
    std::uint16_t reg = 0;
    double value = 0.0;
};

struct instruction {
    opcode op = opcode::fill;
    merge mode = merge::store;  // mask results only
    std::uint16_t dst = 0;      // a number register for neg..div, a mask register otherwise
    operand a;
    operand b;
};

// The compiled condition; the result is mask register 0.
struct condition_program {
    std::vector<instruction> code;
    std::size_t number_regs = 0;
    std::size_t mask_regs = 0;
};

}  // namespace detail

namespace {

using detail::condition_program;
using detail::instruction;
using detail::merge;
using detail::opcode;
using detail::operand;

// ---------------------------------------------------------------------------------------------
// Lexer

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

bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
bool is_name_start(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) noexcept {
    return is_name_start(c) || is_digit(c);
}

[[noreturn]] void fail(std::size_t offset, const std::string& what) {
    throw condition_error(offset + 1, what);
}

// Text quoted for a message: blanks and non-printable bytes become spaces and '?', long text is cut.
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

std::string hex_byte(unsigned char c) {
    constexpr const char* digits = "0123456789abcdef";
    return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

class lexer {
public:
    explicit lexer(std::string_view text) : text_(text) {}

    // The next token; tok::end at the end of the text. Throws for a character no token starts with.
    token next() {
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

private:
    token symbol() {
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

    void skip_digits() {
        while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    }

    token number() {
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
            fail(begin, "number " + quote(text_.substr(begin, pos_ - begin)) +
                            " is out of the range of a double: write inf or 0");
        if (ec != std::errc() || ptr != text_.data() + pos_)
            fail(begin, "malformed number " + quote(text_.substr(begin, pos_ - begin)));
        return t;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Tree

enum class node_kind : std::uint8_t {
    number,       // constant `value`
    truth,        // constant `truth`
    variable,     // y
    negate,       // -a
    absolute,     // abs(a)
    is_nan,       // isnan(a)
    logical_not,  // not a
    sum,          // a, then + or - each linked node, left to right
    product,      // a, then * or / each linked node
    chain,        // a, then a comparison with each linked node (a < b <= c ...)
    all,          // a and each linked node
    any,          // a or each linked node
};

enum class value_type : std::uint8_t { number, boolean };

struct node {
    node_kind kind = node_kind::number;
    value_type type = value_type::number;
    std::size_t begin = 0;  // the node's text, for messages
    std::size_t end = 0;
    double value = 0.0;
    bool truth = false;
    std::uint32_t a = 0;      // first child
    std::uint32_t first = 0;  // further children: links[first, first + count)
    std::uint32_t count = 0;
};

// A further child of an n-ary node and the operator before it (unused for all/any).
struct link {
    tok op = tok::end;
    std::uint32_t child = 0;
};

struct tree {
    std::vector<node> nodes;
    std::vector<link> links;
    std::uint32_t root = 0;

    std::span<const link> links_of(const node& n) const { return {links.data() + n.first, n.count}; }
};

bool is_constant(const node& n) noexcept {
    return n.kind == node_kind::number || n.kind == node_kind::truth;
}
bool is_comparison(tok k) noexcept {
    return k >= tok::lt && k <= tok::ne;
}

// Scalar arithmetic and comparison, used for constant folding; the vector kernels below use
// the same IEEE operations, so a folded constant equals what the program would compute.
double arithmetic(tok op, double a, double b) noexcept {
    switch (op) {
        case tok::plus:
            return a + b;
        case tok::minus:
            return a - b;
        case tok::star:
            return a * b;
        default:
            return a / b;
    }
}

bool compare(tok op, double a, double b) noexcept {
    switch (op) {
        case tok::lt:
            return a < b;
        case tok::le:
            return a <= b;
        case tok::gt:
            return a > b;
        case tok::ge:
            return a >= b;
        case tok::eq:
            return a == b;
        default:
            return a != b;
    }
}

// ---------------------------------------------------------------------------------------------
// Parser: one function per grammar rule of condition.hpp, each type-checking its operands and
// folding constant subtrees.

class parser {
public:
    explicit parser(std::string_view text) : text_(text), lexer_(text) {}

    tree parse() {
        if (text_.size() > condition::max_length)
            fail(condition::max_length,
                 "the condition is longer than " + std::to_string(condition::max_length) + " characters");
        advance();
        if (cur_.kind == tok::end) fail(0, "empty condition");
        const std::uint32_t root = parse_or();
        if (cur_.kind == tok::rparen) fail(cur_.begin, "unmatched ')'");
        if (cur_.kind != tok::end)
            fail(cur_.begin, "unexpected " + describe(cur_) + ": expected an operator, 'and', 'or' or the end" +
                                 (cur_.kind == tok::name ? case_hint(span(cur_)) : ""));
        const node& r = t_.nodes[root];
        if (r.type != value_type::boolean)
            fail(r.begin, "the condition must be true or false, but " + quote(span(r)) +
                              " is a number (compare it, e.g. 'y > 1')");
        t_.root = root;
        return std::move(t_);
    }

private:
    // Counts one nesting level for the lifetime of a rule that recurses.
    class nesting {
    public:
        nesting(parser& p, std::size_t offset) : p_(p) {
            if (p_.depth_ == condition::max_depth)
                fail(offset, "the condition nests deeper than " + std::to_string(condition::max_depth) + " levels");
            ++p_.depth_;
        }
        ~nesting() { --p_.depth_; }
        nesting(const nesting&) = delete;
        nesting& operator=(const nesting&) = delete;

    private:
        parser& p_;
    };

    void advance() {
        prev_ = cur_;
        cur_ = lexer_.next();
    }

    std::string_view span(std::size_t begin, std::size_t end) const { return text_.substr(begin, end - begin); }
    std::string_view span(const token& t) const { return span(t.begin, t.end); }
    std::string_view span(const node& n) const { return span(n.begin, n.end); }
    bool is_keyword(const token& t, std::string_view word) const { return t.kind == tok::name && span(t) == word; }

    std::string describe(const token& t) const {
        return t.kind == tok::end ? std::string("the end of the condition") : quote(span(t));
    }

    std::uint32_t add(const node& n) {
        t_.nodes.push_back(n);
        return static_cast<std::uint32_t>(t_.nodes.size() - 1);
    }

    std::uint32_t add_number(double value, std::size_t begin, std::size_t end) {
        return add(
            node{.kind = node_kind::number, .type = value_type::number, .begin = begin, .end = end, .value = value});
    }

    std::uint32_t add_truth(bool truth, std::size_t begin, std::size_t end) {
        return add(
            node{.kind = node_kind::truth, .type = value_type::boolean, .begin = begin, .end = end, .truth = truth});
    }

    // `what` reads like "'+' needs numbers"; the message goes on ", but '<operand>' is ...".
    void need(std::uint32_t i, value_type type, const std::string& what) const {
        const node& n = t_.nodes[i];
        if (n.type == type) return;
        fail(n.begin,
             what + ", but " + quote(span(n)) + (n.type == value_type::number ? " is a number" : " is true/false"));
    }

    std::uint32_t parse_or() { return parse_list(node_kind::any, "or"); }
    std::uint32_t parse_and() { return parse_list(node_kind::all, "and"); }

    // or_expr / and_expr: a list of operands joined by one keyword.
    std::uint32_t parse_list(node_kind kind, std::string_view keyword) {
        const std::uint32_t first = kind == node_kind::any ? parse_and() : parse_not();
        if (!is_keyword(cur_, keyword)) return first;
        const std::string what = quote(keyword) + " needs true/false on both sides";
        need(first, value_type::boolean, what);
        std::vector<link> rest;
        while (is_keyword(cur_, keyword)) {
            advance();
            const std::uint32_t operand = kind == node_kind::any ? parse_and() : parse_not();
            need(operand, value_type::boolean, what);
            rest.push_back(link{tok::name, operand});
        }
        return make_list(kind, first, rest);
    }

    std::uint32_t parse_not() {
        if (!is_keyword(cur_, "not")) return parse_comparison();
        const token op = cur_;
        const nesting level(*this, op.begin);
        advance();
        const std::uint32_t operand = parse_not();
        need(operand, value_type::boolean, "'not' needs true/false");
        const node& n = t_.nodes[operand];
        if (n.kind == node_kind::truth) return add_truth(!n.truth, op.begin, n.end);
        return add(node{.kind = node_kind::logical_not,
                        .type = value_type::boolean,
                        .begin = op.begin,
                        .end = n.end,
                        .a = operand});
    }

    std::uint32_t parse_comparison() {
        const std::uint32_t first = parse_sum();
        if (!is_comparison(cur_.kind)) return first;
        std::vector<link> rest;
        while (is_comparison(cur_.kind)) {
            const token op = cur_;
            const std::string what = quote(span(op)) + " compares numbers";
            need(rest.empty() ? first : rest.back().child, value_type::number, what);
            advance();
            const std::uint32_t operand = parse_sum();
            need(operand, value_type::number, what);
            rest.push_back(link{op.kind, operand});
        }
        return make_chain(first, rest);
    }

    std::uint32_t parse_sum() { return parse_arithmetic(node_kind::sum, tok::plus, tok::minus); }
    std::uint32_t parse_product() { return parse_arithmetic(node_kind::product, tok::star, tok::slash); }

    // sum / product: left-associative operations, kept as one n-ary node.
    std::uint32_t parse_arithmetic(node_kind kind, tok op1, tok op2) {
        auto operand = [&] { return kind == node_kind::sum ? parse_product() : parse_unary(); };
        const std::uint32_t first = operand();
        if (cur_.kind != op1 && cur_.kind != op2) return first;
        std::vector<link> rest;
        while (cur_.kind == op1 || cur_.kind == op2) {
            const token op = cur_;
            const std::string what = quote(span(op)) + " needs numbers";
            need(rest.empty() ? first : rest.back().child, value_type::number, what);
            advance();
            const std::uint32_t next = operand();
            need(next, value_type::number, what);
            rest.push_back(link{op.kind, next});
        }
        return make_arithmetic(kind, first, rest);
    }

    std::uint32_t parse_unary() {
        if (cur_.kind != tok::minus && cur_.kind != tok::plus) return parse_primary();
        const token op = cur_;
        const nesting level(*this, op.begin);
        advance();
        const std::uint32_t operand = parse_unary();
        need(operand, value_type::number, "unary " + quote(span(op)) + " needs a number");
        const node n = t_.nodes[operand];
        if (op.kind == tok::plus) return operand;
        if (n.kind == node_kind::number) return add_number(-n.value, op.begin, n.end);
        return add(
            node{.kind = node_kind::negate, .type = value_type::number, .begin = op.begin, .end = n.end, .a = operand});
    }

    std::uint32_t parse_primary() {
        const token t = cur_;
        switch (t.kind) {
            case tok::number:
                advance();
                return add_number(t.value, t.begin, t.end);
            case tok::lparen:
                return parse_parenthesised();
            case tok::name:
                return parse_name();
            default:
                break;
        }
        expected_value();
    }

    [[noreturn]] void expected_value() const {
        if (prev_.end == 0) fail(cur_.begin, "expected a value, got " + describe(cur_));
        fail(cur_.begin, "expected a value after " + quote(span(prev_)) + ", got " + describe(cur_));
    }

    std::uint32_t parse_parenthesised() {
        const token open = cur_;
        const nesting level(*this, open.begin);
        advance();
        if (cur_.kind == tok::rparen) fail(cur_.begin, "empty parentheses '()'");
        const std::uint32_t inner = parse_or();
        expect_close(open);
        // Messages about the parenthesised operand quote it with its parentheses.
        t_.nodes[inner].begin = open.begin;
        t_.nodes[inner].end = cur_.end;
        advance();
        return inner;
    }

    void expect_close(const token& open) const {
        if (cur_.kind == tok::rparen) return;
        fail(cur_.begin,
             "expected ')' to close the '(' at column " + std::to_string(open.begin + 1) + ", got " + describe(cur_));
    }

    std::uint32_t parse_name() {
        const token t = cur_;
        const std::string_view word = span(t);
        if (word == "abs" || word == "isnan") return parse_call(t);
        if (word == "and" || word == "or" || word == "not") expected_value();
        if (word == "y") {
            advance();
            return add(node{.kind = node_kind::variable, .type = value_type::number, .begin = t.begin, .end = t.end});
        }
        if (word == "nan" || word == "inf") {
            advance();
            const double value =
                word == "nan" ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
            return add_number(value, t.begin, t.end);
        }
        if (word == "true" || word == "false") {
            advance();
            return add_truth(word == "true", t.begin, t.end);
        }
        if (followed_by_parenthesis(t))
            fail(t.begin, "unknown function " + quote(word) + ": the functions are abs() and isnan()");
        fail(t.begin, "unknown name " + quote(word) + ": the only variable is y" + case_hint(word));
    }

    // Looks past blanks without lexing, so that a bad character after an unknown name does
    // not hide the better message.
    bool followed_by_parenthesis(const token& t) const {
        std::size_t p = t.end;
        while (p < text_.size() && is_blank(text_[p])) ++p;
        return p < text_.size() && text_[p] == '(';
    }

    static std::string case_hint(std::string_view word) {
        std::string lower(word);
        for (char& c : lower)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        for (std::string_view known : {"y", "nan", "inf", "true", "false", "and", "or", "not", "abs", "isnan"})
            if (lower == known && lower != word) return " (names are lower case: '" + lower + "')";
        return "";
    }

    std::uint32_t parse_call(const token& name) {
        const nesting level(*this, name.begin);
        const std::string function = std::string(span(name)) + "()";
        advance();
        if (cur_.kind != tok::lparen)
            fail(cur_.begin, "expected '(' after " + quote(span(name)) + ", got " + describe(cur_));
        const token open = cur_;
        advance();
        if (cur_.kind == tok::rparen) fail(cur_.begin, function + " takes one argument, got none");
        const std::uint32_t argument = parse_or();
        if (cur_.kind == tok::comma) fail(cur_.begin, function + " takes one argument, got more");
        expect_close(open);
        need(argument, value_type::number, function + " needs a number");
        const std::size_t end = cur_.end;
        advance();
        const node& arg = t_.nodes[argument];
        const bool is_abs = span(name) == "abs";
        if (arg.kind == node_kind::number)
            return is_abs ? add_number(std::fabs(arg.value), name.begin, end)
                          : add_truth(arg.value != arg.value, name.begin, end);
        return add(node{.kind = is_abs ? node_kind::absolute : node_kind::is_nan,
                        .type = is_abs ? value_type::number : value_type::boolean,
                        .begin = name.begin,
                        .end = end,
                        .a = argument});
    }

    std::uint32_t add_nary(node_kind kind, value_type type, std::uint32_t first, const std::vector<link>& rest) {
        node n{.kind = kind,
               .type = type,
               .begin = t_.nodes[first].begin,
               .end = t_.nodes[rest.back().child].end,
               .a = first};
        n.first = static_cast<std::uint32_t>(t_.links.size());
        n.count = static_cast<std::uint32_t>(rest.size());
        t_.links.insert(t_.links.end(), rest.begin(), rest.end());
        return add(n);
    }

    // Folds a constant prefix (`2 * 3 * y` -> `6 * y`): exact, as evaluation is left to right.
    std::uint32_t make_arithmetic(node_kind kind, std::uint32_t first, std::vector<link> rest) {
        const std::size_t begin = t_.nodes[first].begin;
        const std::size_t end = t_.nodes[rest.back().child].end;
        std::size_t folded = 0;
        if (t_.nodes[first].kind == node_kind::number) {
            double value = t_.nodes[first].value;
            while (folded < rest.size() && t_.nodes[rest[folded].child].kind == node_kind::number) {
                value = arithmetic(rest[folded].op, value, t_.nodes[rest[folded].child].value);
                ++folded;
            }
            if (folded == rest.size()) return add_number(value, begin, end);
            if (folded > 0) first = add_number(value, begin, t_.nodes[rest[folded - 1].child].end);
        }
        rest.erase(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(folded));
        const std::uint32_t n = add_nary(kind, value_type::number, first, rest);
        t_.nodes[n].begin = begin;
        return n;
    }

    // A link between two constants is decided now: false decides the whole chain; the program
    // skips true ones.
    std::uint32_t make_chain(std::uint32_t first, const std::vector<link>& rest) {
        const std::size_t begin = t_.nodes[first].begin;
        const std::size_t end = t_.nodes[rest.back().child].end;
        bool all_constant = true;
        std::uint32_t lhs = first;
        for (const link& l : rest) {
            const node& a = t_.nodes[lhs];
            const node& b = t_.nodes[l.child];
            if (is_constant(a) && is_constant(b)) {
                if (!compare(l.op, a.value, b.value)) return add_truth(false, begin, end);
            } else {
                all_constant = false;
            }
            lhs = l.child;
        }
        if (all_constant) return add_truth(true, begin, end);
        return add_nary(node_kind::chain, value_type::boolean, first, rest);
    }

    // `x and true` is x, `x and false` is false (no operand has side effects); likewise for or.
    std::uint32_t make_list(node_kind kind, std::uint32_t first, const std::vector<link>& rest) {
        const bool neutral = kind == node_kind::all;  // the value that can be dropped
        const std::size_t begin = t_.nodes[first].begin;
        const std::size_t end = t_.nodes[rest.back().child].end;
        std::vector<std::uint32_t> kept;
        for (std::size_t i = 0; i <= rest.size(); ++i) {
            const std::uint32_t c = i == 0 ? first : rest[i - 1].child;
            const node& n = t_.nodes[c];
            if (n.kind != node_kind::truth) {
                kept.push_back(c);
            } else if (n.truth != neutral) {
                return add_truth(!neutral, begin, end);
            }
        }
        if (kept.empty()) return add_truth(neutral, begin, end);
        if (kept.size() == 1) return kept.front();
        std::vector<link> links;
        for (std::size_t i = 1; i < kept.size(); ++i) links.push_back(link{tok::name, kept[i]});
        const std::uint32_t n = add_nary(kind, value_type::boolean, kept.front(), links);
        t_.nodes[n].begin = begin;
        t_.nodes[n].end = end;
        return n;
    }

    std::string_view text_;
    lexer lexer_;
    token cur_;
    token prev_;  // end == 0 before the first token
    std::size_t depth_ = 0;
    tree t_;
};

// ---------------------------------------------------------------------------------------------
// Compiler: tree -> register program. Number registers hold intermediate numbers; `y` and
// constants are read in place. Registers are reused as soon as their value is consumed.

class register_pool {
public:
    std::uint16_t take() {
        if (free_.empty()) return static_cast<std::uint16_t>(size_++);
        const std::uint16_t r = free_.back();
        free_.pop_back();
        return r;
    }
    void give_back(std::uint16_t r) { free_.push_back(r); }
    std::size_t size() const noexcept { return size_; }

private:
    std::vector<std::uint16_t> free_;
    std::size_t size_ = 0;
};

merge negated(merge m) noexcept {
    switch (m) {
        case merge::store:
            return merge::store_not;
        case merge::store_not:
            return merge::store;
        case merge::and_:
            return merge::and_not;
        case merge::and_not:
            return merge::and_;
        case merge::or_:
            return merge::or_not;
        default:
            return merge::or_;
    }
}

// Merge modes for the first and the further parts of `p1 and p2 ...` merged with `m`, when
// the parts can merge straight into the destination (by De Morgan for the negated modes).
std::optional<std::pair<merge, merge>> conjunction_modes(merge m) noexcept {
    switch (m) {
        case merge::store:
            return std::pair{merge::store, merge::and_};
        case merge::and_:
            return std::pair{merge::and_, merge::and_};
        case merge::store_not:
            return std::pair{merge::store_not, merge::or_not};  // ~(a & b) = ~a | ~b
        case merge::or_not:
            return std::pair{merge::or_not, merge::or_not};
        default:
            return std::nullopt;
    }
}

// The same for `p1 or p2 ...`.
std::optional<std::pair<merge, merge>> disjunction_modes(merge m) noexcept {
    switch (m) {
        case merge::store:
            return std::pair{merge::store, merge::or_};
        case merge::or_:
            return std::pair{merge::or_, merge::or_};
        case merge::store_not:
            return std::pair{merge::store_not, merge::and_not};  // ~(a | b) = ~a & ~b
        case merge::and_not:
            return std::pair{merge::and_not, merge::and_not};
        default:
            return std::nullopt;
    }
}

opcode arithmetic_opcode(tok op) noexcept {
    switch (op) {
        case tok::plus:
            return opcode::add;
        case tok::minus:
            return opcode::sub;
        case tok::star:
            return opcode::mul;
        default:
            return opcode::div;
    }
}

opcode comparison_opcode(tok op) noexcept {
    switch (op) {
        case tok::lt:
            return opcode::lt;
        case tok::le:
            return opcode::le;
        case tok::gt:
            return opcode::gt;
        case tok::ge:
            return opcode::ge;
        case tok::eq:
            return opcode::eq;
        default:
            return opcode::ne;
    }
}

// `c < v` is `v > c`: comparisons keep a constant on the right.
tok mirrored(tok op) noexcept {
    switch (op) {
        case tok::lt:
            return tok::gt;
        case tok::le:
            return tok::ge;
        case tok::gt:
            return tok::lt;
        case tok::ge:
            return tok::le;
        default:
            return op;
    }
}

operand constant(double value) noexcept {
    return operand{operand::kind::constant, 0, value};
}
bool is_constant(const operand& o) noexcept {
    return o.where == operand::kind::constant;
}

class compiler {
public:
    explicit compiler(const tree& t) : t_(t) {}

    condition_program compile() {
        const std::uint16_t result = masks_.take();  // register 0
        merge_into(t_.root, result, merge::store);
        program_.number_regs = numbers_.size();
        program_.mask_regs = masks_.size();
        return std::move(program_);
    }

private:
    void emit(const instruction& i) { program_.code.push_back(i); }

    void release(const operand& o) {
        if (o.where == operand::kind::reg) numbers_.give_back(o.reg);
    }

    // The register for a result computed from a and b: one of theirs when they hold one.
    std::uint16_t result_register(const operand& a, const operand& b) {
        if (a.where == operand::kind::reg) {
            release(b);
            return a.reg;
        }
        if (b.where == operand::kind::reg) return b.reg;
        return numbers_.take();
    }

    operand number(std::uint32_t i) {
        const node& n = t_.nodes[i];
        switch (n.kind) {
            case node_kind::number:
                return constant(n.value);
            case node_kind::variable:
                return operand{operand::kind::y, 0, 0.0};
            case node_kind::negate:
            case node_kind::absolute:
                return unary(n.kind == node_kind::negate ? opcode::neg : opcode::abs, number(n.a));
            default:
                break;  // sum or product
        }
        operand acc = number(n.a);
        for (const link& l : t_.links_of(n)) acc = binary(l.op, acc, number(l.child));
        return acc;
    }

    operand unary(opcode op, const operand& a) {
        if (is_constant(a)) return constant(op == opcode::neg ? -a.value : std::fabs(a.value));
        const std::uint16_t dst = result_register(a, constant(0.0));
        emit(instruction{op, merge::store, dst, a, {}});
        return operand{operand::kind::reg, dst, 0.0};
    }

    operand binary(tok op, operand a, operand b) {
        if (is_constant(a) && is_constant(b)) return constant(arithmetic(op, a.value, b.value));
        if (is_constant(a) && (op == tok::plus || op == tok::star)) std::swap(a, b);  // commutative
        const std::uint16_t dst = result_register(a, b);
        emit(instruction{arithmetic_opcode(op), merge::store, dst, a, b});
        return operand{operand::kind::reg, dst, 0.0};
    }

    // Emits code that merges the truth of boolean node i into mask register dst.
    void merge_into(std::uint32_t i, std::uint16_t dst, merge mode) {
        const node& n = t_.nodes[i];
        switch (n.kind) {
            case node_kind::truth:
                return fill(dst, mode, n.truth);
            case node_kind::logical_not:
                return merge_into(n.a, dst, negated(mode));
            case node_kind::is_nan:
                return is_nan(n.a, dst, mode);
            case node_kind::chain:
            case node_kind::all:
                return parts(i, dst, mode, conjunction_modes(mode));
            case node_kind::any:
                return parts(i, dst, mode, disjunction_modes(mode));
            default:
                throw internal_error("condition: a number node where true/false was type-checked");
        }
    }

    void fill(std::uint16_t dst, merge mode, bool truth) {
        emit(instruction{opcode::fill, mode, dst, constant(truth ? 1.0 : 0.0), {}});
    }

    void is_nan(std::uint32_t argument, std::uint16_t dst, merge mode) {
        const operand a = number(argument);
        if (is_constant(a)) return fill(dst, mode, a.value != a.value);
        emit(instruction{opcode::isnan, mode, dst, a, {}});
        release(a);
    }

    // A chain or and/or list: parts merge straight into dst when the mode allows, otherwise
    // into a temporary that is then merged.
    void parts(std::uint32_t i, std::uint16_t dst, merge mode, std::optional<std::pair<merge, merge>> modes) {
        const node& n = t_.nodes[i];
        if (!modes) {
            const std::uint16_t tmp = masks_.take();
            merge_into(i, tmp, merge::store);
            emit(instruction{opcode::combine, mode, dst, operand{operand::kind::reg, tmp, 0.0}, {}});
            masks_.give_back(tmp);
            return;
        }
        if (n.kind == node_kind::chain) return chain(n, dst, modes->first, modes->second);
        merge_into(n.a, dst, modes->first);
        for (const link& l : t_.links_of(n)) merge_into(l.child, dst, modes->second);
    }

    // a < b <= c: each operand is computed once and kept for the next comparison.
    void chain(const node& n, std::uint16_t dst, merge first, merge rest) {
        bool emitted = false;
        operand lhs = number(n.a);
        for (const link& l : t_.links_of(n)) {
            const operand rhs = number(l.child);
            if (!is_constant(lhs) || !is_constant(rhs)) {  // constant links were folded to true
                comparison(l.op, lhs, rhs, dst, emitted ? rest : first);
                emitted = true;
            }
            release(lhs);
            lhs = rhs;
        }
        release(lhs);
        if (!emitted) fill(dst, first, true);
    }

    void comparison(tok op, operand a, operand b, std::uint16_t dst, merge mode) {
        if (is_constant(a)) {
            std::swap(a, b);
            op = mirrored(op);
        }
        emit(instruction{comparison_opcode(op), mode, dst, a, b});
    }

    const tree& t_;
    condition_program program_;
    register_pool numbers_;
    register_pool masks_;
};

// ---------------------------------------------------------------------------------------------
// Evaluator: runs the program over blocks of `block` values. All loops have a constant trip
// count (the last, partial block is padded), so they unroll and never need a scalar tail.

#if defined(__AVX__)
constexpr std::size_t lanes = 4;
#else
constexpr std::size_t lanes = 2;  // 16-byte vectors: SSE2 on baseline x86-64, NEON on AArch64
#endif
using vec_d = double __attribute__((vector_size(8 * lanes)));
using vec_m = std::int64_t __attribute__((vector_size(8 * lanes)));
constexpr std::size_t block = 256;
constexpr std::size_t vectors = block / lanes;

vec_d load(const double* p, std::size_t v) noexcept {
    vec_d x;
    std::memcpy(&x, p + v * lanes, sizeof x);
    return x;
}

vec_m load(const std::int64_t* p, std::size_t v) noexcept {
    vec_m x;
    std::memcpy(&x, p + v * lanes, sizeof x);
    return x;
}

void store(double* p, std::size_t v, vec_d x) noexcept {
    std::memcpy(p + v * lanes, &x, sizeof x);
}
void store(std::int64_t* p, std::size_t v, vec_m x) noexcept {
    std::memcpy(p + v * lanes, &x, sizeof x);
}

vec_d splat(double x) noexcept {
    vec_d r{};
    for (std::size_t j = 0; j < lanes; ++j) r[j] = x;
    return r;
}

// Comparison results are integer vectors whose element type differs between compilers.
template <class V>
vec_m as_mask(V comparison) noexcept {
    return std::bit_cast<vec_m>(comparison);
}

template <merge M>
vec_m merged(const std::int64_t* dst, std::size_t v, vec_m r) noexcept {
    if constexpr (M == merge::store) return r;
    if constexpr (M == merge::store_not) return ~r;
    if constexpr (M == merge::and_) return load(dst, v) & r;
    if constexpr (M == merge::and_not) return load(dst, v) & ~r;
    if constexpr (M == merge::or_) return load(dst, v) | r;
    if constexpr (M == merge::or_not) return load(dst, v) | ~r;
}

template <merge M, class F>
void mask_loop(std::int64_t* dst, F f) noexcept {
    for (std::size_t v = 0; v < vectors; ++v) store(dst, v, merged<M>(dst, v, f(v)));
}

template <class F>
void mask_kernel(merge mode, std::int64_t* dst, F f) noexcept {
    switch (mode) {
        case merge::store:
            return mask_loop<merge::store>(dst, f);
        case merge::store_not:
            return mask_loop<merge::store_not>(dst, f);
        case merge::and_:
            return mask_loop<merge::and_>(dst, f);
        case merge::and_not:
            return mask_loop<merge::and_not>(dst, f);
        case merge::or_:
            return mask_loop<merge::or_>(dst, f);
        case merge::or_not:
            return mask_loop<merge::or_not>(dst, f);
    }
}

template <class F>
void number_loop(double* dst, F f) noexcept {
    for (std::size_t v = 0; v < vectors; ++v) store(dst, v, f(v));
}

// Calls sink(f) with f(v) = op(a[v], b[v]), where a null source is the operand's constant.
template <class Op, class Sink>
void binary_forms(const instruction& in, const double* a, const double* b, Op op, Sink sink) noexcept {
    if (a == nullptr) {
        const vec_d c = splat(in.a.value);
        sink([&](std::size_t v) { return op(c, load(b, v)); });
    } else if (b == nullptr) {
        const vec_d c = splat(in.b.value);
        sink([&](std::size_t v) { return op(load(a, v), c); });
    } else {
        sink([&](std::size_t v) { return op(load(a, v), load(b, v)); });
    }
}

// Register storage for one block: small programs (nearly all) use the stack only.
class scratch {
public:
    explicit scratch(const condition_program& p) {
        numbers_ = local_numbers_.data();
        masks_ = local_masks_.data();
        if (p.number_regs > local) {
            heap_numbers_.resize(p.number_regs);
            numbers_ = heap_numbers_.data();
        }
        if (p.mask_regs > local) {
            heap_masks_.resize(p.mask_regs);
            masks_ = heap_masks_.data();
        }
    }
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;

    double* number(std::size_t r) noexcept { return numbers_[r].v; }
    std::int64_t* mask(std::size_t r) noexcept { return masks_[r].v; }

private:
    static constexpr std::size_t local = 4;
    struct alignas(64) number_block {
        double v[block];
    };
    struct alignas(64) mask_block {
        std::int64_t v[block];
    };
    std::array<number_block, local> local_numbers_;
    std::array<mask_block, local> local_masks_;
    std::vector<number_block> heap_numbers_;
    std::vector<mask_block> heap_masks_;
    number_block* numbers_ = nullptr;
    mask_block* masks_ = nullptr;
};

void execute(const instruction& in, const double* y, scratch& s) noexcept {
    auto source = [&](const operand& o) -> const double* {
        switch (o.where) {
            case operand::kind::y:
                return y;
            case operand::kind::reg:
                return s.number(o.reg);
            default:
                return nullptr;
        }
    };
    const double* a = source(in.a);
    const double* b = source(in.b);
    auto to_number = [&](auto f) { number_loop(s.number(in.dst), f); };
    auto to_mask = [&](auto f) { mask_kernel(in.mode, s.mask(in.dst), f); };
    switch (in.op) {
        case opcode::neg:
            return to_number([&](std::size_t v) { return -load(a, v); });
        case opcode::abs: {
            const vec_m magnitude = ~as_mask(splat(-0.0));  // every bit but the sign
            return to_number([&](std::size_t v) { return std::bit_cast<vec_d>(as_mask(load(a, v)) & magnitude); });
        }
        case opcode::add:
            return binary_forms(
                in, a, b, [](vec_d p, vec_d q) { return p + q; }, to_number);
        case opcode::sub:
            return binary_forms(
                in, a, b, [](vec_d p, vec_d q) { return p - q; }, to_number);
        case opcode::mul:
            return binary_forms(
                in, a, b, [](vec_d p, vec_d q) { return p * q; }, to_number);
        case opcode::div:
            return binary_forms(
                in, a, b, [](vec_d p, vec_d q) { return p / q; }, to_number);
        case opcode::lt:
            return binary_forms(
                in, a, b, [](vec_d p, vec_d q) { return as_mask(p < q); }, to_mask);
        case opcode::le:
            return binary_forms(
                in, a, b, [](vec_d p, vec_d q) { return as_mask(p <= q); }, to_mask);
        case opcode::gt:
            return binary_forms(
                in, a, b, [](vec_d p, vec_d q) { return as_mask(p > q); }, to_mask);
        case opcode::ge:
            return binary_forms(
                in, a, b, [](vec_d p, vec_d q) { return as_mask(p >= q); }, to_mask);
        case opcode::eq:
            return binary_forms(
                in, a, b, [](vec_d p, vec_d q) { return as_mask(p == q); }, to_mask);
        case opcode::ne:
            return binary_forms(
                in, a, b, [](vec_d p, vec_d q) { return as_mask(p != q); }, to_mask);
        case opcode::isnan:
            return to_mask([&](std::size_t v) {
                const vec_d x = load(a, v);
                return as_mask(x != x);
            });
        case opcode::combine: {
            const std::int64_t* m = s.mask(in.a.reg);
            return to_mask([&](std::size_t v) { return load(m, v); });
        }
        case opcode::fill: {
            const vec_m c = in.a.value != 0.0 ? ~vec_m{} : vec_m{};
            return to_mask([&](std::size_t) { return c; });
        }
    }
}

// out[i] = result[i] and y[i] is not NaN, for the first n values of the block.
void finish(std::int64_t* result, const double* y, std::uint8_t* out, std::size_t n) noexcept {
    for (std::size_t v = 0; v < vectors; ++v) {
        const vec_d x = load(y, v);
        store(result, v, load(result, v) & as_mask(x == x));
    }
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(result[i] & 1);
}

void run_block(const condition_program& p, const double* y, scratch& s, std::uint8_t* out, std::size_t n) noexcept {
    for (const instruction& in : p.code) execute(in, y, s);
    finish(s.mask(0), y, out, n);
}

}  // namespace

condition::condition(std::string text, std::shared_ptr<const detail::condition_program> program)
    : text_(std::move(text)), program_(std::move(program)) {}

condition condition::parse(std::string_view text) {
    const tree t = parser(text).parse();
    auto program = std::make_shared<const condition_program>(compiler(t).compile());
    return condition(std::string(text), std::move(program));
}

void condition::evaluate(std::span<const double> y, std::span<std::uint8_t> out) const {
    if (y.size() != out.size())
        throw internal_error("condition::evaluate: " + std::to_string(y.size()) + " values but " +
                             std::to_string(out.size()) + " outputs");
    if (!program_) throw internal_error("condition::evaluate on a moved-from condition");
    const condition_program& p = *program_;
    scratch s(p);
    std::size_t i = 0;
    for (; y.size() - i >= block; i += block) run_block(p, y.data() + i, s, out.data() + i, block);
    if (i == y.size()) return;
    std::array<double, block> tail{};  // padding evaluates like any value and is never written out
    std::copy(y.begin() + static_cast<std::ptrdiff_t>(i), y.end(), tail.begin());
    run_block(p, tail.data(), s, out.data() + i, y.size() - i);
}

}  // namespace tsbatch
