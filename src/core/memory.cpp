#include "core/memory.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

#if defined(__linux__)
#include <sys/mman.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tsbatch {

void advise_huge_pages(const void* p, std::size_t bytes) noexcept {
#if defined(MADV_HUGEPAGE)
    constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
    if (p == nullptr || bytes < 2 * huge) return;
    static const bool enabled = [] {
        const char* v = std::getenv("TSBATCH_HUGE_PAGES");
        return v == nullptr || std::string_view(v) != "0";
    }();
    if (!enabled) return;
    const auto begin = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
    const auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

void keep_freed_memory() noexcept {
#if defined(__GLIBC__)
    const char* v = std::getenv("TSBATCH_KEEP_MEMORY");
    if (v != nullptr && std::string_view(v) == "0") return;
    // Blocks up to 32 MiB (glibc's largest mmap threshold; a chunk's buffers are a few MiB)
    // come from the heap, whose freed pages are reused; bigger ones, such as outputs that grow
    // over a whole run, keep their own mappings, so that they leave no holes in the heap.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);  // give memory back only above 1 GiB free at the top
    mallopt(M_TOP_PAD, 64 << 20);        // grow the heap in 64 MiB steps, fewer brk calls
#endif
}

}  // namespace tsbatch
