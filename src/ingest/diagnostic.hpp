#pragma once
// What a parser reports about its input: one diagnostic per bad row, field or name. Parsers
// never decide the policy; they report and carry on with the next row, and the caller counts
// the reports against its --max-errors.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/enum_names.hpp"

namespace tsbatch::ingest {

/// The kinds of report, so a caller can count or filter them separately.
enum class diagnostic_kind {
    malformed,       ///< a row, field or record that cannot be read; it was skipped
    invalid_name,    ///< a name OpenTSDB would refuse (kept as is; reported once per name)
    renamed,         ///< sanitise mode changed a name (reported once per name)
    duplicate_time,  ///< the accumulator found two points of a series at one timestamp
};

inline constexpr std::array diagnostic_kind_names{"malformed", "invalid_name", "renamed", "duplicate_time"};

/// Short lower-case name of a kind, e.g. "malformed".
inline std::string_view to_string(diagnostic_kind kind) noexcept {
    return enum_name(kind, diagnostic_kind_names, "unknown");
}

/// A place in an input file; line and column are 1-based (columns count bytes), 0 = unknown.
struct text_location {
    std::string_view file;
    std::uint64_t line = 0;
    std::uint64_t column = 0;
};

/// One report. `text` is the offending input, already cut to a readable length.
struct diagnostic {
    diagnostic_kind kind = diagnostic_kind::malformed;
    std::string file;
    std::uint64_t line = 0;
    std::uint64_t column = 0;
    std::string message;
    std::string text;

    /// `file:line:column: message (text: '...')`; the location and the text part are left out
    /// when unknown or empty.
    std::string to_string() const;
};

/// Builds a diagnostic, cutting `text` to at most `max_text_bytes` (without splitting a UTF-8
/// character) and escaping control characters so the message stays on one line.
diagnostic make_diagnostic(diagnostic_kind kind, const text_location& where, std::string message,
                           std::string_view text);

constexpr std::size_t max_text_bytes = 80;

/// Receives every report of a parse.
using diagnostic_handler = std::function<void(const diagnostic&)>;

/// Escapes control characters and cuts `text` as make_diagnostic does; for error messages.
std::string printable_excerpt(std::string_view text, std::size_t max_bytes = max_text_bytes);

}  // namespace tsbatch::ingest
