#pragma once
// Kernels of the dataset-wide `correlation` operator: pairing two series, Pearson and
// Spearman on the pairs, lagged correlation, and a block kernel for tiles of the N x N matrix.
// No MPI here: the distributed operator hands each rank its tiles.
//
// Pairing (corr_align):
// - timestamps (default): a merge join over the two (strictly increasing) time axes; only
//   equal timestamps pair up. The "aligned sequence" is the list of common timestamps with
//   both values, NaN kept.
// - index (IKATS's behaviour): the i-th point of x with the i-th point of y, for i below the
//   shorter length; timestamps are ignored.
// A pair with NaN in either value is dropped from every correlation (pairwise deletion).
//
// Lag (max_lag = L > 0): for each k in [-L, L], element x_i of the aligned sequence pairs with
// y_{i+k} (positive k: y follows x by k steps, e.g. rainfall x -> groundwater y). A lag is
// a number of positions in the aligned sequence, not a duration: it means "k sampling
// periods" only when both series sit on the same regular grid, so resample both first when
// lags matter. A position whose x or y value is NaN is dropped from that lag's pairs but keeps
// its place, so NaN never shifts the other values. Lag 0 gives exactly the unlagged result.
// The best lag has the maximal |r| among lags with status ok; ties go to the smallest |k|,
// then to the negative k. When no lag is ok, best is the lag-0 result at lag 0.
//
// Status (why a result is NaN; callers count them):
// - too_little_overlap: fewer than max(min_overlap, 2) pairs;
// - zero_variance: all x values, or all y values, of the pairs are equal (exact test, so a
//   constant series never gives a spurious r from the rounding of its mean);
// - non_finite: Pearson on pairs holding +-inf (Spearman ranks infinities like any value).
//
// Pearson: the two-pass corrected algorithm (means, then deviations, minus the first-order
// correction for the rounding of the means), so data like 1e9 + small noise keeps its digits.
// When sums of squares would overflow or underflow, the values are scaled by powers of two
// (exact) and the sums recomputed. r is clamped to [-1, 1]. r(x, y) and r(y, x) are the same
// bits, and r(x, x) is exactly 1.
// Spearman: Pearson on the average ranks (ties share the mean of their ranks), as
// scipy.stats.spearmanr.
//
// Determinism: every result depends only on the two series and the parameters; the block
// kernel runs the very same code per pair, so any tiling of the matrix gives the same bits.
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "core/enum_names.hpp"
#include "core/series.hpp"

namespace tsbatch {

enum class corr_method { pearson, spearman };
enum class corr_align { timestamps, index };
// Their names, in enum order (the parameter choices).
inline constexpr std::array corr_method_names{"pearson", "spearman"};
inline constexpr std::array corr_align_names{"timestamps", "index"};

enum class corr_status : std::uint8_t { ok, too_little_overlap, zero_variance, non_finite };
inline constexpr std::size_t corr_status_count = 4;

inline constexpr std::array corr_status_names{"ok", "too_little_overlap", "zero_variance", "non_finite"};

inline const char* to_string(corr_status s) noexcept {
    return enum_name(s, corr_status_names);
}

struct corr_params {
    corr_method method = corr_method::pearson;
    corr_align align = corr_align::timestamps;
    std::size_t min_overlap = 10;  ///< fewer pairs -> too_little_overlap (2 at least, whatever this says)
    std::size_t max_lag = 0;       ///< lags -max_lag..max_lag, in positions of the aligned sequence
};

/// One correlation coefficient: r is NaN unless status is ok.
struct corr_value {
    double r = std::numeric_limits<double>::quiet_NaN();
    corr_status status = corr_status::too_little_overlap;
    std::size_t pairs = 0;  ///< pairs without NaN that went into r (or were too few)
};

/// The correlation of one pair of series: at lag 0, and at the lag of maximal |r|.
struct corr_result {
    corr_value at_zero;
    corr_value best;  ///< == at_zero when max_lag is 0
    std::int64_t best_lag = 0;
};

/// The aligned sequence of two series: x[i] and y[i] share a timestamp (or an index). NaN kept.
struct aligned_pairs {
    std::vector<double> x;
    std::vector<double> y;
};

/// Scratch buffers reused across pairs (no allocation per pair once warm). Holds no state
/// that affects results.
struct corr_workspace {
    aligned_pairs aligned;                              // the merge join, when time axes differ
    std::vector<double> px, py;                         // complete pairs of one lag, when NaN must go
    std::vector<double> rx, ry;                         // ranks (Spearman)
    std::vector<std::pair<double, std::size_t>> order;  // sorted values (Spearman)
};

/// Average ranks of v (1-based; ties share the mean of their positions), as scipy's rankdata.
/// `order` is scratch space.
void average_ranks(std::span<const double> v, std::vector<std::pair<double, std::size_t>>& order,
                   std::vector<double>& ranks);

/// Fills `out` with the aligned sequence of x and y (see the header comment); replaces its
/// contents.
void align_series(series_view x, series_view y, corr_align align, aligned_pairs& out);

/// Pearson's r on complete pairs (x.size() == y.size(), no NaN expected: a NaN gives
/// non_finite).
corr_value pearson(std::span<const double> x, std::span<const double> y, std::size_t min_overlap);

/// Spearman's rho on complete pairs: Pearson on average ranks. NaN gives non_finite.
corr_value spearman(std::span<const double> x, std::span<const double> y, std::size_t min_overlap, corr_workspace& ws);

/// The correlation of x and y as `p` says (pairing, method, lags).
corr_result correlate(series_view x, series_view y, const corr_params& p, corr_workspace& ws);
corr_result correlate(series_view x, series_view y, const corr_params& p);

/// Tile of the matrix: out[i * cols.size() + j] = correlate(rows[i], cols[j], p), bit for bit.
/// `out` must hold rows.size() * cols.size() results.
void correlate_block(std::span<const series_view> rows, std::span<const series_view> cols, const corr_params& p,
                     std::span<corr_result> out);

}  // namespace tsbatch
