// The matrix profile tile loop (contract in matrix_profile.hpp).
//
// A tile is walked in groups of W neighbouring diagonals, one vector lane per diagonal, row
// by row: for row i the W cells (i, i+d0) .. (i, i+d0+W-1) read W consecutive column values,
// so each column quantity is one vector load. Two things keep a row at a few instructions:
// * The row's best candidate needs a horizontal maximum, taken only when some lane beats the
//   row's current best: rare once the row has met a few good candidates.
// * The W column bests stay in registers while the group moves down: from row i to i + 1
//   the lanes move one column right, so lane 0's column is finished (stored) and one new
//   column enters lane W-1 (loaded). Storing and reloading the overlapping vector instead
//   stalled every row on store-to-load forwarding.
// Each diagonal of a group first runs alone (scalar) down to the first row where all W
// lanes are inside the tile, and again after the last such row.
//
// The loop is instantiated twice: for correlations (z-normalised) and for plain Euclidean
// scores (normalize: false), which differ in the cell's score only.
//
// Widths: AVX-512 (4 vectors of 8 lanes) and AVX2 (4 of 4) with intrinsics, picked at run time; without them
// every diagonal runs scalar. Every cell gets the same operations in the same order in all
// three (no fused multiply-add: -ffp-contract=off, and no FMA intrinsics), so the bits do
// not depend on the CPU's vector width; tests compare them.
#include <algorithm>
#include <cstdint>

#include "algo/kernels/matrix_profile.hpp"
#include "algo/kernels/vector_lanes.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
// GCC 12's AVX-512 intrinsics start some results from an "undefined" register that it then
// reports as maybe uninitialised in every caller (a false positive of the header itself).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif

