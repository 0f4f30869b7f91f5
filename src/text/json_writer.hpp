#pragma once
// Writing JSON text: the /api/put bodies, the PostgreSQL export's jsonb tags and the
// catalogue's --json output build their documents by hand, and share how a string is written.
#include <string>
#include <string_view>

namespace tsbatch::text {

/// Appends `s` as a JSON string (RFC 8259): quotes, `\"` `\\`, control characters escaped;
/// other bytes, UTF-8 included, as they are.
void append_json_string(std::string& out, std::string_view s);

/// Appends canonical tags "k1=v1,k2=v2" as a JSON object {"k1":"v1","k2":"v2"} ("{}" for none).
void append_json_tags(std::string& out, std::string_view canonical_tags);

}  // namespace tsbatch::text
