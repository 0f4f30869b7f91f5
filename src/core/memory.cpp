#include "core/memory.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

#if defined(__linux__)
#include <sys/mman.h>
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

}  // namespace tsbatch
