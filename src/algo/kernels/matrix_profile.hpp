#pragma once
// The matrix profile kernel (single process): exact z-normalised Euclidean nearest neighbours
// of every window of a series, among the windows of the same series (self-join, outside an
// exclusion zone) or of another series (AB-join). The dataset-wide operator
// (algo/dataset/matrix_profile_op.cpp) cuts the distance matrix into the tiles below, spreads
// them over the ranks and merges the tiles' partial profiles here.
//
// Method (SCAMP's, Zimmerman et al. 2019): along each diagonal of the distance matrix the
// centred covariance of windows (i, j) follows from that of (i - 1, j - 1) in O(1):
//     cov(i+1, j+1) = cov(i, j) + df[i] * dg[j] + df[j] * dg[i],
//     df[i] = (x[i+m] - x[i]) / 2,   dg[i] = (x[i+m] - mean[i+1]) + (x[i] - mean[i]),
// and the Pearson correlation cov * inv_norm[i] * inv_norm[j] orders the candidates (the
// distance is sqrt(2 m (1 - corr))). Each diagonal starts, in every tile, from a covariance
// computed exactly (two-pass, centred) at the tile's first cell on it, so rounding never
// builds up over more than one tile side and every cell's bits depend on the tile grid only.
//
// Accuracy: window means and norms are computed per window in two passes over centred values
// (no rolling sums, so an offset of 1e9 costs nothing); the distance reported for each
// window's neighbour is recomputed exactly from the two windows (recompute_distance), so
// profile values are as accurate as a direct z-normalised distance (~1e-15 relative) even
// where the recurrence's correlation is not (near-identical windows, small-variance windows
// beside a flat stretch). The recurrence only chooses the neighbour; where two candidates are
// within its rounding (~1e-12 of correlation), it may pick either.
//
// Plain Euclidean distances (normalize: false) use the same recurrence: with the centred
// covariance, d^2 = norm_i^2 + norm_j^2 - 2 cov + m (mean_i - mean_j)^2, so the score -d^2/2
// is cov + mean_i m mean_j - half_i - half_j (window_stats::half_square, scaled_mean).
//
// Special windows (STUMPY's rules): a window holding a NaN or an infinite value is excluded:
// its distance is +inf and its index -1, and it is nobody's neighbour. A constant window
// (every value equal) is at distance 0 from another constant window and sqrt(m) from any
// other window (the correlation of a constant with anything being taken as 0.5); these are
// settled outside the tile loop (settle_constant_windows), which never sees them.
//
// Ties: among equal scores the smaller neighbour index wins, everywhere (tile loop, merges,
// constant windows), so the merged profile is the same whatever order tiles are merged in.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tsbatch {

/// Per-window quantities of one series for window length m (w = n - m + 1 windows).
struct window_stats {
    std::size_t m = 0;
    /// z-normalised distances (true) or plain Euclidean ones (false: `normalize: false`, where
    /// constant windows are ordinary windows and only non-finite ones are excluded).
    bool normalized = true;
    /// The first finite value of the series: `clean` and `mean` are relative to it.
    double shift = 0.0;
    /// The values minus `shift`, with every non-finite value replaced by the previous finite
    /// one (the first finite one for a leading run), so that the recurrence stays finite and
    /// small across excluded windows; the excluded windows themselves never reach a result.
    std::vector<double> clean;
    std::vector<double> mean;      ///< w: mean of each window of `clean`
    std::vector<double> norm;      ///< w: ||window - mean||, centred, two-pass
    std::vector<double> inv_norm;  ///< w: 1 / norm; NaN for excluded and constant windows
    std::vector<double> df;        ///< w: (clean[i+m] - clean[i]) / 2; 0 for the last window
    std::vector<double> dg;        ///< w: (clean[i+m] - mean[i+1]) + (clean[i] - mean[i]); 0 for the last
    std::vector<std::uint8_t> kind;  ///< w: window_kind
    /// Plain distances only: (norm^2 + m mean^2) / 2, NaN for excluded windows; and m mean.
    /// The score -d^2/2 of windows i, j is then cov + mean_i (m mean_j) - half_i - half_j.
    std::vector<double> half_square;
    std::vector<double> scaled_mean;

    std::size_t windows() const noexcept { return mean.size(); }
};

enum class window_kind : std::uint8_t { ordinary = 0, constant = 1, excluded = 2 };

/// The value a series' statistics are taken relative to by default: its first finite value
/// (0 without one).
double window_shift(std::span<const double> values);

/// Window statistics of `values` for window length `m` (1 <= m <= values.size()), for
/// z-normalised (`normalized`) or plain Euclidean distances. Values are taken relative to
/// `shift` when given, else to their first finite value; plain distances between two series
/// need both relative to the same shift.
window_stats compute_window_stats(std::span<const double> values, std::size_t m, bool normalized = true,
                                  std::optional<double> shift = std::nullopt);

/// A rectangle of the distance matrix: windows [row0, row1) of the row series against
/// windows [col0, col1) of the column series, restricted to cells with col - row >= min_diag.
struct mp_tile {
    std::uint64_t row0 = 0, row1 = 0, col0 = 0, col1 = 0;
    std::int64_t min_diag = 0;
};

/// The lowest diagonal col - row an AB-join visits (every cell counts).
inline constexpr std::int64_t ab_join_min_diag = INT64_MIN / 4;

