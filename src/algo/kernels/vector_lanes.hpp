#pragma once
// Explicit vector lanes for reductions in the operator kernels (quality_stats, resample).
//
// Without -ffast-math the compiler may not reorder a floating-point sum, so it never
// vectorises a plain reduction loop; explicit vectors (GCC/Clang extension) give independent
// lanes whose sums are combined only at the end of a block. 16-byte vectors map to SSE2 on
// baseline x86-64 and NEON on AArch64 (32-byte ones ran 4x slower without AVX: GCC splits
// them through memory); four accumulators hide the add latency.
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tsbatch::detail {

using vec_d = double __attribute__((vector_size(16)));
using vec_mask = std::int64_t __attribute__((vector_size(16)));
constexpr std::size_t vec_n = 2;
constexpr std::size_t unroll = 4;
constexpr std::size_t vec_step = vec_n * unroll;

inline vec_d load(const double* p) noexcept {
    vec_d x;
    std::memcpy(&x, p, sizeof x);
    return x;
}

inline vec_d splat(double x) noexcept { return vec_d{x, x}; }

/// Sum of every lane of every accumulator, in a fixed order (results are reproducible).
inline double lane_sum(const vec_d (&a)[unroll]) noexcept {
    double s = 0.0;
    for (std::size_t u = 0; u < unroll; ++u)
        for (std::size_t j = 0; j < vec_n; ++j) s += a[u][j];
    return s;
}

}  // namespace tsbatch::detail