namespace tsbatch {
namespace {

// The centred covariance of window i of `a` and window j of `b`, from scratch: eight
// independent partial sums in a fixed order (explicit lanes, not left to the compiler), so
// the bits are the same on every machine and the dot runs at vector speed.
double exact_covariance(const window_stats& a, std::uint64_t i, const window_stats& b, std::uint64_t j) {
    using namespace detail;
    const std::size_t m = a.m;
    const double* x = a.clean.data() + i;
    const double* y = b.clean.data() + j;
    const vec_d mx = splat(a.mean[i]);
    const vec_d my = splat(b.mean[j]);
    vec_d acc[unroll];
    for (auto& v : acc) v = splat(0.0);
    const std::size_t nv = m - m % vec_step;
    for (std::size_t k = 0; k < nv; k += vec_step)
        for (std::size_t u = 0; u < unroll; ++u)
            acc[u] += (load(x + k + u * vec_n) - mx) * (load(y + k + u * vec_n) - my);
    double s = lane_sum(acc);
    for (std::size_t k = nv; k < m; ++k) s += (x[k] - a.mean[i]) * (y[k] - b.mean[j]);
    return s;
}

// Everything the loop reads and writes, as raw pointers indexed by global window number.
struct tile_job {
    const double* inv_a;
    const double* df_a;
    const double* dg_a;
    const double* inv_b;
    const double* df_b;
    const double* dg_b;
    // Plain Euclidean distances only (score -d^2/2 = cov + mean_a m mean_b - half_a - half_b).
    const double* mean_a;
    const double* half_a;
    const double* scaled_mean_b;
    const double* half_b;
    double* row_score;  // indexed by row window (the part's storage offset by -row0)
    std::int64_t* row_index;
    double* col_score;  // null without column updates (AB-join)
    std::int64_t* col_index;
};

// The score of cell (i, j) from its covariance: the correlation (z-normalised, Z) or minus
// half the squared Euclidean distance (plain). Higher is nearer in both.
template <bool Z>
inline double cell_score(const tile_job& job, std::int64_t i, std::int64_t j, double cov) {
    if constexpr (Z)
        return (cov * job.inv_a[i]) * job.inv_b[j];
    else
        return ((cov + job.mean_a[i] * job.scaled_mean_b[j]) - job.half_a[i]) - job.half_b[j];
}

// One cell, scalar: the operations of one lane of the vector loops, in the same order.
template <bool Z>
inline void scalar_cell(const tile_job& job, std::int64_t i, std::int64_t j, double& cov) {
    const double c = cell_score<Z>(job, i, j, cov);
    if (mp_better(c, j, job.row_score[i], job.row_index[i])) {
        job.row_score[i] = c;
        job.row_index[i] = j;
    }
    if (job.col_score && mp_better(c, i, job.col_score[j], job.col_index[j])) {
        job.col_score[j] = c;
        job.col_index[j] = i;
    }
    cov = cov + ((job.df_a[i] * job.dg_b[j]) + (job.df_b[j] * job.dg_a[i]));
}

// Rows [from, to) of diagonal d, scalar, starting from `cov` at row `from`.
template <bool Z>
inline double scalar_run(const tile_job& job, std::int64_t d, std::int64_t from, std::int64_t to, double cov) {
    for (std::int64_t i = from; i < to; ++i) scalar_cell<Z>(job, i, i + d, cov);
    return cov;
}

// Row i's best among the lanes' scores `c` (lane k = column jb + k): a strictly higher score
// than the current one wins, and among equal lanes the first, since every column of this
// group is above the ones row i has met before in this tile.
inline void take_row_best(const tile_job& job, std::int64_t i, std::int64_t jb, const double* c, int lanes) {
    double top = job.row_score[i];
    int at = -1;
    for (int k = 0; k < lanes; ++k)
        if (c[k] > top) {
            top = c[k];
            at = k;
        }
    if (at >= 0) {
        job.row_score[i] = top;
        job.row_index[i] = jb + at;
    }
}

// Rows [ia, ib) of the diagonals d0 .. d0+W-1, all inside the tile; cov[k] holds lane k's
// covariance at row ia and is left at row ib.
// The job comes by value: a local copy, so the compiler keeps its pointers in registers
// across the loop's stores instead of reloading them.
using rows_fn = void (*)(tile_job, std::int64_t d0, std::int64_t ia, std::int64_t ib, double* cov);
constexpr int max_lanes = 64;

#if defined(__x86_64__)
// G vectors of 8 lanes side by side: 8G diagonals. The column bests of vector g+1's lane 0
// move into vector g's lane 7, so the G vectors form one register window of 8G columns; G
// independent dependency chains (compare, blend, shift) hide each other's latency.
template <int G, bool Z>
__attribute__((target("avx512f"))) void rows_avx512(tile_job job, std::int64_t d0, std::int64_t ia,
                                                    std::int64_t ib, double* cov_io) {
    constexpr int W = 8 * G;
    const auto [inv_a, df_a, dg_a, inv_b, df_b, dg_b, mean_a, half_a, scaled_mean_b, half_b, row_score, row_index,
                col_score, col_index] = job;
    (void)row_index;
    __m512d cov[G], ps[G];
    __m512i pi[G];
    std::int64_t jb = ia + d0;
    for (int g = 0; g < G; ++g) {
        cov[g] = _mm512_loadu_pd(cov_io + 8 * g);
        ps[g] = col_score ? _mm512_loadu_pd(col_score + jb + 8 * g) : _mm512_setzero_pd();
        pi[g] = col_score ? _mm512_loadu_si512(col_index + jb + 8 * g) : _mm512_setzero_si512();
    }
    alignas(64) double c_lanes[W];
    for (std::int64_t i = ia; i < ib; ++i, ++jb) {
        const __m512d ra = _mm512_set1_pd(Z ? inv_a[i] : mean_a[i]);
        const __m512d ha = _mm512_set1_pd(Z ? 0.0 : half_a[i]);
        const __m512d best = _mm512_set1_pd(row_score[i]);
        __m512d c[G];
        __mmask8 beats = 0;
        for (int g = 0; g < G; ++g) {
            if constexpr (Z)
                c[g] = _mm512_mul_pd(_mm512_mul_pd(cov[g], ra), _mm512_loadu_pd(inv_b + jb + 8 * g));
            else
                c[g] = _mm512_sub_pd(
                    _mm512_sub_pd(_mm512_add_pd(cov[g], _mm512_mul_pd(ra, _mm512_loadu_pd(scaled_mean_b + jb + 8 * g))),
                                  ha),
                    _mm512_loadu_pd(half_b + jb + 8 * g));
            beats |= _mm512_cmp_pd_mask(c[g], best, _CMP_GT_OQ);
        }
        if (beats) {
            for (int g = 0; g < G; ++g) _mm512_store_pd(c_lanes + 8 * g, c[g]);
            take_row_best(job, i, jb, c_lanes, W);
        }
        if (col_score) {
            const __m512i row = _mm512_set1_epi64(i);
            for (int g = 0; g < G; ++g) {
                const __mmask8 take = _mm512_cmp_pd_mask(c[g], ps[g], _CMP_GT_OQ) |
                                      (_mm512_cmp_pd_mask(c[g], ps[g], _CMP_EQ_OQ) & _mm512_cmplt_epi64_mask(row, pi[g]));
                ps[g] = _mm512_mask_blend_pd(take, ps[g], c[g]);
                pi[g] = _mm512_mask_blend_epi64(take, pi[g], row);
            }
            if (i + 1 < ib) {
                // Column jb is done: store it, move the window one column right.
                col_score[jb] = _mm512_cvtsd_f64(ps[0]);
                col_index[jb] = _mm_cvtsi128_si64(_mm512_castsi512_si128(pi[0]));
                for (int g = 0; g + 1 < G; ++g) {
                    ps[g] = _mm512_castsi512_pd(
                        _mm512_alignr_epi64(_mm512_castpd_si512(ps[g + 1]), _mm512_castpd_si512(ps[g]), 1));
                    pi[g] = _mm512_alignr_epi64(pi[g + 1], pi[g], 1);
                }
                ps[G - 1] = _mm512_castsi512_pd(_mm512_alignr_epi64(
                    _mm512_castpd_si512(_mm512_set1_pd(col_score[jb + W])), _mm512_castpd_si512(ps[G - 1]), 1));
                pi[G - 1] = _mm512_alignr_epi64(_mm512_set1_epi64(col_index[jb + W]), pi[G - 1], 1);
            }
        }
        const __m512d fa = _mm512_set1_pd(df_a[i]);
        const __m512d ga = _mm512_set1_pd(dg_a[i]);
        for (int g = 0; g < G; ++g) {
            const __m512d up = _mm512_add_pd(_mm512_mul_pd(fa, _mm512_loadu_pd(dg_b + jb + 8 * g)),
                                             _mm512_mul_pd(_mm512_loadu_pd(df_b + jb + 8 * g), ga));
            cov[g] = _mm512_add_pd(cov[g], up);
        }
    }
    for (int g = 0; g < G; ++g) {
        if (col_score) {
            _mm512_storeu_pd(col_score + jb - 1 + 8 * g, ps[g]);
            _mm512_storeu_si512(col_index + jb - 1 + 8 * g, pi[g]);
        }
        _mm512_storeu_pd(cov_io + 8 * g, cov[g]);
    }
}

// The same with 4-lane vectors.
template <int G, bool Z>
__attribute__((target("avx2"))) void rows_avx2(tile_job job, std::int64_t d0, std::int64_t ia,
                                               std::int64_t ib, double* cov_io) {
    constexpr int W = 4 * G;
    const auto [inv_a, df_a, dg_a, inv_b, df_b, dg_b, mean_a, half_a, scaled_mean_b, half_b, row_score, row_index,
                col_score, col_index] = job;
    (void)row_index;
    __m256d cov[G], ps[G], pi[G];  // pi: int64 bits in double registers, for the blends
    std::int64_t jb = ia + d0;
    for (int g = 0; g < G; ++g) {
        cov[g] = _mm256_loadu_pd(cov_io + 4 * g);
        ps[g] = col_score ? _mm256_loadu_pd(col_score + jb + 4 * g) : _mm256_setzero_pd();
        pi[g] = col_score ? _mm256_castsi256_pd(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(col_index + jb + 4 * g)))
                          : _mm256_setzero_pd();
    }
    alignas(32) double c_lanes[W];
    for (std::int64_t i = ia; i < ib; ++i, ++jb) {
        const __m256d ra = _mm256_set1_pd(Z ? inv_a[i] : mean_a[i]);
        const __m256d ha = _mm256_set1_pd(Z ? 0.0 : half_a[i]);
        const __m256d best = _mm256_set1_pd(row_score[i]);
        __m256d c[G];
        __m256d beats = _mm256_setzero_pd();
        for (int g = 0; g < G; ++g) {
            if constexpr (Z)
                c[g] = _mm256_mul_pd(_mm256_mul_pd(cov[g], ra), _mm256_loadu_pd(inv_b + jb + 4 * g));
            else
                c[g] = _mm256_sub_pd(
                    _mm256_sub_pd(_mm256_add_pd(cov[g], _mm256_mul_pd(ra, _mm256_loadu_pd(scaled_mean_b + jb + 4 * g))),
                                  ha),
                    _mm256_loadu_pd(half_b + jb + 4 * g));
            beats = _mm256_or_pd(beats, _mm256_cmp_pd(c[g], best, _CMP_GT_OQ));
        }
        if (_mm256_movemask_pd(beats)) {
            for (int g = 0; g < G; ++g) _mm256_store_pd(c_lanes + 4 * g, c[g]);
            take_row_best(job, i, jb, c_lanes, W);
        }
        if (col_score) {
            const __m256i row = _mm256_set1_epi64x(i);
            for (int g = 0; g < G; ++g) {
                const __m256d smaller = _mm256_castsi256_pd(_mm256_cmpgt_epi64(_mm256_castpd_si256(pi[g]), row));
                const __m256d take = _mm256_or_pd(_mm256_cmp_pd(c[g], ps[g], _CMP_GT_OQ),
                                                  _mm256_and_pd(_mm256_cmp_pd(c[g], ps[g], _CMP_EQ_OQ), smaller));
                ps[g] = _mm256_blendv_pd(ps[g], c[g], take);
                pi[g] = _mm256_blendv_pd(pi[g], _mm256_castsi256_pd(row), take);
            }
            if (i + 1 < ib) {
                col_score[jb] = _mm256_cvtsd_f64(ps[0]);
                col_index[jb] = _mm_cvtsi128_si64(_mm256_castsi256_si128(_mm256_castpd_si256(pi[0])));
                // Lanes (1, 2, 3, 0) of each vector, then the next vector's lane 0 into lane 3.
                for (int g = 0; g < G; ++g) {
                    const __m256d next_s = g + 1 < G ? ps[g + 1] : _mm256_set1_pd(col_score[jb + W]);
                    const __m256d next_i =
                        g + 1 < G ? pi[g + 1] : _mm256_castsi256_pd(_mm256_set1_epi64x(col_index[jb + W]));
                    ps[g] = _mm256_blend_pd(_mm256_permute4x64_pd(ps[g], 0x39), _mm256_permute4x64_pd(next_s, 0x00), 0x8);
                    pi[g] = _mm256_blend_pd(_mm256_permute4x64_pd(pi[g], 0x39), _mm256_permute4x64_pd(next_i, 0x00), 0x8);
                }
            }
        }
        const __m256d fa = _mm256_set1_pd(df_a[i]);
        const __m256d ga = _mm256_set1_pd(dg_a[i]);
        for (int g = 0; g < G; ++g) {
            const __m256d up = _mm256_add_pd(_mm256_mul_pd(fa, _mm256_loadu_pd(dg_b + jb + 4 * g)),
                                             _mm256_mul_pd(_mm256_loadu_pd(df_b + jb + 4 * g), ga));
            cov[g] = _mm256_add_pd(cov[g], up);
        }
    }
    for (int g = 0; g < G; ++g) {
        if (col_score) {
            _mm256_storeu_pd(col_score + jb - 1 + 4 * g, ps[g]);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(col_index + jb - 1 + 4 * g), _mm256_castpd_si256(pi[g]));
        }
        _mm256_storeu_pd(cov_io + 4 * g, cov[g]);
    }
}

