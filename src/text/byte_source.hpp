#pragma once
// Streaming input: the bytes of a file or of a memory buffer in fixed-size blocks,
// gunzipped on the fly when they start with the gzip magic. Memory: one block (plus, for
// gzip, one block of inflated output and zlib's 32 KiB window), whatever the file size.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace tsbatch::text {

constexpr std::size_t default_block_size = std::size_t{1} << 20;

/// A sequence of byte blocks. Errors (unreadable file, corrupt gzip) throw input_error
/// naming the input.
class byte_source {
public:
    virtual ~byte_source() = default;
    /// The next block; empty at the end of the input. Valid until the next call.
    virtual std::string_view next() = 0;
    /// The name used in messages (the path, or the name given to a memory input).
    virtual const std::string& name() const = 0;
};

/// Opens `path` for reading in blocks of `block_size` bytes; gunzips (multi-member gzip
/// allowed) when the file starts with 1f 8b. Throws input_error when it cannot be opened.
std::unique_ptr<byte_source> open_file(const std::string& path, std::size_t block_size = default_block_size);

/// The same over bytes in memory (not copied: `data` must outlive the source), handed out in
/// blocks of `block_size` bytes so block boundaries can be exercised (tests, fuzzing).
std::unique_ptr<byte_source> open_memory(std::string name, std::string_view data,
                                         std::size_t block_size = default_block_size);

}  // namespace tsbatch::text
