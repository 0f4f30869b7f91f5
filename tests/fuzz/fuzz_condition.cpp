// Fuzz target for the condition language (src/algo/condition/condition.hpp): any bytes
// either fail to parse with a condition_error whose column lies within the text, or parse
// into a condition whose evaluation keeps its contract on a fixed set of values. A broken
// invariant aborts, which libFuzzer and the replay test report as a crash.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "algo/condition/condition.hpp"

namespace {

using tsbatch::condition;
using tsbatch::condition_error;

[[noreturn]] void broken(const char* invariant, std::string_view text) {
    std::fprintf(stderr, "fuzz_condition: %s for condition of %zu bytes\n", invariant, text.size());
    std::abort();
}

// NaN, ±inf, ±0, subnormals, extremes and ordinary values, more than one block of them, so
// that the full-block and the padded last-block paths both run.
const std::vector<double>& values() {
    static const std::vector<double> v = [] {
        const double specials[] = {std::numeric_limits<double>::quiet_NaN(),
                                   -std::numeric_limits<double>::quiet_NaN(),
                                   std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity(),
                                   0.0,
                                   -0.0,
                                   std::numeric_limits<double>::denorm_min(),
                                   std::numeric_limits<double>::min(),
                                   std::numeric_limits<double>::max(),
                                   std::numeric_limits<double>::lowest(),
                                   1.0,
                                   -1.0,
                                   0.5,
                                   3.0,
                                   10.0,
                                   -7.25,
                                   1e300,
                                   -1e-300};
        std::vector<double> out;
        for (int i = 0; i < 19; ++i)
            for (double s : specials) out.push_back(i % 2 ? s * (i - 9) : s + i);  // 342 values
        return out;
    }();
    return v;
}

void check_error(const condition_error& e, std::string_view text) {
    const std::size_t last = std::min(text.size(), condition::max_length) + 1;
    if (e.column() < 1 || e.column() > last) broken("error column outside the text", text);
    const std::string prefix = "column " + std::to_string(e.column()) + ": ";
    if (std::string_view(e.what()).substr(0, prefix.size()) != prefix) broken("message without its column", text);
}

void check_evaluation(const condition& c, std::string_view text) {
    const std::vector<double>& y = values();
    std::vector<std::uint8_t> out(y.size(), 7);
    c.evaluate(y, out);
    for (std::size_t i = 0; i < y.size(); ++i) {
        if (out[i] > 1) broken("result neither 0 nor 1", text);
        if (std::isnan(y[i]) && out[i] != 0) broken("NaN matched", text);
    }
    // Deterministic, the same through a copy, and per value: a shifted, shorter span gives the
    // same answer for every value whatever its position in a block.
    const condition copy = c;
    std::vector<std::uint8_t> again(y.size(), 7);
    copy.evaluate(y, again);
    if (again != out) broken("evaluation not deterministic", text);
    const std::size_t shift = 37;
    std::vector<std::uint8_t> shifted(y.size() - shift, 7);
    c.evaluate(std::span<const double>(y).subspan(shift), shifted);
    for (std::size_t i = 0; i < shifted.size(); ++i)
        if (shifted[i] != out[i + shift]) broken("result depends on the position in the block", text);
    if (copy.text() != text) broken("text() differs from the input", text);
}

std::optional<condition> parse_or_skip(const std::string& text) {
    try {
        return condition::parse(text);
    } catch (const condition_error&) {
        return std::nullopt;  // wrapping pushed the text over a length or nesting limit
    }
}

// Rewrites with a known meaning must agree value by value with the original: `not (T)` is its
// complement on every non-NaN value, `(T) and (T)` and `(T) or (T)` are T. They exercise the
// negated and merged forms of every part of T, which the compiler emits differently.
void check_rewrites(const condition& c, std::string_view text) {
    const std::vector<double>& y = values();
    std::vector<std::uint8_t> want(y.size());
    c.evaluate(y, want);
    const std::string t(text);
    struct rewrite {
        std::string text;
        bool negates;
    };
    for (const rewrite& r : {rewrite{"not (" + t + ")", true}, rewrite{"(" + t + ") and (" + t + ")", false},
                             rewrite{"(" + t + ") or (" + t + ")", false}}) {
        const std::optional<condition> w = parse_or_skip(r.text);
        if (!w) continue;
        std::vector<std::uint8_t> got(y.size());
        w->evaluate(y, got);
        for (std::size_t i = 0; i < y.size(); ++i) {
            const std::uint8_t expected =
                r.negates ? static_cast<std::uint8_t>(!std::isnan(y[i]) && !want[i]) : want[i];
            if (got[i] != expected)
                broken(r.negates ? "'not (T)' is not the complement of T" : "'T and/or T' differs from T", text);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::optional<condition> c;
    try {
        c = condition::parse(text);
    } catch (const condition_error& e) {
        check_error(e, text);
        return 0;
    }
    check_evaluation(*c, text);
    check_rewrites(*c, text);
    return 0;
}