// Vectors per lane group: enough independent chains to hide the compare-blend-shift latency.
constexpr int avx512_vectors = 4;
constexpr int avx2_vectors = 4;
#endif

// Walks tile `t` in groups of `lanes` diagonals; `rows` runs the part of a group where every
// lane is inside the tile (null: everything scalar).
template <bool Z>
void walk_tile(const window_stats& a, const window_stats& b, const mp_tile& t, const tile_job& job, int lanes,
               rows_fn rows) {
    const auto r0 = static_cast<std::int64_t>(t.row0), r1 = static_cast<std::int64_t>(t.row1);
    const auto c0 = static_cast<std::int64_t>(t.col0), c1 = static_cast<std::int64_t>(t.col1);
    const std::int64_t d_lo = std::max(t.min_diag, c0 - (r1 - 1));
    const std::int64_t d_hi = c1 - 1 - r0;
    // Rows of diagonal d inside the tile: [first_row(d), end_row(d)); both fall as d grows.
    const auto first_row = [&](std::int64_t d) { return std::max(r0, c0 - d); };
    const auto end_row = [&](std::int64_t d) { return std::min(r1, c1 - d); };
    const auto start_cov = [&](std::int64_t d) {
        const std::int64_t i = first_row(d);
        return exact_covariance(a, static_cast<std::uint64_t>(i), b, static_cast<std::uint64_t>(i + d));
    };
    double cov[max_lanes];
    for (std::int64_t d0 = d_lo; d0 <= d_hi; d0 += lanes) {
        const std::int64_t last = std::min(d_hi, d0 + lanes - 1);
        const std::int64_t ia = first_row(d0);     // every lane has started by row ia
        const std::int64_t ib = end_row(last);     // and none has ended before row ib
        if (!rows || last - d0 + 1 < lanes || ib - ia < 1) {
            for (std::int64_t d = d0; d <= last; ++d)
                if (first_row(d) < end_row(d)) scalar_run<Z>(job, d, first_row(d), end_row(d), start_cov(d));
            continue;
        }
        for (int k = 0; k < lanes; ++k) cov[k] = scalar_run<Z>(job, d0 + k, first_row(d0 + k), ia, start_cov(d0 + k));
        rows(job, d0, ia, ib, cov);
        for (int k = 0; k < lanes; ++k) scalar_run<Z>(job, d0 + k, ib, end_row(d0 + k), cov[k]);
    }
}

}  // namespace

