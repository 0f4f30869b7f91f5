#pragma once
// Lines of a byte source with their 1-based numbers. Memory: the source's block plus the
// longest line, which is capped (max_line_bytes) so a file without line breaks cannot
// exhaust memory.
#include <cstdint>
#include <string>
#include <string_view>

#include "text/byte_source.hpp"

namespace tsbatch::ingest {

constexpr std::size_t default_max_line_bytes = std::size_t{1} << 20;

/// One line, without its line break (`\n` or `\r\n`) and, on line 1, without a UTF-8 BOM.
/// A line longer than the cap comes back once with `too_long` set, `text` holding its
/// first max_line_bytes bytes and `length` its full length; the rest of it is skipped.
struct line {
    std::string_view text;
    std::uint64_t number = 0;
    std::uint64_t length = 0;
    bool too_long = false;
};

class line_reader {
public:
    explicit line_reader(text::byte_source& source, std::size_t max_line_bytes = default_max_line_bytes);

    /// The next line; false at the end of the input. `out.text` stays valid until the next
    /// call. Errors of the source (truncated gzip) are rethrown with the line reached.
    bool next(line& out);

    const std::string& name() const { return source_.name(); }
    std::size_t max_line_bytes() const noexcept { return max_; }

private:
    bool fetch();
    void append_capped(std::string_view part);
    void finish(line& out, std::string_view text);

    text::byte_source& source_;
    std::size_t max_;
    std::string_view block_;  // unread rest of the current block
    std::string carry_;       // a line that spans blocks, up to max_ bytes
    std::uint64_t carry_length_ = 0;
    std::uint64_t number_ = 0;
    bool at_end_ = false;
};

}  // namespace tsbatch::ingest
