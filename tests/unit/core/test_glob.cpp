#include "core/glob.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tsbatch {
namespace {

TEST(Glob, LiteralsAndEmpty) {
    EXPECT_TRUE(glob_match("", ""));
    EXPECT_FALSE(glob_match("", "a"));
    EXPECT_FALSE(glob_match("a", ""));
    EXPECT_TRUE(glob_match("gw.level", "gw.level"));
    EXPECT_FALSE(glob_match("gw.level", "gw.levels"));
    EXPECT_FALSE(glob_match("gw.level", "gw.leve"));
    EXPECT_FALSE(glob_match("gw.level", "gwXlevel"));  // '.' is not a wildcard
    EXPECT_FALSE(glob_match("GW", "gw"));              // case matters
}

TEST(Glob, Star) {
    EXPECT_TRUE(glob_match("*", ""));
    EXPECT_TRUE(glob_match("*", "anything at all"));
    EXPECT_TRUE(glob_match("**", "x"));
    EXPECT_TRUE(glob_match("gw.level*", "gw.level"));
    EXPECT_TRUE(glob_match("gw.level*", "gw.level.bh1"));
    EXPECT_FALSE(glob_match("gw.level*", "sw.level.bh1"));
    EXPECT_TRUE(glob_match("*.temp", "site1.temp"));
    EXPECT_FALSE(glob_match("*.temp", "site1.temp2"));
    EXPECT_TRUE(glob_match("a*b*c", "abc"));
    EXPECT_TRUE(glob_match("a*b*c", "aXXbYYc"));
    EXPECT_TRUE(glob_match("a*b*c", "abcbc"));
    EXPECT_FALSE(glob_match("a*b*c", "acb"));
    EXPECT_TRUE(glob_match("*ab", "aab"));  // the star must give back what it took
    EXPECT_TRUE(glob_match("*aab", "aaab"));
}

TEST(Glob, NoPathSemantics) {
    EXPECT_TRUE(glob_match("a*c", "a/b/c"));
    EXPECT_TRUE(glob_match("*", ".hidden"));
    EXPECT_TRUE(glob_match("a?c", "a/c"));
}

TEST(Glob, QuestionMark) {
    EXPECT_TRUE(glob_match("a?c", "abc"));
    EXPECT_FALSE(glob_match("a?c", "ac"));
    EXPECT_FALSE(glob_match("a?c", "abbc"));
    EXPECT_TRUE(glob_match("???", "xyz"));
    EXPECT_FALSE(glob_match("?", ""));
    // Characters are bytes: 'é' in UTF-8 takes two '?'.
    EXPECT_FALSE(glob_match("?", "\xc3\xa9"));
    EXPECT_TRUE(glob_match("??", "\xc3\xa9"));
}

TEST(Glob, Classes) {
    EXPECT_TRUE(glob_match("BH[123]", "BH2"));
    EXPECT_FALSE(glob_match("BH[123]", "BH4"));
    EXPECT_FALSE(glob_match("BH[123]", "BH"));
    EXPECT_TRUE(glob_match("[a-c]x", "bx"));
    EXPECT_FALSE(glob_match("[a-c]x", "dx"));
    EXPECT_TRUE(glob_match("[a-cx-z0-9]", "y"));
    EXPECT_TRUE(glob_match("[a-cx-z0-9]", "7"));
    EXPECT_FALSE(glob_match("[a-cx-z0-9]", "m"));
    EXPECT_TRUE(glob_match("[!x]", "y"));
    EXPECT_FALSE(glob_match("[!x]", "x"));
    EXPECT_TRUE(glob_match("[^x]", "y"));
    EXPECT_FALSE(glob_match("[^x]", "x"));
    EXPECT_FALSE(glob_match("[!a-z]", "q"));
    EXPECT_TRUE(glob_match("[!a-z]", "Q"));
    EXPECT_FALSE(glob_match("[!x]", ""));  // a class consumes exactly one character
}

TEST(Glob, ClassEdgeCases) {
    EXPECT_TRUE(glob_match("[]]", "]"));  // ']' first belongs to the set
    EXPECT_TRUE(glob_match("[]a]", "a"));
    EXPECT_FALSE(glob_match("[!]]", "]"));
    EXPECT_TRUE(glob_match("[!]]", "a"));
    EXPECT_TRUE(glob_match("[a-]", "-"));  // a trailing '-' is literal
    EXPECT_TRUE(glob_match("[-a]", "-"));
    EXPECT_TRUE(glob_match("[*]", "*"));  // the way to write a literal wildcard
    EXPECT_FALSE(glob_match("[*]", "x"));
    EXPECT_TRUE(glob_match("[?]", "?"));
    EXPECT_TRUE(glob_match("[[]", "["));
    EXPECT_TRUE(glob_match("[abc", "[abc"));  // unterminated: '[' is literal
    EXPECT_FALSE(glob_match("[abc", "a"));
    EXPECT_TRUE(glob_match("x[", "x["));
    EXPECT_TRUE(glob_match("*[0-9]", "sensor7"));
    EXPECT_FALSE(glob_match("*[0-9]", "sensor"));
    EXPECT_TRUE(glob_match("BH[!0]*", "BH12"));
    EXPECT_FALSE(glob_match("BH[!0]*", "BH01"));
}

TEST(Glob, PathologicalPatternsStayFast) {
    // Exponential for naive backtracking; quadratic at worst here.
    const std::string as(100000, 'a');
    EXPECT_FALSE(glob_match("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", as));
    EXPECT_TRUE(glob_match("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", as + "b"));
    EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c", as + "b"));
    EXPECT_FALSE(glob_match("*?*?*?*?*?*?*?*?*?*?*b", as));
    EXPECT_TRUE(glob_match("*[a]*[a]*[a]*[!a]", as + "b"));
    EXPECT_FALSE(glob_match(std::string(2000, '*') + "b", as));
}

// Straightforward recursive matcher for small inputs, written independently of the
// iterative one: classes are expanded to explicit sets.
bool reference_match(const std::string& p, std::size_t pi, const std::string& t, std::size_t ti) {
    if (pi == p.size()) return ti == t.size();
    if (p[pi] == '*') {
        for (std::size_t k = ti; k <= t.size(); ++k)
            if (reference_match(p, pi + 1, t, k)) return true;
        return false;
    }
    if (ti == t.size()) return false;
    if (p[pi] == '?') return reference_match(p, pi + 1, t, ti + 1);
    if (p[pi] == '[') {
        const auto close = p.find(']', pi + 1);
        // The generator below only writes [ab], [!a], [!b] and [a-b].
        const std::string body = p.substr(pi + 1, close - pi - 1);
        bool in = false;
        if (body == "ab" || body == "a-b")
            in = t[ti] == 'a' || t[ti] == 'b';
        else if (body == "!a")
            in = t[ti] != 'a';
        else if (body == "!b")
            in = t[ti] != 'b';
        return in && reference_match(p, close + 1, t, ti + 1);
    }
    return p[pi] == t[ti] && reference_match(p, pi + 1, t, ti + 1);
}

TEST(Glob, AgreesWithReferenceOnRandomInputs) {
    std::mt19937 rng(12345);
    const char* atoms[] = {"a", "b", "c", "*", "?", "[ab]", "[!a]", "[!b]", "[a-b]"};
    const char letters[] = {'a', 'b', 'c'};
    for (int round = 0; round < 20000; ++round) {
        std::string p;
        const int np = static_cast<int>(rng() % 7);
        for (int i = 0; i < np; ++i) p += atoms[rng() % 9];
        std::string t;
        const int nt = static_cast<int>(rng() % 9);
        for (int i = 0; i < nt; ++i) t += letters[rng() % 3];
        ASSERT_EQ(glob_match(p, t), reference_match(p, 0, t, 0)) << "pattern '" << p << "' text '" << t << "'";
    }
}

}  // namespace
}  // namespace tsbatch