std::vector<int> tile_loop_widths() {
    std::vector<int> w{1};
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) w.push_back(4 * avx2_vectors);
    if (__builtin_cpu_supports("avx512f")) w.push_back(8 * avx512_vectors);
#endif
    return w;
}

void compute_tile_at_width(int lanes, const window_stats& a, const window_stats& b, const mp_tile& t,
                           profile_part& rows, profile_part* cols) {
    rows = profile_part(t.row0, t.row1 - t.row0);
    if (cols) *cols = profile_part(t.col0, t.col1 - t.col0);
    const auto r0 = static_cast<std::ptrdiff_t>(t.row0), c0 = static_cast<std::ptrdiff_t>(t.col0);
    const tile_job job{a.inv_norm.data(),
                       a.df.data(),
                       a.dg.data(),
                       b.inv_norm.data(),
                       b.df.data(),
                       b.dg.data(),
                       a.mean.data(),
                       a.half_square.data(),
                       b.scaled_mean.data(),
                       b.half_square.data(),
                       rows.score.data() - r0,
                       rows.index.data() - r0,
                       cols ? cols->score.data() - c0 : nullptr,
                       cols ? cols->index.data() - c0 : nullptr};
    const bool z = a.normalized;
    rows_fn fn = nullptr;
#if defined(__x86_64__)
    if (lanes == 8 * avx512_vectors) fn = z ? rows_avx512<avx512_vectors, true> : rows_avx512<avx512_vectors, false>;
    if (lanes == 4 * avx2_vectors) fn = z ? rows_avx2<avx2_vectors, true> : rows_avx2<avx2_vectors, false>;
#endif
    if (z)
        walk_tile<true>(a, b, t, job, fn ? lanes : 1, fn);
    else
        walk_tile<false>(a, b, t, job, fn ? lanes : 1, fn);
}

void compute_tile(const window_stats& a, const window_stats& b, const mp_tile& t, profile_part& rows,
                  profile_part* cols) {
    static const int lanes = tile_loop_widths().back();
    compute_tile_at_width(lanes, a, b, t, rows, cols);
}

}  // namespace tsbatch
