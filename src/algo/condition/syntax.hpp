#pragma once
// The syntax tree of a condition: what the parser (parser.cpp) builds, type-checked and with
// constant subtrees folded, and what the compiler (compiler.cpp) turns into a program. Sums,
// products, comparison chains and and/or lists are n-ary nodes (a first child, then links).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "algo/condition/lexer.hpp"

namespace tsbatch::detail::condition_impl {

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

// Parses and type-checks `text` (parser.cpp); throws condition_error.
tree parse_tree(std::string_view text);

// Scalar arithmetic, used for constant folding by the parser and the compiler; the evaluator's
// vector kernels (eval.cpp) use the same IEEE operations, so a folded constant equals what the
// program would compute.
inline double arithmetic(tok op, double a, double b) noexcept {
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

}  // namespace tsbatch::detail::condition_impl
