#include "ingest/diagnostic.hpp"

#include <cstdio>

namespace tsbatch::ingest {

namespace {

// Length of the longest prefix of `text` of at most `limit` bytes that does not end inside a
// UTF-8 sequence (continuation bytes are 10xxxxxx).
std::size_t utf8_cut(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) return text.size();
    std::size_t n = limit;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0U) == 0x80U) --n;
    return n;
}

void append_escaped(std::string& out, char c) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
        case '\t':
            out += "\\t";
            return;
        case '\r':
            out += "\\r";
            return;
        case '\n':
            out += "\\n";
            return;
        default:
            break;
    }
    if (u < 0x20 || u == 0x7F) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02X", u);
        out += buf;
    } else {
        out += c;
    }
}

}  // namespace

std::string printable_excerpt(std::string_view text, std::size_t max_bytes) {
    const std::size_t n = utf8_cut(text, max_bytes);
    std::string out;
    out.reserve(n + 8);
    for (std::size_t i = 0; i < n; ++i) append_escaped(out, text[i]);
    if (n < text.size()) out += "...";
    return out;
}

diagnostic make_diagnostic(diagnostic_kind kind, const text_location& where, std::string message,
                           std::string_view text) {
    diagnostic d;
    d.kind = kind;
    d.file = std::string(where.file);
    d.line = where.line;
    d.column = where.column;
    d.message = std::move(message);
    d.text = printable_excerpt(text);
    return d;
}

std::string diagnostic::to_string() const {
    std::string out;
    if (!file.empty()) {
        out += file;
        if (line > 0) {
            out += ':' + std::to_string(line);
            if (column > 0) out += ':' + std::to_string(column);
        }
        out += ": ";
    }
    out += message;
    if (!text.empty()) out += " (text: '" + text + "')";
    return out;
}

}  // namespace tsbatch::ingest
