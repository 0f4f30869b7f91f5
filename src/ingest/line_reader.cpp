#include "ingest/line_reader.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"

namespace tsbatch::ingest {

line_reader::line_reader(text::byte_source& source, std::size_t max_line_bytes)
    : source_(source), max_(std::max<std::size_t>(max_line_bytes, 1)) {}

bool line_reader::fetch() {
    if (at_end_) return false;
    try {
        block_ = source_.next();
    } catch (const input_error& e) {
        throw input_error(std::string(e.what()) + ", after line " + std::to_string(number_));
    }
    at_end_ = block_.empty();
    return !at_end_;
}

// Keeps at most max_ bytes of a long line (enough to show it in a message) but counts all.
void line_reader::append_capped(std::string_view part) {
    carry_length_ += part.size();
    if (carry_.size() < max_) carry_.append(part.substr(0, max_ - carry_.size()));
}

void line_reader::finish(line& out, std::string_view text) {
    ++number_;
    out.number = number_;
    out.length = text.size();
    out.too_long = false;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (number_ == 1 && text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    out.text = text;
}

bool line_reader::next(line& out) {
    carry_.clear();
    carry_length_ = 0;
    bool spans_blocks = false;
    for (;;) {
        if (block_.empty() && !fetch()) {
            if (!spans_blocks) return false;
            break;  // the last line has no line break
        }
        const void* nl = std::memchr(block_.data(), '\n', block_.size());
        const std::size_t n =
            nl != nullptr ? static_cast<std::size_t>(static_cast<const char*>(nl) - block_.data()) : block_.size();
        if (nl != nullptr && !spans_blocks && n <= max_) {
            // The common case: the whole line lies in the block; no copy.
            finish(out, block_.substr(0, n));
            block_.remove_prefix(n + 1);
            return true;
        }
        append_capped(block_.substr(0, n));
        spans_blocks = true;
        block_.remove_prefix(nl != nullptr ? n + 1 : n);
        if (nl != nullptr) break;
    }
    finish(out, carry_);
    out.length = carry_length_;
    out.too_long = carry_length_ > max_;
    return true;
}

}  // namespace tsbatch::ingest
