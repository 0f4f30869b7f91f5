#pragma once
// Values in input fields: decimal numbers (point or, optionally, comma), and the markers that
// mean "missing" (NaN).
//
// NaN markers: the empty field, `NaN`, `NA`, `nan`, `null` always; any spelling that
// std::from_chars reads as NaN (`-nan`, `NAN`); and user markers. A user marker that reads as
// a number (`-9999`, `-9999.0`, `1e30`) is compared numerically, so `-9999.00` matches
// `-9999`; any other marker (`n/a`, `---`) is compared textually, byte for byte, with the
// field after its surrounding spaces are trimmed. Infinite values are refused: OpenTSDB
// refuses them and a sensor never measures one.
#include <string>
#include <string_view>
#include <vector>

namespace tsbatch::ingest {

class value_parser {
public:
    /// `decimal_comma`: ',' is the decimal mark (a '.' is still read as one; a field holding
    /// both is refused as ambiguous). `nan_markers` are the user markers, added to the defaults.
    explicit value_parser(bool decimal_comma = false, const std::vector<std::string>& nan_markers = {});

    /// Returns nullptr and sets `value` (NaN for a marker), or returns what is wrong.
    const char* parse(std::string_view text, double& value) const;

private:
    const char* parse_number(std::string_view text, double& value) const;
    bool is_text_marker(std::string_view text) const;

    bool decimal_comma_;
    std::vector<std::string> text_markers_;
    std::vector<double> number_markers_;
};

/// Reads a whole field as a double with std::from_chars (a leading '+' allowed); false when
/// it is not entirely a number. Overflow gives ±inf and underflow 0, as strtod does.
bool read_double(std::string_view text, double& value);

}  // namespace tsbatch::ingest
