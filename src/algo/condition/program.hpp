#pragma once
// The compiled form of a condition: a register program over blocks of values, which the
// compiler (compiler.cpp) writes and the evaluator (eval.cpp) runs.
//
// Booleans are 64-bit lane masks (all ones or zero), the natural result of a vector double
// comparison. A mask instruction merges its result into its destination (store, and, or, each
// optionally negated), so `a < y <= b and not isnan(y)` is three passes over a block, not seven.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tsbatch::detail {

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

namespace condition_impl {

struct tree;

// Compiles a type-checked tree (compiler.cpp).
condition_program compile(const tree& t);

}  // namespace condition_impl

}  // namespace tsbatch::detail
