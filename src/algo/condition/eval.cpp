// Evaluator (condition::evaluate): runs a compiled program (program.hpp) over a series of
// values, block by block, into a byte mask.
//
// Why a register program over blocks: cut_y must classify hundreds of millions of points per
// second per core. Walking a tree per point costs a branch or indirect call per node and point;
// instead each instruction runs over a block of 256 values held in small stack arrays, as one
// straight loop on explicit vector lanes, so dispatch costs one switch per instruction and
// block. Explicit lanes (the GCC/Clang vector extension) because baseline x86-64 GCC does not
// auto-vectorise a double comparison that produces a mask.
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "algo/condition/condition.hpp"
#include "algo/condition/program.hpp"
#include "core/error.hpp"

namespace tsbatch {

namespace {

using detail::condition_program;
using detail::instruction;
using detail::merge;
using detail::opcode;
using detail::operand;

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
