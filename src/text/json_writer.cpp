#include "text/json_writer.hpp"

#include "core/tags.hpp"

namespace tsbatch::text {

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (u < 0x20) {
                    out += "\\u00";
                    out += hex[u >> 4];
                    out += hex[u & 0xF];
                } else {
                    out += c;  // UTF-8 bytes go through as they are (RFC 8259 8.1)
                }
        }
    }
    out += '"';
}

void append_json_tags(std::string& out, std::string_view canonical_tags) {
    out += '{';
    bool first = true;
    for (const auto& [key, value] : split_tags(canonical_tags)) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, key);
        out += ':';
        append_json_string(out, value);
    }
    out += '}';
}

}  // namespace tsbatch::text
