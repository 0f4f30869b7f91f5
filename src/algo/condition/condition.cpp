// The condition language's entry point (condition.hpp): parse() takes the text through the
// lexer and parser to a type-checked syntax tree and through the compiler to a register
// program. The pieces, one job per file:
//   lexer.hpp, lexer.cpp   text -> tokens; the helpers of every error message
//   syntax.hpp             the syntax tree
//   parser.cpp             tokens -> tree, types checked and constants folded
//   program.hpp            the register program
//   compiler.cpp           tree -> program
//   eval.cpp               condition::evaluate: the program over blocks of values
#include "algo/condition/condition.hpp"

#include <memory>
#include <string>
#include <utility>

#include "algo/condition/program.hpp"
#include "algo/condition/syntax.hpp"

namespace tsbatch {

condition_error::condition_error(std::size_t column, const std::string& what)
    : std::invalid_argument("column " + std::to_string(column) + ": " + what), column_(column) {}

condition::condition(std::string text, std::shared_ptr<const detail::condition_program> program)
    : text_(std::move(text)), program_(std::move(program)) {}

condition condition::parse(std::string_view text) {
    const detail::condition_impl::tree t = detail::condition_impl::parse_tree(text);
    auto program = std::make_shared<const detail::condition_program>(detail::condition_impl::compile(t));
    return condition(std::string(text), std::move(program));
}

}  // namespace tsbatch
