// condition: evaluate() against straightforward scalar reference evaluations (hand-written
// lambdas and randomly generated expressions), on NaN, ±inf, ±0, boundaries and block-size
// edges; chaining, precedence, constant folding; every parse error with its column.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "algo/condition/condition.hpp"
#include "core/error.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

using reference = std::function<bool(double)>;

// Values that probe every boundary used below, plus random ones.
std::vector<double> probe_values() {
    std::vector<double> v = {nan_v,
                             -nan_v,
                             inf_v,
                             -inf_v,
                             0.0,
                             -0.0,
                             1.0,
                             -1.0,
                             10.0,
                             -10.0,
                             3.0,
                             -3.0,
                             2.0,
                             5.0,
                             7.5,
                             1e300,
                             -1e300,
                             std::numeric_limits<double>::denorm_min(),
                             -std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::lowest(),
                             1e-320};
    for (double b : {1.0, 10.0, 3.0, -3.0, 0.0, 5.0, 2.0}) {
        v.push_back(std::nextafter(b, -inf_v));
        v.push_back(std::nextafter(b, inf_v));
    }
    std::mt19937_64 gen(7);
    std::uniform_real_distribution<double> wide(-20.0, 20.0);
    for (int i = 0; i < 600; ++i) v.push_back(i % 5 == 0 ? std::round(wide(gen)) : wide(gen));
    return v;
}

std::vector<std::uint8_t> run(const condition& c, const std::vector<double>& y) {
    std::vector<std::uint8_t> out(y.size(), 0xAB);
    c.evaluate(y, out);
    return out;
}

// evaluate() must give ref(y) and not NaN, for every value.
void expect_matches(const std::string& text, const reference& ref, const std::vector<double>& y) {
    const auto out = run(condition::parse(text), y);
    for (std::size_t i = 0; i < y.size(); ++i) {
        const std::uint8_t want = ref(y[i]) && !std::isnan(y[i]) ? 1 : 0;
        ASSERT_EQ(want, out[i]) << "condition '" << text << "' at y[" << i << "] = " << y[i];
    }
}

void expect_same(const std::string& a, const std::string& b) {
    const auto y = probe_values();
    EXPECT_EQ(run(condition::parse(a), y), run(condition::parse(b), y)) << "'" << a << "' vs '" << b << "'";
}

