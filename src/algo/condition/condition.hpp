#pragma once
// Conditions over a value `y`, as written in the `condition` parameter of cut_y and
// cut_by_reference: a small expression language that tsbatch parses, type-checks and compiles
// to a vector program itself. Nothing in the text is ever evaluated as code.
//
// Grammar (Python's precedence and chained comparisons; keywords are lower case):
//
//   condition  := or_expr                                       (must be true/false)
//   or_expr    := and_expr { "or" and_expr }
//   and_expr   := not_expr { "and" not_expr }
//   not_expr   := "not" not_expr | comparison
//   comparison := sum { ("<" | "<=" | ">" | ">=" | "==" | "!=") sum }
//   sum        := product { ("+" | "-") product }
//   product    := unary { ("*" | "/") unary }
//   unary      := ("-" | "+") unary | primary
//   primary    := number | "nan" | "inf" | "true" | "false" | "y"
//               | ("abs" | "isnan") "(" or_expr ")" | "(" or_expr ")"
//   number     := digits ["." [digits]] [exponent] | "." digits [exponent]
//   exponent   := ("e" | "E") ["+" | "-"] digits
//
// Types are checked when parsing: `and`, `or`, `not` and the whole condition take true/false;
// comparisons, arithmetic and abs() take numbers; isnan() takes a number and gives true/false.
// Comparisons chain: `1 < y <= 10` means `1 < y and y <= 10`, with `y` evaluated once.
// Comparisons only compare numbers (`y < (y > 2)` is an error). Arithmetic is IEEE double:
// `y / 0` is inf and `0 / 0` NaN, never an error. Blanks (space, tab, newline) separate tokens.
//
// Examples: `1 < y <= 10 and not isnan(y)`, `abs(y - 7.5) > 2.5`, `y < -1e3 or y > 1e3`.
//
// Limits: condition::max_length characters, and condition::max_depth nested levels of
// parentheses, function calls, `not` and unary signs.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tsbatch {

/// A condition that does not parse; column() is the 1-based column of the mistake in the text.
class condition_error : public std::invalid_argument {
public:
    /// what() reads "column <column>: <what>".
    condition_error(std::size_t column, const std::string& what);
    std::size_t column() const noexcept { return column_; }

private:
    std::size_t column_;
};

namespace detail {
struct condition_program;
}

/// A parsed and compiled condition. Immutable: copies share the compiled program, and
/// evaluate() may run concurrently on one object.
class condition {
public:
    static constexpr std::size_t max_length = 4096;  ///< characters of text
    static constexpr std::size_t max_depth = 64;     ///< nested (), calls, `not`, unary signs

    /// Parses `text`; throws condition_error naming the column and quoting the offending text.
    static condition parse(std::string_view text);

    /// out[i] = 1 when the condition holds for y[i] and y[i] is not NaN, else 0: NaN always
    /// fails (cut_y sends NaN to the complement), so `isnan(y)` alone matches nothing.
    /// Requires y.size() == out.size() (internal_error otherwise).
    void evaluate(std::span<const double> y, std::span<std::uint8_t> out) const;

    /// The text as given to parse().
    const std::string& text() const noexcept { return text_; }

private:
    condition(std::string text, std::shared_ptr<const detail::condition_program> program);

    std::string text_;
    std::shared_ptr<const detail::condition_program> program_;
};

}  // namespace tsbatch
