#pragma once
// Gunzips another byte source block by block (internal to byte_source: open_file and
// open_memory wrap a gzip stream in one).
#include <zlib.h>

#include <cstdint>
#include <memory>
#include <string>

#include "text/byte_source.hpp"

namespace tsbatch::text {

/// Inflates a gzip stream of one or more members (as `cat a.gz b.gz` makes). A truncated or
/// corrupt stream throws input_error naming the input and the compressed byte offset.
class gzip_source final : public byte_source {
public:
    gzip_source(std::unique_ptr<byte_source> inner, std::size_t block_size);
    ~gzip_source() override;
    gzip_source(const gzip_source&) = delete;
    gzip_source& operator=(const gzip_source&) = delete;

    std::string_view next() override;
    const std::string& name() const override { return inner_->name(); }

private:
    bool refill();
    [[noreturn]] void fail(const std::string& what) const;
    std::uint64_t compressed_offset() const;

    std::unique_ptr<byte_source> inner_;
    std::unique_ptr<char[]> out_;
    std::size_t block_size_;
    z_stream zs_{};
    std::uint64_t consumed_before_ = 0;  // compressed bytes of the blocks before the current one
    std::size_t block_in_ = 0;           // size of the current compressed block
    bool member_done_ = false;           // the last inflate() ended a gzip member
    bool finished_ = false;
};

}  // namespace tsbatch::text