TEST(Condition, HandWrittenReferences) {
    const std::vector<std::pair<std::string, reference>> cases = {
        {"1 < y <= 10 and not isnan(y)", [](double y) { return 1 < y && y <= 10 && !std::isnan(y); }},
        {"abs(y) > 3", [](double y) { return std::fabs(y) > 3; }},
        {"y > 3", [](double y) { return y > 3; }},
        {"y >= 3", [](double y) { return y >= 3; }},
        {"y < 3", [](double y) { return y < 3; }},
        {"y <= -3", [](double y) { return y <= -3; }},
        {"y == 0", [](double y) { return y == 0; }},
        {"y != 0", [](double y) { return y != 0; }},
        {"y == -0", [](double y) { return y == 0; }},
        {"y == inf or y == -inf", [](double y) { return std::isinf(y); }},
        {"y != y", [](double) { return false; }},
        {"isnan(y)", [](double) { return false; }},
        {"not isnan(y)", [](double) { return true; }},
        {"isnan(y * 0)", [](double y) { return std::isinf(y); }},
        {"isnan(y - y)", [](double y) { return std::isinf(y); }},
        {"not (y > 2)", [](double y) { return !(y > 2); }},
        {"not y > 2", [](double y) { return !(y > 2); }},
        {"y < -1e3 or y > 1e3", [](double y) { return y < -1e3 || y > 1e3; }},
        {"abs(y - 7.5) > 2.5", [](double y) { return std::fabs(y - 7.5) > 2.5; }},
        {"-y > 2", [](double y) { return -y > 2; }},
        {"+y > 2", [](double y) { return y > 2; }},
        {"- -y > 2", [](double y) { return y > 2; }},
        {"2 * y + 1 >= 3", [](double y) { return 2 * y + 1 >= 3; }},
        {"1 / y > 0", [](double y) { return 1 / y > 0; }},  // -0 gives -inf
        {"y / 0 > 0", [](double y) { return y / 0.0 > 0; }},
        {"10 - y > y / 4", [](double y) { return 10 - y > y / 4; }},
        {"3 - 2 - y > 0", [](double y) { return (3.0 - 2.0) - y > 0; }},
        {"y - 3 - 2 > 0", [](double y) { return (y - 3) - 2 > 0; }},
        {"8 / 2 / y > 1", [](double y) { return (8.0 / 2.0) / y > 1; }},
        {"y * y > 4 and y < 0", [](double y) { return y * y > 4 && y < 0; }},
        {"y > nan", [](double) { return false; }},
        {"not (y > nan)", [](double) { return true; }},
        {"y < inf", [](double y) { return y < inf_v; }},
        {"y > -inf", [](double y) { return y > -inf_v; }},
        {"abs(y) == inf", [](double y) { return std::isinf(y); }},
        {"y > 1e-320", [](double y) { return y > 1e-320; }},
        {".5 < y < 5.", [](double y) { return 0.5 < y && y < 5.0; }},
        {"1E1 == y", [](double y) { return y == 10; }},
        {"y >= 2.5e+0 and y <= 25E-1", [](double y) { return y == 2.5; }},
        {"not (y < 2 or y > 5) and not (y == 3)", [](double y) { return !(y < 2 || y > 5) && !(y == 3); }},
        {"not (y > 2 and y < 5) or y == 3", [](double y) { return !(y > 2 && y < 5) || y == 3; }},
        {"(y > 1 or y < -1) and (y > 5 or y < -5)", [](double y) { return (y > 1 || y < -1) && (y > 5 || y < -5); }},
        {"y > 1 and not (y > 5 or y < -5)", [](double y) { return y > 1 && !(y > 5 || y < -5); }},
        {"y > 1 or not (y > -5 and y < 5)", [](double y) { return y > 1 || !(y > -5 && y < 5); }},
        {"true", [](double) { return true; }},
        {"false", [](double) { return false; }},
        {"1 < 2", [](double) { return true; }},
        {"not true or false", [](double) { return false; }},
        {"isnan(nan) and not isnan(1)", [](double) { return true; }},
        {"y > 1 and true", [](double y) { return y > 1; }},
        {"y > 1 and false", [](double) { return false; }},
        {"y > 1 or true", [](double) { return true; }},
        {"false or y > 1", [](double y) { return y > 1; }},
        {"abs(-3) < y", [](double y) { return 3 < y; }},
        {"\ty\n>\r\n3 ", [](double y) { return y > 3; }},
    };
    const auto y = probe_values();
    for (const auto& [text, ref] : cases) expect_matches(text, ref, y);
}

TEST(Condition, ChainedComparisons) {
    const auto y = probe_values();
    expect_matches(
        "1 < y <= 10", [](double v) { return 1 < v && v <= 10; }, y);
    expect_matches(
        "y < 5 > 2", [](double v) { return v < 5; }, y);
    expect_matches(
        "-3 <= y < 0 < 1", [](double v) { return -3 <= v && v < 0; }, y);
    expect_matches(
        "1 < abs(y) < 3", [](double v) { return 1 < std::fabs(v) && std::fabs(v) < 3; }, y);
    expect_matches(
        "0 < 1 < y", [](double v) { return 1 < v; }, y);
    expect_matches(
        "2 < 1 < y", [](double) { return false; }, y);
    expect_matches(
        "y < y + 1 < y + 2", [](double v) { return v < v + 1 && v + 1 < v + 2; }, y);
    expect_matches(
        "0 == y == -0", [](double v) { return v == 0; }, y);
    expect_matches(
        "1 < y != 3 < 5", [](double v) { return 1 < v && v != 3; }, y);
    expect_same("1 < y <= 10", "1 < y and y <= 10");
    expect_same("1 < y * 2 <= 10 > y", "1 < y * 2 and y * 2 <= 10 and 10 > y");
}

