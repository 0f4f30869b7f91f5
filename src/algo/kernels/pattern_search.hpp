#pragma once
// Kernels of the dataset-wide `pattern_search` operator: the windows of every series of the
// run most similar to a query pattern, as a global top-k with an exclusion zone. One rank's
// search; algo/dataset/pattern_search.hpp merges the ranks' candidates into the global top-k.
//
// Distances. q is the pattern (m >= 2 finite values); a window is t[i..i+m) of a series t of
// n >= m points, i in [0, n-m]. znorm(v) = (v - mean(v)) / std(v) with the population std
// (ddof 0), and znorm of a constant v is all zeros (below). Both distances compare znorm(q)
// with znorm(window), so they ignore offset and scale:
// - euclidean_znorm: ||znorm(q) - znorm(w)||_2, computed by MASS: the sliding dot product of
//   znorm(q) with t by FFT (overlap-save blocks), the windows' rolling mean and std, and
//   d^2 = 2m (1 - corr) with 1 - corr clamped into [0, 2];
// - dtw: sqrt(DTW) where DTW is the minimum over warping paths of the sum of squared
//   differences (znorm(q)_a - znorm(w)_b)^2, with a Sakoe-Chiba band |a - b| <= r,
//   r = floor(band * m). band 0 is the Euclidean distance above; band 1 is unconstrained.
// Conventions:
// - A window holding a NaN or an infinity is not a candidate (its profile value is +inf).
// - A constant window or pattern is z-normalised to all zeros (STUMPY's convention): a constant
//   window against a non-constant pattern is at sqrt(m) (= ||znorm(q)||, for DTW too: every
//   path visits each index of the other sequence), a constant window against a constant pattern
//   at 0, and a constant pattern is at sqrt(m) from every non-constant window. These values are
//   exact (the sqrt of the integer m), not computed.
// - "Constant" means std <= 1e-13 * |mean|: spread below about 450 ulps of the level is
//   rounding noise (a resampled or averaged constant differs from itself by a few ulps), and
//   z-normalising it would turn that noise into a full-scale shape that matches anything.
//   Genuine variation that small does not survive being stored as doubles anyway (1e9 plus
//   noise of std 1e-3 is still 1e-12 relative, ten times above the threshold). A window of
//   exact zeros has std 0 and is constant.
//
// Numerical care (why the distances are accurate to about 1e-9 relative, or to a few ulps of
// sqrt(m) for near-exact matches, whatever the data):
// - Each series (and the pattern) is first scaled by a power of two (exact) so its largest
//   |value| is in [0.5, 1): z-normalised distances are scale-invariant, and no square can
//   overflow or lose digits to underflow, for values anywhere in the double range (subnormal
//   ones included).
// - The FFT sees t minus the mean of its finite values (non-finite values replaced by that
//   mean), so data like 1e9 + noise keeps its digits: the FFT's absolute error is relative to
//   the norm of its input. Since znorm(q) sums to zero this shift changes no dot product
//   (the rounding residue of that sum is corrected for explicitly).
// - Rolling mean and std: within blocks of m points, compensated (Neumaier) prefix and suffix
//   sums of the deviations from a local reference (the block's mean) and of their squares; a
//   window is a suffix of one block plus a prefix of the next. Errors are relative to the
//   window's own values, never to the rest of the series, and O(n) in all. When the
//   cancellation in var = E[(x-r)^2] - E[x-r]^2 could cost more than 1e-11 of var (the
//   window's mean is far from the reference), that window is recomputed by the corrected
//   two-pass formula. A window's mean is kept as a nearby reference plus a small offset, so
//   its deviations t_j - mean are accurate to its own spread: with the mean of 1e9 + noise
//   rounded to an ulp of 1e9, every z-normalised value would shift alike, which the
//   Euclidean distance ignores to first order but DTW does not.
// - The FFT error of each overlap-save block is bounded (a multiple of eps * log2(N) times the
//   norms of the block and of znorm(q)); a window whose d^2 from the FFT cannot be guaranteed
//   to 1e-9 relative (near-exact matches, whose d^2 = 2m(1 - corr) cancels, and windows much
//   quieter than their block) is recomputed directly as sum_j (znorm(q)_j - (t_j - mu)/sigma)^2
//   in O(m). On ordinary data only the near matches take that path.
// - DTW sums squared differences of the same z-normalised values in a fixed order.
//
// Top-k with an exclusion zone (exact, rank-invariant). Candidates are the windows with a
// finite distance, as (distance, series_row, start), series_row being global. Order: distance
// ascending (compared as the squared distance before the square root, so the order is strict
// even where two square roots round alike), then series_row, then start. Selection is greedy:
// take the best candidate; drop the candidates of the same series whose start s' has
// |s' - s| < exclusion; repeat until k picks or no candidates. exclusion 0 (or 1) drops
// nothing but the pick itself. The recommended exclusion is ceil(m / 2)
// (default_exclusion(m)): the trivial matches one step from a match are then never reported.
//
// Why the global answer is a merge of local answers: suppression never crosses series, so the
// greedy run restricted to one series is exactly the greedy run on that series alone (the
// picks in other series remove nothing from it); and at each step the global greedy takes the
// best head among all series' own greedy sequences. Every greedy sequence is increasing in the
// order (each pick is the minimum of a subset of what the previous one was the minimum of), so
// the global top-k is the k smallest elements of the union of each series' first k greedy
// picks. A series lives on one rank, so each rank merges its series' sequences and keeps k,
// every rank gathers every rank's k, and the k smallest of the gathered ones are the answer:
// the same bits on any number of ranks (per-series work depends only on the series).
//
// Exact pruning for DTW. A threshold T is safe when T >= the k-th pick's distance d_k: a
// window at a distance > T is never picked among the first k (picks come in increasing order)
// and a window never picked suppresses nothing, so removing it changes no pick. Safe T from
// seen candidates: let S be a set of candidates that are mutually compatible (pairwise in
// different series, or >= exclusion apart in one series). One pick drops at most 2 members of
// S (the members it drops lie within a span of 2*exclusion - 2 positions of one series, and
// three compatible members need a span of 2*exclusion), so after k-1 picks at least one of
// 2k-1 members is left, and every one of the first k picks is <= max(S): T = max(S) is safe
// once |S| = 2k-1 (k when exclusion <= 1, where a pick drops only itself). Each rank keeps such
// an S from the candidates it has computed (a new candidate better than max(S) enters, and
// replaces the members it conflicts with when it beats all of them), and prunes with its
// current T: the cascade LB_Kim (first and last points), LB_Keogh of the window against the
// envelope of znorm(q), LB_Keogh of znorm(q) against the window's envelope, then DTW with early
// abandoning when a row's minimum plus the lower bound of the rows or columns still to come
// exceeds T. Because bounds and distances are rounded sums, "exceeds" means by a relative
// margin of 16 m eps, larger than the rounding of either sum; and a window abandoned this way
// has a true distance > T, so every rank's local top-k, hence the answer, is the one an
// unpruned search gives, bit for bit (pattern_params::prune = false checks it).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/enum_names.hpp"
#include "core/series.hpp"

