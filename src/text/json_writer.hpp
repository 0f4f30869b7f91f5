#pragma once
// Writing JSON text: the /api/put bodies and the catalogue's --json output build their
// documents by hand, and share how a string is written.
#include <string>
#include <string_view>

namespace tsbatch::text {

/// Appends `s` as a JSON string (RFC 8259): quotes, `\"` `\\`, control characters escaped;
/// other bytes, UTF-8 included, as they are.
void append_json_string(std::string& out, std::string_view s);

}  // namespace tsbatch::text
