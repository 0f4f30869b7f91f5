#include "text/gzip_source.hpp"

#include <new>

#include "core/error.hpp"

namespace tsbatch::text {

namespace {
// 16 + MAX_WBITS: a gzip wrapper (header and CRC-32 trailer are checked), no raw deflate.
constexpr int gzip_window_bits = 16 + MAX_WBITS;
}  // namespace

gzip_source::gzip_source(std::unique_ptr<byte_source> inner, std::size_t block_size)
    : inner_(std::move(inner)), out_(std::make_unique_for_overwrite<char[]>(block_size)), block_size_(block_size) {
    const int rc = inflateInit2(&zs_, gzip_window_bits);
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    if (rc != Z_OK) fail("cannot start gzip decompression");
}

gzip_source::~gzip_source() {
    inflateEnd(&zs_);
}

std::uint64_t gzip_source::compressed_offset() const {
    return consumed_before_ + (block_in_ - zs_.avail_in);
}

void gzip_source::fail(const std::string& what) const {
    throw input_error(name() + ": " + what + " at compressed byte " + std::to_string(compressed_offset()));
}

// Fetches the next compressed block; false at the end of the input.
bool gzip_source::refill() {
    consumed_before_ += block_in_;
    const std::string_view block = inner_->next();
    block_in_ = block.size();
    // zlib's API is not const-correct; inflate() never writes through next_in.
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(block.data()));
    zs_.avail_in = static_cast<uInt>(block.size());
    return !block.empty();
}

std::string_view gzip_source::next() {
    if (finished_) return {};
    zs_.next_out = reinterpret_cast<Bytef*>(out_.get());
    zs_.avail_out = static_cast<uInt>(block_size_);
    while (zs_.avail_out == block_size_) {
        if (zs_.avail_in == 0 && !refill()) {
            // The end of the input is fine only between members.
            if (!member_done_) fail("truncated gzip data (the input ends inside a gzip member)");
            finished_ = true;
            break;
        }
        if (member_done_) {
            // More bytes after a complete member: another member must start here.
            if (static_cast<unsigned char>(*zs_.next_in) != 0x1FU)
                fail("unexpected data after the end of a gzip member");
            if (inflateReset(&zs_) != Z_OK) fail("cannot restart gzip decompression");
            member_done_ = false;
        }
        const int rc = inflate(&zs_, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            member_done_ = true;
        } else if (rc == Z_MEM_ERROR) {
            throw std::bad_alloc();
        } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR) {
            fail(std::string("corrupt gzip data (") + (zs_.msg != nullptr ? zs_.msg : "invalid stream") + ")");
        }
        // Z_BUF_ERROR only means no progress was possible with this input: fetch more.
    }
    return {out_.get(), block_size_ - zs_.avail_out};
}

}  // namespace tsbatch::text
