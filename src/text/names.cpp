#include "text/names.hpp"

#include <cstdint>
#include <cstdio>

#include "text/unicode_letters.hpp"

namespace tsbatch::text {
namespace {

constexpr char32_t invalid_utf8 = 0xFFFFFFFF;

// Decodes the UTF-8 character at the front of `s` (never empty) and returns its code point,
// or invalid_utf8 for a malformed, overlong or surrogate sequence; `len` is the number of
// bytes it takes (1 for an invalid byte, so callers resynchronise byte by byte).
char32_t decode_utf8(std::string_view s, std::size_t& len) {
    const auto b0 = static_cast<unsigned char>(s[0]);
    len = 1;
    if (b0 < 0x80) return b0;
    std::size_t n = 0;
    char32_t cp = 0;
    if ((b0 & 0xE0U) == 0xC0U) {
        n = 2;
        cp = b0 & 0x1FU;
    } else if ((b0 & 0xF0U) == 0xE0U) {
        n = 3;
        cp = b0 & 0x0FU;
    } else if ((b0 & 0xF8U) == 0xF0U) {
        n = 4;
        cp = b0 & 0x07U;
    } else {
        return invalid_utf8;
    }
    if (s.size() < n) return invalid_utf8;
    for (std::size_t i = 1; i < n; ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if ((b & 0xC0U) != 0x80U) return invalid_utf8;
        cp = (cp << 6U) | (b & 0x3FU);
    }
    static constexpr char32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return invalid_utf8;
    len = n;
    return cp;
}

bool is_opentsdb_char(char32_t cp) {
    if (cp < 0x80) {
        const auto c = static_cast<char>(cp);
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               c == '.' || c == '/';
    }
    return is_unicode_letter(cp);
}

bool is_structural(char32_t cp) {
    return cp == invalid_utf8 || cp < 0x20 || cp == 0x7F || cp == ',' || cp == '=' || cp == '{' || cp == '}';
}

std::string describe(char32_t cp, std::string_view bytes, std::size_t at) {
    char buf[96];
    if (cp == invalid_utf8)
        std::snprintf(buf, sizeof buf, "invalid UTF-8 byte 0x%02X at byte %zu", static_cast<unsigned char>(bytes[0]),
                      at + 1);
    else if (cp < 0x20 || cp == 0x7F)
        std::snprintf(buf, sizeof buf, "control character U+%04X at byte %zu", static_cast<unsigned>(cp), at + 1);
    else
        std::snprintf(buf, sizeof buf, "'%.*s' (U+%04X) at byte %zu", static_cast<int>(bytes.size()), bytes.data(),
                      static_cast<unsigned>(cp), at + 1);
    return buf;
}

}  // namespace

name_class classify_name(std::string_view name, std::string* why) {
    if (name.empty()) {
        if (why != nullptr) *why = "it is empty";
        return name_class::structural;
    }
    name_class worst = name_class::ok;
    for (std::size_t i = 0; i < name.size();) {
        std::size_t len = 0;
        const char32_t cp = decode_utf8(name.substr(i), len);
        if (!is_opentsdb_char(cp)) {
            const name_class c = is_structural(cp) ? name_class::structural : name_class::refused;
            if (c > worst) {
                if (why != nullptr) *why = describe(cp, name.substr(i, len), i);
                worst = c;
                if (worst == name_class::structural) break;
            }
        }
        i += len;
    }
    return worst;
}

std::string sanitise_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (std::size_t i = 0; i < name.size();) {
        std::size_t len = 0;
        const char32_t cp = decode_utf8(name.substr(i), len);
        if (is_opentsdb_char(cp))
            out.append(name.substr(i, len));
        else
            out += '_';
        i += len;
    }
    return out;
}

}  // namespace tsbatch::text
