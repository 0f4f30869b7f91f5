#pragma once
// Names of metrics, tag keys and tag values: OpenTSDB's character rules (reference/
// opentsdb.md 1.4), the characters that would break the canonical "k1=v1,k2=v2" form, and
// the replacement of bad characters by '_' (sanitise mode).
#include <string>
#include <string_view>

namespace tsbatch::text {

/// What a name is, from best to worst.
enum class name_class {
    ok,          ///< a-z A-Z 0-9 - _ . / and Unicode letters: OpenTSDB accepts it
    refused,     ///< other printable characters (space, ':', '°', ...): storable, OpenTSDB refuses it
    structural,  ///< empty, or holds , = { } a control character or invalid UTF-8: unusable as is
};

/// Classifies `name`; when it is not ok, `why` names the first bad character and its byte.
name_class classify_name(std::string_view name, std::string* why = nullptr);

/// Replaces every character OpenTSDB refuses (each code point, or each byte of invalid UTF-8)
/// by '_'. An empty name stays empty.
std::string sanitise_name(std::string_view name);

/// How parsers treat names that are not ok.
enum class name_mode {
    check,     ///< keep refused names (reported once each); reject rows with structural ones
    sanitise,  ///< replace bad characters by '_' (each change reported once per name)
};

}  // namespace tsbatch::text
