// Compiler (program.hpp): syntax tree -> register program. Number registers hold intermediate
// numbers; `y` and constants are read in place. Registers are reused as soon as their value is
// consumed, and `and`, `or` and `not` become merge modes of mask instructions where they can.
// The compiler recurses as deep as the tree nests, which the parser bounds (parser.cpp).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "algo/condition/lexer.hpp"
#include "algo/condition/program.hpp"
#include "algo/condition/syntax.hpp"
#include "core/error.hpp"

namespace tsbatch::detail::condition_impl {

namespace {

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

}  // namespace

condition_program compile(const tree& t) {
    return compiler(t).compile();
}

}  // namespace tsbatch::detail::condition_impl
