#include "core/glob.hpp"

#include <cstddef>

namespace tsbatch {
namespace {

constexpr std::size_t npos = std::string_view::npos;

// Reads the bracket expression starting at pattern[open] == '['. Returns the index just past
// its closing ']', or npos when it is unterminated (the caller then takes '[' literally).
// `matched` tells whether `c` is in the set.
std::size_t match_class(std::string_view pattern, std::size_t open, char c, bool& matched) {
    std::size_t i = open + 1;
    bool negate = false;
    if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
        negate = true;
        ++i;
    }
    const auto uc = static_cast<unsigned char>(c);
    bool in_set = false;
    bool first = true;
    while (i < pattern.size()) {
        const char lo = pattern[i];
        if (lo == ']' && !first) {
            matched = in_set != negate;
            return i + 1;
        }
        first = false;
        // A range needs a '-' that is not the last character of the set.
        if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
            const auto a = static_cast<unsigned char>(lo);
            const auto b = static_cast<unsigned char>(pattern[i + 2]);
            if (a <= uc && uc <= b) in_set = true;
            i += 3;
        } else {
            if (lo == c) in_set = true;
            ++i;
        }
    }
    return npos;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
    // Greedy matching that remembers only the last '*': every other pattern element consumes
    // exactly one character, so on a mismatch it is enough to let that last star swallow one
    // more character and retry; earlier stars never need to be revisited. This bounds the
    // work by |pattern| * |text| where naive recursion is exponential (a*a*a*...b).
    std::size_t p = 0;
    std::size_t t = 0;
    std::size_t star_p = npos;  // pattern index just after the last '*'
    std::size_t star_t = 0;     // text index that star's run currently ends at
    while (t < text.size()) {
        if (p < pattern.size()) {
            const char pc = pattern[p];
            if (pc == '*') {
                star_p = ++p;
                star_t = t;
                continue;
            }
            if (pc == '?') {
                ++p;
                ++t;
                continue;
            }
            bool literal = true;
            if (pc == '[') {
                bool matched = false;
                const std::size_t end = match_class(pattern, p, text[t], matched);
                if (end != npos) {
                    literal = false;
                    if (matched) {
                        p = end;
                        ++t;
                        continue;
                    }
                }
            }
            if (literal && pc == text[t]) {
                ++p;
                ++t;
                continue;
            }
        }
        if (star_p == npos) return false;
        p = star_p;
        t = ++star_t;
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

}  // namespace tsbatch