TEST(Condition, PythonPrecedence) {
    expect_same("y > 1 or y < -1 and y > -5", "y > 1 or (y < -1 and y > -5)");
    expect_same("not y > 1 and y > -1", "(not (y > 1)) and y > -1");
    expect_same("not y > 1 or y > 5", "(not (y > 1)) or y > 5");
    expect_same("not not y > 1", "y > 1");
    expect_same("y + 2 * 3 > 7", "y + (2 * 3) > 7");
    expect_same("y * 2 + 3 > 7", "(y * 2) + 3 > 7");
    expect_same("-y * 2 > 3", "(-y) * 2 > 3");
    expect_same("y - 1 - 1 > 0", "(y - 1) - 1 > 0");
    expect_same("y / 2 / 2 > 1", "(y / 2) / 2 > 1");
    expect_same("2 - y + 1 > 0", "(2 - y) + 1 > 0");
    expect_same("y > 1 + 2", "y > (1 + 2)");
    expect_same("(y>1)and(y<5)", "y > 1 and y < 5");  // keywords need no blanks next to symbols
}

// Random expressions, printed fully parenthesised, against a recursive scalar evaluation. They
// exercise constant folding, register reuse and every mask merge path (including temporaries).
class expression_generator {
public:
    explicit expression_generator(std::uint64_t seed) : gen_(seed) {}

    struct number_expr {
        std::string text;
        std::function<double(double)> eval;
    };
    struct bool_expr {
        std::string text;
        reference eval;
    };

    bool_expr condition(int depth) {
        switch (pick(depth <= 0 ? 2 : 7)) {
            case 0:
            case 1:
                return chain(depth);
            case 2: {
                auto a = condition(depth - 1);
                return {"not (" + a.text + ")", [f = a.eval](double y) { return !f(y); }};
            }
            case 3:
            case 4: {
                auto a = condition(depth - 1);
                auto b = condition(depth - 1);
                return {"(" + a.text + ") and (" + b.text + ")",
                        [f = a.eval, g = b.eval](double y) { return f(y) && g(y); }};
            }
            case 5: {
                auto a = condition(depth - 1);
                auto b = condition(depth - 1);
                return {"(" + a.text + ") or (" + b.text + ")",
                        [f = a.eval, g = b.eval](double y) { return f(y) || g(y); }};
            }
            default: {
                if (pick(4) == 0) {
                    const bool t = pick(2) == 0;
                    return {t ? "true" : "false", [t](double) { return t; }};
                }
                auto a = number(depth - 1);
                return {"isnan(" + a.text + ")", [f = a.eval](double y) { return std::isnan(f(y)); }};
            }
        }
    }

private:
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(gen_); }

    bool_expr chain(int depth) {
        static const char* ops[] = {"<", "<=", ">", ">=", "==", "!="};
        auto lhs = number(depth - 1);
        std::string text = lhs.text;
        std::vector<std::function<double(double)>> operands{lhs.eval};
        std::vector<int> chosen;
        const int links = 1 + pick(3);
        for (int i = 0; i < links; ++i) {
            const int op = pick(6);
            auto rhs = number(depth - 1);
            text += std::string(" ") + ops[op] + " " + rhs.text;
            operands.push_back(rhs.eval);
            chosen.push_back(op);
        }
        return {text, [operands, chosen](double y) {
                    for (std::size_t i = 0; i < chosen.size(); ++i) {
                        const double a = operands[i](y);
                        const double b = operands[i + 1](y);
                        const bool holds = chosen[i] == 0   ? a < b
                                           : chosen[i] == 1 ? a <= b
                                           : chosen[i] == 2 ? a > b
                                           : chosen[i] == 3 ? a >= b
                                           : chosen[i] == 4 ? a == b
                                                            : a != b;
                        if (!holds) return false;
                    }
                    return true;
                }};
    }

    number_expr number(int depth) {
        switch (pick(depth <= 0 ? 2 : 6)) {
            case 0:
                return {"y", [](double y) { return y; }};
            case 1:
                return constant();
            case 2: {
                auto a = number(depth - 1);
                return {"-(" + a.text + ")", [f = a.eval](double y) { return -f(y); }};
            }
            case 3: {
                auto a = number(depth - 1);
                return {"abs(" + a.text + ")", [f = a.eval](double y) { return std::fabs(f(y)); }};
            }
            default: {
                static const char ops[] = {'+', '-', '*', '/'};
                const char op = ops[pick(4)];
                auto a = number(depth - 1);
                auto b = number(depth - 1);
                return {"(" + a.text + " " + op + " " + b.text + ")", [op, f = a.eval, g = b.eval](double y) {
                            const double p = f(y);
                            const double q = g(y);
                            return op == '+' ? p + q : op == '-' ? p - q : op == '*' ? p * q : p / q;
                        }};
            }
        }
    }

    number_expr constant() {
        static const double values[] = {0.0, -0.0, 1.0, 2.0, 3.0, 0.5, -1.5, 10.0, 1e300, -7.25, nan_v, inf_v, -inf_v};
        const double v = values[pick(static_cast<int>(std::size(values)))];
        std::string text;
        if (std::isnan(v)) {
            text = "nan";
        } else if (std::isinf(v)) {
            text = v > 0 ? "inf" : "(-inf)";
        } else {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.17g", v);
            text = std::signbit(v) ? "(" + std::string(buf) + ")" : buf;
        }
        return {text, [v](double) { return v; }};
    }

    std::mt19937_64 gen_;
};