/// Cells of `t` that are computed (col - row >= min_diag).
std::uint64_t tile_cells(const mp_tile& t);

/// The tiles of a self-join of `windows` windows with exclusion zone `exclusion` (cells with
/// |i - j| <= exclusion are skipped): squares of `side` windows on and above the diagonal,
/// row-major, those with no cell left out. Depends on its arguments only.
std::vector<mp_tile> self_join_tiles(std::uint64_t windows, std::uint64_t exclusion, std::uint64_t side);

/// The tiles of an AB-join of `rows` windows against `cols` windows: every square.
std::vector<mp_tile> ab_join_tiles(std::uint64_t rows, std::uint64_t cols, std::uint64_t side);

/// Best candidates of a run of windows: the highest correlation and its window index
/// (ties: the smaller index). Starts at (-inf, -1): no candidate.
struct profile_part {
    std::uint64_t first = 0;  ///< window index of element 0
    std::vector<double> score;
    std::vector<std::int64_t> index;

    profile_part() = default;
    profile_part(std::uint64_t first_window, std::size_t count);
    std::size_t size() const noexcept { return score.size(); }
    /// Keeps, for each window both cover, the better of the two candidates.
    void merge(const profile_part& other);
};

/// Whether candidate (s, i) beats (best, best_i): a higher score, or the same and a smaller
/// index. NaN never beats anything.
inline bool mp_better(double s, std::int64_t i, double best, std::int64_t best_i) noexcept {
    return s > best || (s == best && i < best_i);
}

/// Computes tile `t` of the row series `a` against the column series `b` (the same object
/// for a self-join): the best column of each row goes to `rows` (covering [row0, row1)) and,
/// when `cols` is not null, the best row of each column to `cols` (covering [col0, col1)).
/// The bits of every cell depend on `t`, `a` and `b` only, not on the CPU's vector width.
void compute_tile(const window_stats& a, const window_stats& b, const mp_tile& t, profile_part& rows,
                  profile_part* cols);

/// The vector widths (diagonals per lane group: 1 = scalar, 16 = AVX2, 32 = AVX-512) this CPU
/// runs the tile loop at, widest last; compute_tile uses the widest. compute_tile_at_width runs one of them (tests check that
/// every width gives the same bits).
std::vector<int> tile_loop_widths();
void compute_tile_at_width(int lanes, const window_stats& a, const window_stats& b, const mp_tile& t,
                           profile_part& rows, profile_part* cols);

/// Settles the constant windows of a self-join (their candidates never enter the tile loop):
/// for each window, the constant windows outside its exclusion zone are candidates with
/// score 1 (a constant window) or 0.5 (any other window); a constant window also has every
/// ordinary window outside its zone as a candidate of score 0.5. `p` covers every window.
void settle_constant_windows(const window_stats& s, std::uint64_t exclusion, profile_part& p);

/// The same for an AB-join: row windows of `a` against column windows of `b`.
void settle_constant_windows_ab(const window_stats& a, const window_stats& b, profile_part& p);

/// The merged candidates of a whole self-join or AB-join computed in this process, tile by
/// tile (constant windows settled): what the distributed operator produces, from one rank.
profile_part self_join_candidates(const window_stats& s, std::uint64_t exclusion, std::uint64_t side);
profile_part ab_join_candidates(const window_stats& a, const window_stats& b, std::uint64_t side);

/// The exact z-normalised Euclidean distance between window i of `a` and window j of `b`:
/// sqrt(sum_k (za[k] - zb[k])^2) with z = (x - mean) / std (population std), computed
/// directly (not from the correlation), so it keeps full relative accuracy for close pairs.
/// Constant windows follow the rules above (0 or sqrt(m)). Plain distances (normalized
/// false): sqrt(sum_k (a[k] - b[k])^2).
double recompute_distance(const window_stats& a, std::uint64_t i, const window_stats& b, std::uint64_t j);

/// The final profile of a series from its merged candidates: distance (recomputed exactly)
/// and neighbour index per window; +inf and -1 where there is no candidate.
void finish_profile(const window_stats& a, const window_stats& b, const profile_part& p, std::span<double> distance,
                    std::span<std::int64_t> index);

/// One top-k entry: window `start`, its neighbour and their distance.
struct mp_event {
    std::uint64_t start = 0;
    std::int64_t neighbor = -1;
    double distance = 0.0;
};

/// The k best motif pairs of a self-join profile: the windows of smallest distance, each
/// pair (i, index[i]) taken once with its smaller window first; after a pair is taken,
/// windows within `exclusion` of either member are not taken again. Ties: smaller index.
/// In an AB-join (`self_join` false) the neighbour is a window of the other series: pairs
/// are (window, neighbour) and only the first member's zone is blocked.
std::vector<mp_event> top_motifs(std::span<const double> distance, std::span<const std::int64_t> index,
                                 std::uint64_t exclusion, std::size_t k, bool self_join);

/// The k discords: the windows of largest finite distance, each excluding the windows
/// within `exclusion` of it from later picks. Ties: smaller index.
std::vector<mp_event> top_discords(std::span<const double> distance, std::span<const std::int64_t> index,
                                   std::uint64_t exclusion, std::size_t k);

}  // namespace tsbatch
