#pragma once
// Large point buffers (hundreds of MB per rank) are touched once right after allocation.
// With 4 KiB pages the first touch costs a page fault per 256 points, which profiles showed
// to dominate reading a staged file from the page cache; transparent huge pages cut the
// faults 512-fold (reading 20 M points went from 0.21 s to 0.07 s).
#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace tsbatch {

/// Asks the kernel to back [p, p+bytes) with transparent huge pages where the system allows
/// it (THP "madvise" or "always"). A hint: does nothing for small ranges or on failure.
void advise_huge_pages(const void* p, std::size_t bytes) noexcept;

/// Tells the C library to keep the memory a run frees for its next allocations instead of
/// handing it back to the kernel: every chunk of a run allocates buffers of about the same
/// sizes, and memory fresh from the kernel costs a page fault per page on first touch, which
/// profiles showed to cost more than the kernels themselves. glibc only: blocks up to 32 MiB
/// come from the heap rather than mmap, and the heap is never trimmed, so a rank keeps its
/// high-water mark of chunk buffers; bigger blocks keep their own mappings, so that outputs
/// growing over a run leave no holes in the heap. TSBATCH_KEEP_MEMORY=0 turns it off.
void keep_freed_memory() noexcept;

/// reserve(n), then the hint on the whole capacity, before any element is touched.
template <class T, class Allocator>
void reserve_huge(std::vector<T, Allocator>& v, std::size_t n) {
    v.reserve(n);
    advise_huge_pages(v.data(), v.capacity() * sizeof(T));
}

/// An allocator whose vector leaves the elements resize() adds unset (default-initialised)
/// instead of zero-filling them: for a buffer of plain numbers that is written whole right
/// after, where zeroing first would write every page twice.
template <class T>
struct unset_on_resize : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = unset_on_resize<U>;
    };
    unset_on_resize() = default;
    template <class U>
    unset_on_resize(const unset_on_resize<U>&) noexcept {}
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        if constexpr (sizeof...(Args) == 0)
            ::new (static_cast<void*>(p)) U;
        else
            ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

}  // namespace tsbatch