TEST(Condition, RandomExpressionsMatchReference) {
    expression_generator gen(2024);
    auto y = probe_values();
    y.resize(300);  // crosses one block boundary, keeps the test quick
    for (int i = 0; i < 1500; ++i) {
        const auto e = gen.condition(1 + i % 5);
        SCOPED_TRACE(e.text);
        expect_matches(e.text, e.eval, y);
        if (HasFatalFailure()) return;
    }
}

TEST(Condition, SizesAroundTheBlock) {
    std::mt19937_64 gen(11);
    std::uniform_real_distribution<double> d(-15.0, 15.0);
    const auto c = condition::parse("1 < y <= 10 and not isnan(y)");
    const auto a = condition::parse("abs(y) > 3 or y * y < 1");
    for (std::size_t n : {0u, 1u, 2u, 3u, 255u, 256u, 257u, 511u, 512u, 513u, 1000u}) {
        std::vector<double> y(n);
        for (std::size_t i = 0; i < n; ++i) y[i] = i % 7 == 3 ? nan_v : d(gen);
        const auto out = run(c, y);
        const auto out_a = run(a, y);
        ASSERT_EQ(out.size(), n);
        for (std::size_t i = 0; i < n; ++i) {
            EXPECT_EQ(out[i], (1 < y[i] && y[i] <= 10) ? 1 : 0) << "n=" << n << " i=" << i;
            EXPECT_EQ(out_a[i], (std::fabs(y[i]) > 3 || y[i] * y[i] < 1) ? 1 : 0) << "n=" << n << " i=" << i;
        }
    }
}

TEST(Condition, ConstantConditionsStillFailNaN) {
    const std::vector<double> y = {nan_v, 1.0, -inf_v, nan_v, 0.0};
    EXPECT_EQ(run(condition::parse("true"), y), (std::vector<std::uint8_t>{0, 1, 1, 0, 1}));
    EXPECT_EQ(run(condition::parse("not (1 > 2)"), y), (std::vector<std::uint8_t>{0, 1, 1, 0, 1}));
    EXPECT_EQ(run(condition::parse("false"), y), (std::vector<std::uint8_t>{0, 0, 0, 0, 0}));
    EXPECT_EQ(run(condition::parse("isnan(y)"), y), (std::vector<std::uint8_t>{0, 0, 0, 0, 0}));
}

TEST(Condition, ManyRegistersAndTemporaries) {
    // Right-nested operands keep many intermediate values alive at once (more than the
    // scratch space on the stack), and alternating and/or needs temporary masks.
    std::string number = "y";
    std::function<double(double)> num = [](double y) { return y; };
    for (int i = 0; i < 12; ++i) {
        number = "(y " + std::string(i % 2 ? "-" : "*") + " (0.5 + " + number + "))";
        num = [i, f = num](double y) { return i % 2 ? y - (0.5 + f(y)) : y * (0.5 + f(y)); };
    }
    expect_matches(
        number + " > 1", [num](double y) { return num(y) > 1; }, probe_values());

    std::string cond = "y > 0";
    reference ref = [](double y) { return y > 0; };
    for (int i = 1; i < 20; ++i) {
        const double k = i;
        if (i % 2) {
            cond = "y < " + std::to_string(i) + " and (y > " + std::to_string(-i) + " or (" + cond + "))";
            ref = [k, f = ref](double y) { return y < k && (y > -k || f(y)); };
        } else {
            cond = "y != " + std::to_string(i) + " or not (y > " + std::to_string(-i) + " and (" + cond + "))";
            ref = [k, f = ref](double y) { return y != k || !(y > -k && f(y)); };
        }
    }
    expect_matches(cond, ref, probe_values());
}

