#pragma once
// Java's Character.isLetter for one UTF-16 unit, which is what OpenTSDB tests names with.

namespace tsbatch::text {

/// Whether `cp` is a letter (general category L*) in the Basic Multilingual Plane; code
/// points above U+FFFF are false, as OpenTSDB sees them as two surrogates.
bool is_unicode_letter(char32_t cp) noexcept;

}  // namespace tsbatch::text