namespace tsbatch {

enum class pattern_distance { euclidean_znorm, dtw };
inline constexpr std::array pattern_distance_names{"euclidean_znorm", "dtw"};  // enum order

inline const char* to_string(pattern_distance d) noexcept {
    return enum_name(d, pattern_distance_names);
}

struct pattern_params {
    pattern_distance distance = pattern_distance::euclidean_znorm;
    double band = 0.1;          ///< dtw: Sakoe-Chiba half-width floor(band * m), band in [0, 1]
    std::size_t top_k = 10;     ///< >= 1
    std::size_t exclusion = 0;  ///< |start - s| < exclusion is suppressed; recommended default_exclusion(m)
    bool prune = true;          ///< dtw: lower bounds and early abandoning (never changes the result)
};

/// The recommended exclusion zone for a pattern of m points: ceil(m / 2).
constexpr std::size_t default_exclusion(std::size_t m) noexcept {
    return m / 2 + m % 2;
}

/// The DTW band half-width floor(band * m) (m - 1 at most).
std::size_t dtw_band_width(std::size_t m, double band) noexcept;

/// One match of the global top-k.
struct pattern_match {
    std::uint64_t series_row = 0;  ///< global row (first_row + local index)
    std::uint64_t start = 0;       ///< index of the window's first point in its series
    std::int64_t start_time = 0;   ///< time of the window's first point
    std::int64_t end_time = 0;     ///< time of the window's last point
    double distance = 0.0;
};

/// Throws param_error naming the parameter: a pattern of fewer than 2 points or with a
/// non-finite value ("pattern"), top_k 0 ("top_k"), band outside [0, 1] ("band").
void check_pattern_params(std::span<const double> pattern, const pattern_params& p);

/// The distance of every window of one series to the pattern (p.distance and p.band; no
/// pruning): n - m + 1 values, +inf for windows that are not candidates; empty when the
/// series is shorter than the pattern. Checks the parameters.
std::vector<double> distance_profile(std::span<const double> values, std::span<const double> pattern,
                                     const pattern_params& p);

/// DTW of two sequences of equal length as they are (no normalisation): the square root of
/// the minimal sum of squared differences along a warping path within the band |a - b| <= r.
/// For tests and for callers that normalise themselves. Throws std::invalid_argument when the
/// lengths differ or are 0.
double dtw_distance(std::span<const double> a, std::span<const double> b, std::size_t r);

/// What one rank's search did (for tests, benchmarks and reports; no effect on the result).
struct pattern_search_stats {
    std::uint64_t windows = 0;     ///< windows of the series at least m long
    std::uint64_t candidates = 0;  ///< windows with a finite distance computed in full
    std::uint64_t direct = 0;      ///< euclidean_znorm: distances recomputed in O(m) (see accuracy)
    std::uint64_t pruned = 0;      ///< dtw: windows dropped by a lower bound
    std::uint64_t abandoned = 0;   ///< dtw: DTW computations abandoned early
};

/// A match before the square root, as the ranks exchange them: ordering by d2 rather than
/// by the rounded distance keeps ties, and so the top-k, exactly as one rank would find them.
struct pattern_candidate {
    double d2 = 0.0;  ///< squared distance
    std::uint64_t row = 0;
    std::uint64_t start = 0;
    std::int64_t start_time = 0;
    std::int64_t end_time = 0;
};

/// The order of the top-k: smaller d2, then smaller row, then smaller start.
bool candidate_before(const pattern_candidate& a, const pattern_candidate& b) noexcept;

/// The match a candidate stands for (distance = sqrt(d2)).
pattern_match to_match(const pattern_candidate& c) noexcept;

/// This rank's greedy top-k (at most p.top_k candidates, in candidate_before order) over
/// `series`, whose global rows are first_row, first_row + 1, ...; series shorter than the
/// pattern are skipped. The global top-k is the p.top_k first of the union of every rank's
/// lists. Expects checked parameters (check_pattern_params). `stats`, when given, receives
/// the counts.
std::vector<pattern_candidate> local_pattern_candidates(std::span<const series_view> series, std::uint64_t first_row,
                                                        std::span<const double> pattern, const pattern_params& p,
                                                        pattern_search_stats* stats = nullptr);

}  // namespace tsbatch
