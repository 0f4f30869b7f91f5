#pragma once
// Kernels of the dataset-wide `kmeans` operator: k-means on n row vectors of d features
// (row-major doubles), k-means++ initialisation, Lloyd iterations and restarts. No MPI here:
// the building blocks below let a distributed caller reproduce kmeans() bit for bit.
//
// Missing values: features must be finite. NaN or +-inf in any feature is refused with an
// input_error naming the row and column (check_kmeans_features); a caller that wants to drop
// or impute such rows does so before. Sums or squared distances that overflow (|x| beyond
// ~1e150) are refused with an input_error too: by k-means++ (the total of D2), by each
// assignment pass (the inertia) and by kmeans_update (the centroids).
//
// Definitions (each step is deterministic; every sum is a left fold in row order within a
// chunk of `chunk_rows` rows from row 0; the Lloyd sums (counts, centroid sums, inertia) of
// the chunks are then combined over the chunk tree of core/chunk_tree.hpp, a pairwise tree
// fixed by the chunk count, and the k-means++ sums of D2 by a left fold over the chunks in
// chunk order):
// - Random numbers: std::mt19937_64. A uniform double in [0, 1) is (g() >> 11) * 2^-53
//   (std::uniform_real_distribution and std::discrete_distribution are implementation-defined).
//   Restart r (0-based) is seeded with the r-th output of std::mt19937_64(seed).
// - Squared distance: sum over j = 0..d-1 in order of (x_j - c_j)^2.
// - k-means++: centre 0 is row min(floor(u * n), n - 1). For each further centre: D2_i is the
//   squared distance of row i to its nearest chosen centre; u is drawn; total = the folded
//   sum of D2. When total is 0 (fewer distinct rows than k) the centre is the lowest row not
//   yet chosen. Otherwise target = u * total, the chunk is the first whose running (folded)
//   chunk sum exceeds target, and within it the first row whose running sum exceeds
//   target minus the sums of the chunks before; when rounding finds no such chunk or row,
//   the last chunk / row with a positive weight. Rows with D2 = 0 are never picked then.
// - Assignment: the nearest centroid; equal distances -> the lowest cluster index.
// - Update: each centroid is the mean (folded sum / count) of its rows. An empty cluster,
//   taken in increasing index, is re-seeded with the row farthest from its assigned centroid
//   (equal distances -> the lowest row), skipping rows already moved and rows whose cluster
//   would become empty; the row leaves its cluster's sum and count. With fewer distinct rows
//   than k, centroids coincide and the final assignment leaves the higher-index duplicates
//   without rows (equal distances go to the lower cluster); the inertia is then 0.
// - Iteration: assign to the initial centroids; then repeat: update, assign again, stop when
//   no label changed or when the inertia fell by at most tol times its previous value
//   (relative decrease; tol = 0 runs to a fixed point or max_iter), or after max_iter updates.
//   The result's labels and inertia are those of its centroids (the last assignment).
// - Restarts: n_init runs; the lowest inertia wins, ties -> the earlier run.
//
// Distributed use (rows split across ranks along the chunk grid): kmeans_assign per row;
// kmeans_accumulate per chunk; combine the partials over the chunk tree with
// combine_kmeans_partials (each rank folds the tree's whole nodes within its chunks, and the
// nodes meet across ranks, column slice by column slice of the sums:
// parallel/ordered_reduce.hpp's reduce_chunk_tree_sliced); kmeans_update on the total,
// identical on every rank. The tree, not a left fold in chunk order, because a left
// fold across ranks is a chain in which each rank waits for the one before. For k-means++,
// gather the chunk sums of D2 (kmeans_fold; one number per chunk, so gathering them costs
// nothing), pick the chunk with kmeanspp_choose_chunk, and let its owner pick the row with
// kmeanspp_choose_in_chunk.
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace tsbatch {

struct kmeans_params {
    std::size_t k = 0;  ///< clusters, 1 <= k <= rows
    std::uint64_t seed = 0;
    std::size_t max_iter = 300;     ///< >= 1: centroid updates per run at most
    std::size_t n_init = 4;         ///< >= 1 restarts
    double tol = 1e-4;              ///< >= 0, relative decrease of the inertia that counts as converged
    std::size_t chunk_rows = 1024;  ///< >= 1, the fold grid: part of the definition of the result bits
};

/// Throws param_error naming the parameter (k against `rows` too).
void check_kmeans_params(const kmeans_params& p, std::size_t rows);

/// Throws input_error for the first non-finite feature, naming its row (first_row + i) and
/// column. Throws std::invalid_argument when d is 0 or does not divide x.size().
void check_kmeans_features(std::span<const double> x, std::size_t d, std::size_t first_row = 0);

struct kmeans_result {
    std::vector<std::size_t> labels;  ///< n, in [0, k)
    std::vector<double> centroids;    ///< k x d, row-major
    double inertia = 0.0;             ///< folded sum of squared distances to the centroids
    std::size_t iterations = 0;       ///< centroid updates of the kept run
    bool converged = false;           ///< false when the kept run stopped at max_iter
    std::size_t best_run = 0;         ///< index of the kept restart
};

/// k-means on x (n x d, row-major). Checks parameters, then features.
kmeans_result kmeans(std::span<const double> x, std::size_t d, const kmeans_params& p);

// ---- Building blocks -----------------------------------------------------------------

/// Uniform double in [0, 1): (g() >> 11) * 2^-53.
double kmeans_uniform(std::mt19937_64& g);

/// Seed of restart `run`: the run-th (0-based) output of std::mt19937_64(seed).
std::uint64_t kmeans_run_seed(std::uint64_t seed, std::size_t run);

/// Sum over j in order of (a_j - b_j)^2.
double squared_distance(const double* a, const double* b, std::size_t d) noexcept;

/// Left fold of w in order (the chunk sums of D2, the chunk inertia, and their totals).
double kmeans_fold(std::span<const double> w) noexcept;

/// labels[i] / dist2[i]: nearest centroid of row i of x and its squared distance.
void kmeans_assign(std::span<const double> x, std::size_t d, std::span<const double> centroids,
                   std::span<std::size_t> labels, std::span<double> dist2);

/// A candidate for re-seeding an empty cluster. Its features are not carried: a partial
/// holds 2k candidates, which with their d features each would be twice the size of its
/// k x d sums, copied into every chunk's partial and every combination, yet needed only when
/// a cluster is empty; kmeans_update asks for those few rows.
struct kmeans_candidate {
    double dist2 = 0.0;  ///< to its assigned centroid
    std::size_t row = 0;
    std::size_t label = 0;
};

/// Partial sums of the update step over some rows.
struct kmeans_partial {
    std::size_t k = 0, d = 0;
    std::vector<std::uint64_t> count;  ///< k
    std::vector<double> sum;           ///< k x d
    double inertia = 0.0;
    std::uint64_t changed = 0;               ///< rows whose label differs from the previous one
    std::vector<kmeans_candidate> farthest;  ///< the 2k farthest rows (dist2 desc, row asc)

    kmeans_partial() = default;
    kmeans_partial(std::size_t k_, std::size_t d_);
    /// Merges the sums of the rows that follow (the next chunks). The candidate list is exact,
    /// so only the sums depend on the grouping.
    void combine(const kmeans_partial& next);
};

/// left.combine(right): the combination step of the chunk tree.
void combine_kmeans_partials(kmeans_partial& left, const kmeans_partial& right);

/// The partial sums of one chunk: rows of x are global rows first_row, first_row + 1, ...;
/// labels and dist2 from kmeans_assign; previous_labels (same length, or empty: none) for
/// the change count.
kmeans_partial kmeans_accumulate(std::span<const double> x, std::size_t d, std::size_t k, std::size_t first_row,
                                 std::span<const std::size_t> labels, std::span<const double> dist2,
                                 std::span<const std::size_t> previous_labels);

/// Whether a run stops after an update: no label changed, or the inertia fell by at most
/// tol times its previous value (`before`: the pass before the update, `after`: the one after).
bool kmeans_converged(const kmeans_partial& before, const kmeans_partial& after, double tol);

/// Throws input_error when the folded inertia is not finite (features too large).
void check_kmeans_inertia(const kmeans_partial& total);

/// The rows that re-seed the empty clusters of `total`, in the order kmeans_update takes
/// them; empty when no cluster is empty. Depends only on the counts and the candidates.
std::vector<std::size_t> kmeans_reseed_rows(const kmeans_partial& total);

/// New centroids (k x d) from the folded partial sums, empty clusters re-seeded.
/// `reseed_features` holds the d features of each row of kmeans_reseed_rows(total), in order.
std::vector<double> kmeans_update(const kmeans_partial& total, std::span<const double> reseed_features);

/// Lloyd's iterations, as the one-process and the distributed k-means both run them. From
/// r.centroids (the k-means++ seeds) and r.labels (`rows` entries), `assign(centroids,
/// labels, previous)` runs one assignment pass, relabelling every row and returning the
/// folded partial sums (`previous`: the labels before, empty on the first pass); then the
/// centroids are updated from the total and rows assigned again, until kmeans_converged or
/// p.max_iter updates. `features_of(rows)` returns the features of the given global rows,
/// one after another: those that re-seed empty clusters, asked for only when there are some.
/// Sets r.centroids, r.labels, r.iterations, r.converged, r.inertia.
template <class Result, class AssignPass, class FeaturesOf>
void kmeans_lloyd(Result& r, std::size_t rows, const kmeans_params& p, AssignPass&& assign, FeaturesOf&& features_of) {
    std::vector<std::size_t> previous;
    kmeans_partial current =
        assign(std::span<const double>(r.centroids), r.labels, std::span<const std::size_t>(previous));
    while (r.iterations < p.max_iter) {
        const std::vector<std::size_t> reseed = kmeans_reseed_rows(current);
        std::vector<double> next_centroids = kmeans_update(
            current, reseed.empty() ? std::vector<double>() : features_of(std::span<const std::size_t>(reseed)));
        previous.swap(r.labels);
        r.labels.resize(rows);
        kmeans_partial next =
            assign(std::span<const double>(next_centroids), r.labels, std::span<const std::size_t>(previous));
        ++r.iterations;
        const bool stop = kmeans_converged(current, next, p.tol);
        r.centroids = std::move(next_centroids);
        current = std::move(next);
        if (stop) {
            r.converged = true;
            break;
        }
    }
    r.inertia = current.inertia;
}

/// D2 for k-means++: dist2[i] = squared distance of row i to `centre`, or the minimum of that
/// and dist2[i] when `first` is false.
void kmeanspp_distances(std::span<const double> x, std::size_t d, std::span<const double> centre,
                        std::span<double> dist2, bool first);

/// Where a k-means++ draw falls: none (the total is 0), or a chunk and the remainder of the
/// target within it.
struct kmeanspp_choice {
    bool none = false;
    std::size_t chunk = 0;
    double remainder = 0.0;
};

/// The chunk picked by the uniform draw u in [0, 1) from the chunk sums of D2. Throws
/// input_error when the total is not finite.
kmeanspp_choice kmeanspp_choose_chunk(std::span<const double> chunk_sums, double u);

/// The row (index within the chunk) picked by `remainder` in that chunk's D2.
std::size_t kmeanspp_choose_in_chunk(std::span<const double> dist2, double remainder);

/// The k initial centroids (k x d) by k-means++ from a generator seeded for one run.
std::vector<double> kmeanspp_init(std::span<const double> x, std::size_t d, std::size_t k, std::size_t chunk_rows,
                                  std::mt19937_64& g);

}  // namespace tsbatch
