#pragma once
// Shell-style wildcard matching for input.select (metric names and tag values).
#include <string_view>

namespace tsbatch {

/// Whether `text` matches `pattern` as a whole. `*` matches any run of characters (also
/// none), `?` exactly one, `[abc]`, `[a-z]` one of a set, `[!x]` or `[^x]` one not in it;
/// a `]` right after `[` or `[!` belongs to the set, and a `[` without a closing `]` is a
/// literal. There is no escape character: write a literal `*`, `?` or `[` as `[*]`, `[?]`,
/// `[[]`. `/` and `.` are ordinary characters, and characters are bytes. Runs in
/// O(|pattern| * |text|) at worst, whatever the pattern.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace tsbatch