TEST(Condition, LongestAndDeepestInputs) {
    std::string sum = "y";
    while (sum.size() + 10 < condition::max_length) sum += "+y";
    sum += " > 0";
    ASSERT_LE(sum.size(), condition::max_length);
    expect_matches(sum, [](double y) { return y > 0; }, {1.0, -1.0, 0.0, inf_v, -inf_v, nan_v});

    std::string ands = "y > 0";
    while (ands.size() + 20 < condition::max_length) ands += " and y > 0";
    expect_matches(ands, [](double y) { return y > 0; }, {1.0, -1.0, 0.0});

    const std::size_t d = condition::max_depth;
    expect_matches(std::string(d, '(') + "y > 2" + std::string(d, ')'), [](double y) { return y > 2; }, {1.0, 3.0});
    std::string nots;
    for (std::size_t i = 0; i < d; ++i) nots += "not ";
    expect_matches(nots + "y > 2", [](double y) { return y > 2; }, {1.0, 3.0});
    std::string negs(d, '-');
    expect_matches(negs + "y > 2", [](double y) { return y > 2; }, {1.0, 3.0});

    std::string padded = "y > 1";
    padded.resize(condition::max_length, ' ');
    EXPECT_NO_THROW(condition::parse(padded));
}

TEST(Condition, CopiesShareTheProgramAndKeepTheText) {
    const std::string text = "  1 < y <= 10 ";
    condition a = condition::parse(text);
    EXPECT_EQ(a.text(), text);
    const condition b = a;
    condition c = std::move(a);
    const auto y = probe_values();
    EXPECT_EQ(run(b, y), run(c, y));
    EXPECT_EQ(b.text(), text);
    c = b;
    EXPECT_EQ(c.text(), text);
}

TEST(Condition, SizeMismatchIsABug) {
    const auto c = condition::parse("y > 1");
    std::vector<double> y(3, 1.0);
    std::vector<std::uint8_t> out(2);
    EXPECT_THROW(c.evaluate(y, out), internal_error);
}

struct bad_case {
    std::string text;
    std::size_t column;
    std::string message;  // a substring of what()
};

