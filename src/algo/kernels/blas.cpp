#include "algo/kernels/blas.hpp"

#include <cblas.h>

#include <array>
#include <mutex>
#include <string_view>

namespace tsbatch {

void use_one_blas_thread() {
    static std::once_flag once;
    std::call_once(once, [] { openblas_set_num_threads(1); });
}

std::string blas_description() {
    const char* config = openblas_get_config();
    return config ? config : "OpenBLAS";
}

std::string blas_kernel_hint() {
    const char* core = openblas_get_corename();
    if (!core) return {};
    // OpenBLAS's x86-64 fallbacks: kernels of SSE2/SSE3 CPUs.
    constexpr std::array generic{"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Katmai", "Banias"};
    const std::string_view name(core);
    bool fallback = false;
    for (const char* g : generic) fallback = fallback || name == g;
    if (!fallback) return {};
    std::string better;
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx512f"))
        better = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        better = "Haswell";
#endif
    if (better.empty()) return {};
    return "OpenBLAS runs its generic " + std::string(name) + " kernels on this CPU, which can run its " + better +
           " ones: correlation's products take two to three times as long. Set OPENBLAS_CORETYPE=" + better +
           " to use them (README: determinism of correlation).";
}

}  // namespace tsbatch
