#include "text/byte_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "text/gzip_source.hpp"

namespace tsbatch::text {
namespace {

constexpr unsigned char gzip_magic[2] = {0x1F, 0x8B};

bool starts_with_gzip_magic(std::string_view head) {
    return head.size() >= 2 && static_cast<unsigned char>(head[0]) == gzip_magic[0] &&
           static_cast<unsigned char>(head[1]) == gzip_magic[1];
}

std::size_t checked_block_size(std::size_t block_size) {
    // zlib counts in 32-bit unsigned ints.
    constexpr std::size_t max_block = std::size_t{1} << 30;
    return std::clamp<std::size_t>(block_size, 1, max_block);
}

class file_source final : public byte_source {
public:
    // Takes ownership of `fd`; the buffer is allocated by the caller first, so nothing here
    // can throw and leak the descriptor.
    file_source(std::string path, int fd, std::unique_ptr<char[]> buf, std::size_t block_size) noexcept
        : path_(std::move(path)), fd_(fd), buf_(std::move(buf)), size_(block_size) {}
    ~file_source() override { ::close(fd_); }
    file_source(const file_source&) = delete;
    file_source& operator=(const file_source&) = delete;

    // Fills the whole block unless the file ends, so blocks have a fixed size.
    std::string_view next() override {
        std::size_t got = 0;
        while (got < size_) {
            const ssize_t n = ::read(fd_, buf_.get() + got, size_ - got);
            if (n == 0) break;
            if (n < 0) {
                if (errno == EINTR) continue;
                throw input_error(path_ + ": cannot read: " + std::strerror(errno));
            }
            got += static_cast<std::size_t>(n);
        }
        return {buf_.get(), got};
    }
    const std::string& name() const override { return path_; }

private:
    std::string path_;
    int fd_;
    std::unique_ptr<char[]> buf_;
    std::size_t size_;
};

class memory_source final : public byte_source {
public:
    memory_source(std::string name, std::string_view data, std::size_t block_size)
        : name_(std::move(name)), data_(data), block_(block_size) {}

    std::string_view next() override {
        const std::string_view out = data_.substr(0, block_);
        data_.remove_prefix(out.size());
        return out;
    }
    const std::string& name() const override { return name_; }

private:
    std::string name_;
    std::string_view data_;
    std::size_t block_;
};

// Reads the first two bytes without consuming them (pread leaves the file offset alone).
std::string read_head(int fd, const std::string& path) {
    char head[2];
    ssize_t n = 0;
    do n = ::pread(fd, head, sizeof head, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw input_error(path + ": cannot read: " + std::strerror(errno));
    return {head, static_cast<std::size_t>(n)};
}

}  // namespace

std::unique_ptr<byte_source> open_file(const std::string& path, std::size_t block_size) {
    block_size = checked_block_size(block_size);
    auto buf = std::make_unique_for_overwrite<char[]>(block_size);
    std::string name = path;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw input_error(path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        throw input_error(path + ": is a directory, not a file");
    }
    std::string head;
    try {
        head = read_head(fd, path);
    } catch (...) {
        ::close(fd);
        throw;
    }
    std::unique_ptr<byte_source> raw;
    try {
        raw = std::make_unique<file_source>(std::move(name), fd, std::move(buf), block_size);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (starts_with_gzip_magic(head)) return std::make_unique<gzip_source>(std::move(raw), block_size);
    return raw;
}

std::unique_ptr<byte_source> open_memory(std::string name, std::string_view data, std::size_t block_size) {
    block_size = checked_block_size(block_size);
    const bool gz = starts_with_gzip_magic(data);
    std::unique_ptr<byte_source> raw = std::make_unique<memory_source>(std::move(name), data, block_size);
    if (gz) return std::make_unique<gzip_source>(std::move(raw), block_size);
    return raw;
}

}  // namespace tsbatch::text