std::vector<bad_case> bad_cases() {
    const std::size_t d = condition::max_depth;
    std::string nots;
    for (std::size_t i = 0; i <= d; ++i) nots += "not ";
    std::string long_text = "y > 1";
    long_text.resize(condition::max_length + 1, ' ');
    return {
        {"x > 3", 1, "unknown name 'x': the only variable is y"},
        {"y > 1 and z", 11, "unknown name 'z'"},
        {"Y > 1", 1, "names are lower case: 'y'"},
        {"y > 1 AND y < 2", 7,
         "unexpected 'AND': expected an operator, 'and', 'or' or the end (names are lower case: 'and')"},
        {"foo(y) > 1", 1, "unknown function 'foo': the functions are abs() and isnan()"},
        {"", 1, "empty condition"},
        {"   \t", 1, "empty condition"},
        {"y <", 4, "expected a value after '<', got the end of the condition"},
        {"1 < y <= ", 10, "expected a value after '<='"},
        {"y > 1 and", 10, "expected a value after 'and'"},
        {"y > 1 or or y < 2", 10, "expected a value after 'or', got 'or'"},
        {"y < not y", 5, "expected a value after '<', got 'not'"},
        {"and y", 1, "expected a value, got 'and'"},
        {") y", 1, "expected a value, got ')'"},
        {"y * * 2 > 1", 5, "expected a value after '*', got '*'"},
        {"y + 1", 1, "the condition must be true or false, but 'y + 1' is a number"},
        {"  3", 3, "'3' is a number"},
        {"not 3", 5, "'not' needs true/false, but '3' is a number"},
        {"y < (y > 2)", 5, "'<' compares numbers, but '(y > 2)' is true/false"},
        {"(y > 2) < y", 1, "'<' compares numbers, but '(y > 2)' is true/false"},
        {"y == true", 6, "'==' compares numbers, but 'true' is true/false"},
        {"(y > 1) + 1 > 0", 1, "'+' needs numbers"},
        {"y * (y > 1) > 0", 5, "'*' needs numbers"},
        {"-(y > 1)", 2, "unary '-' needs a number"},
        {"y > 1 and 2", 11, "'and' needs true/false on both sides, but '2' is a number"},
        {"y or y > 1", 1, "'or' needs true/false on both sides, but 'y' is a number"},
        {"abs(y > 1) > 0", 5, "abs() needs a number"},
        {"isnan(y > 1)", 7, "isnan() needs a number"},
        {"abs y > 1", 5, "expected '(' after 'abs', got 'y'"},
        {"isnan", 6, "expected '(' after 'isnan', got the end of the condition"},
        {"abs() > 1", 5, "abs() takes one argument, got none"},
        {"abs(y, 2) > 1", 6, "abs() takes one argument, got more"},
        {"(y > 1", 7, "expected ')' to close the '(' at column 1, got the end of the condition"},
        {"abs(y > 1", 10, "expected ')' to close the '(' at column 4"},
        {"(y > 1 y", 8, "expected ')' to close the '(' at column 1, got 'y'"},
        {"()", 2, "empty parentheses"},
        {"y > 1)", 6, "unmatched ')'"},
        {"y > 1 y", 7, "unexpected 'y': expected an operator, 'and', 'or' or the end"},
        {"y > 1 , 2", 7, "unexpected ','"},
        {"y $ 1", 3, "unexpected character '$'"},
        {"y > 1 && y < 2", 7, "unexpected '&': write 'and'"},
        {"y > 1 || y < 2", 7, "unexpected '|': write 'or'"},
        {"!(y > 1)", 1, "unexpected '!': write 'not'"},
        {"y = 1", 3, "unexpected '=': compare with '=='"},
        {"y ** 2 > 1", 4, "expected a value after '*', got '*'"},
        {"y % 2 > 1", 3, "unexpected character '%'"},
        {"y > .", 5, "unexpected character '.'"},
        {"y > \xc3\xa9", 5, "unexpected byte 0xc3: a condition is plain ASCII text"},
        {std::string("y > \0", 5), 5, "unexpected byte 0x00"},
        {"3y > 1", 1, "malformed number '3y'"},
        {"y > 1and y < 2", 5, "malformed number '1and'"},
        {"1e > y", 1, "malformed number '1e'"},
        {"y > 1e+", 5, "malformed number '1e+'"},
        {"1.2.3 < y", 1, "malformed number '1.2.3'"},
        {"y > 1e999", 5, "number '1e999' is out of the range of a double"},
        {"y > 1e-999", 5, "out of the range of a double"},
        {long_text, condition::max_length + 1, "longer than 4096 characters"},
        {std::string(d + 1, '(') + "y > 1" + std::string(d + 1, ')'), d + 1, "nests deeper than 64 levels"},
        {nots + "y > 1", 4 * d + 1, "nests deeper than 64 levels"},
        {std::string(d + 1, '-') + "y > 1", d + 1, "nests deeper than 64 levels"},
        {"y > " + std::string(d, '(') + "abs(y)" + std::string(d, ')'), 5 + d, "nests deeper"},
    };
}

TEST(Condition, ErrorsNameTheColumn) {
    for (const auto& c : bad_cases()) {
        SCOPED_TRACE("condition '" + c.text + "'");
        try {
            condition::parse(c.text);
            ADD_FAILURE() << "parsed";
        } catch (const condition_error& e) {
            EXPECT_EQ(e.column(), c.column) << e.what();
            const std::string what = e.what();
            EXPECT_EQ(what.rfind("column " + std::to_string(c.column) + ": ", 0), 0u) << what;
            EXPECT_NE(what.find(c.message), std::string::npos) << what;
        }
    }
}

TEST(Condition, ErrorIsAnInvalidArgument) {
    EXPECT_THROW(condition::parse("x"), std::invalid_argument);
    try {
        condition::parse("1 < y <= ");
    } catch (const condition_error& e) {
        EXPECT_STREQ(e.what(), "column 10: expected a value after '<=', got the end of the condition");
    }
    // Long offending text is cut in messages.
    try {
        condition::parse("(" + std::string(100, '1') + ") + 1");
    } catch (const condition_error& e) {
        EXPECT_NE(std::string(e.what()).find("...'"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace tsbatch
