// Parser (syntax.hpp): tokens -> syntax tree. Recursive descent, one function per grammar rule;
// type-checks as it builds, folds constant subtrees, and reports every syntax and type error
// with its column.
//
// Every recursion of the parser and compiler is bounded: sums, products, comparison chains and
// and/or lists are n-ary nodes built by loops, and each nesting level (parentheses, calls,
// `not`, unary signs) counts against condition::max_depth. Any input therefore parses in
// bounded stack, which the fuzzer (tests/fuzz/fuzz_condition.cpp) relies on.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "algo/condition/condition.hpp"
#include "algo/condition/lexer.hpp"
#include "algo/condition/syntax.hpp"

namespace tsbatch::detail::condition_impl {

namespace {

bool is_constant(const node& n) noexcept {
    return n.kind == node_kind::number || n.kind == node_kind::truth;
}
bool is_comparison(tok k) noexcept {
    return k >= tok::lt && k <= tok::ne;
}

// Scalar comparison, for constant folding (see arithmetic() in syntax.hpp).
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

}  // namespace

tree parse_tree(std::string_view text) {
    return parser(text).parse();
}

}  // namespace tsbatch::detail::condition_impl
