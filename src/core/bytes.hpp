#pragma once
// Plain values and arrays as bytes, for messages between the ranks of one job and for the
// checkpoint's chunk files: a value is its bytes in host order, an array or a text is its
// count (uint64) and then its items. Both ends are this program on one kind of machine.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/memory.hpp"

namespace tsbatch {

/// Appends values and arrays to a byte buffer.
class byte_writer {
public:
    template <class T>
    void pod(const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        const auto* p = reinterpret_cast<const std::byte*>(&v);
        bytes_.insert(bytes_.end(), p, p + sizeof v);
    }
    template <class T>
    void array(std::span<const T> v) {
        pod(static_cast<std::uint64_t>(v.size()));
        items(v);
    }
    /// Items without their count: an array written in pieces after its count (the sum of
    /// the pieces' sizes), read back with byte_reader::array().
    template <class T>
    void items(std::span<const T> v) {
        static_assert(std::is_trivially_copyable_v<T>);
        const auto* p = reinterpret_cast<const std::byte*>(v.data());
        bytes_.insert(bytes_.end(), p, p + v.size_bytes());
    }
    template <class T>
    void array(const std::vector<T>& v) {
        array(std::span<const T>(v));
    }
    void text(const std::string& s) { array(std::span<const char>(s.data(), s.size())); }
    void reserve(std::size_t n) { bytes_.reserve(n); }
    /// reserve() with the huge-page hint, for a buffer of hundreds of MB filled once (a block
    /// of series passed between ranks), so that filling it does not fault page by page.
    void reserve_huge(std::size_t n) { tsbatch::reserve_huge(bytes_, n); }
    std::size_t size() const noexcept { return bytes_.size(); }
    std::vector<std::byte> take() { return std::move(bytes_); }

private:
    std::vector<std::byte> bytes_;
};

/// Reads what a byte_writer wrote, in the same order. Bytes that end before a value does, or
/// a count larger than what is left, call `damaged`, which throws: by default an
/// internal_error (a message between ranks is never short); a reader of files passes its own.
class byte_reader {
public:
    using damaged_handler = std::function<void()>;

    explicit byte_reader(std::span<const std::byte> bytes, damaged_handler damaged = nullptr)
        : in_(bytes), damaged_(std::move(damaged)) {}
    byte_reader(std::string_view bytes, damaged_handler damaged)
        : byte_reader(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())), std::move(damaged)) {}

    template <class T>
    T pod() {
        static_assert(std::is_trivially_copyable_v<T>);
        T v;
        if (sizeof v > in_.size() - pos_) damaged();
        std::memcpy(&v, in_.data() + pos_, sizeof v);
        pos_ += sizeof v;
        return v;
    }
    template <class T>
    std::vector<T> array() {
        const auto n = count(sizeof(T));
        std::vector<T> v(n);
        if (n) std::memcpy(v.data(), in_.data() + pos_, n * sizeof(T));
        pos_ += n * sizeof(T);
        return v;
    }
    /// The next array read where it lies, without a copy: the view lives as long as the
    /// bytes. The writer must have put its items on a multiple of sizeof(T) (an internal
    /// error otherwise).
    template <class T>
    std::span<const T> view_array() {
        static_assert(std::is_trivially_copyable_v<T>);
        const auto n = count(sizeof(T));
        const std::byte* at = in_.data() + pos_;
        if (n != 0 && reinterpret_cast<std::uintptr_t>(at) % alignof(T) != 0)
            throw internal_error("byte_reader: an array viewed in place is not aligned");
        pos_ += n * sizeof(T);
        return {reinterpret_cast<const T*>(at), n};
    }
    std::string text() {
        const auto n = count(1);
        std::string s(reinterpret_cast<const char*>(in_.data()) + pos_, n);
        pos_ += n;
        return s;
    }
    /// A count of items of `item_bytes` each that must still fit in what is left (0: any).
    std::size_t count(std::size_t item_bytes) {
        const auto n = pod<std::uint64_t>();
        if (item_bytes != 0 && n > (in_.size() - pos_) / item_bytes) damaged();
        return static_cast<std::size_t>(n);
    }
    bool at_end() const noexcept { return pos_ == in_.size(); }
    /// Reports damaged input (the handler's error); never returns.
    [[noreturn]] void damaged() const {
        if (damaged_) damaged_();
        throw internal_error("byte_reader: message shorter than its contents");
    }

private:
    std::span<const std::byte> in_;
    std::size_t pos_ = 0;
    damaged_handler damaged_;
};

}  // namespace tsbatch
