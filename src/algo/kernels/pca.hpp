#pragma once
// Kernels of the dataset-wide `pca` operator: M series sharing their timestamps are the
// columns of a T x M matrix (rows = timestamps). No MPI here: the distributed operator
// computes partial sums per chunk of rows and combines them over the chunk tree.
//
// Missing values: a row (timestamp) is complete when all M values are finite. Rows with NaN
// (or +-inf) in any series are left out of the covariance (listwise deletion, counted in
// skipped_rows), and their projections are NaN. Fewer complete rows than the covariance needs
// (2 centred, 1 uncentred) is an input_error.
//
// Covariance: centred (center = true, sklearn's PCA) is the sample covariance
// sum (x - mean)(x - mean)^T / (n - 1); uncentred (pyspark's PCA) is the second moment
// sum x x^T / n (no mean is estimated, so no degree of freedom is lost). n = complete rows.
//
// Determinism and distribution: pca_accumulate gives the exact partial sums of one chunk of
// rows (its count, mean and co-moment about that mean), and pca_partial::combine merges the
// chunks that follow into them (Chan et al.'s pairwise update). Floating-point merges are not
// associative, so the result is defined by the chunk boundaries and the grouping of the
// merges: chunks of a fixed `chunk_rows` from row 0 (independent of the rank count), merged
// over the chunk tree of core/chunk_tree.hpp, a pairwise tree fixed by the chunk count.
// pca_partial_sums folds that tree in one process; a distributed caller folds the tree's
// whole nodes within each rank's chunks and completes it from the gathered nodes
// (parallel/ordered_reduce.hpp's reduce_chunk_tree), and both give the same bits. A tree,
// not a left fold in chunk order, because across ranks a left fold is a chain in which each
// rank waits for the one before; Chan's update is pairwise to begin with.
//
// Eigen-decomposition: cyclic Jacobi on the symmetric M x M matrix (sweeps over p < q in row
// order), deterministic. Eigenvalues descending (equal ones keep Jacobi's order, lower index
// first); each eigenvector's largest-|.| component is positive (on equal magnitudes, the
// first such component). Explained variance = max(eigenvalue, 0) (rounding can leave a
// zero eigenvalue of a semi-definite matrix slightly negative); ratio = explained variance /
// the sum of all M explained variances, NaN when that sum is 0 (every series constant).
// Cost: O(M^3) per sweep, ~6-10 sweeps: fine to a few hundred series.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/series.hpp"

namespace tsbatch {

/// "No such series": what first_timestamp_mismatch returns when all series match.
inline constexpr std::size_t series_npos = static_cast<std::size_t>(-1);

/// Index of the first series whose timestamps differ from series 0's (in length or in any
/// value), or series_npos (also for zero or one series).
std::size_t first_timestamp_mismatch(std::span<const series_view> series);

/// Rows per chunk of pca_partial_sums (part of the definition of its result bits).
inline constexpr std::size_t pca_chunk_rows = 4096;

/// Partial sums over some rows: count, mean and co-moment of the complete rows.
struct pca_partial {
    std::size_t m = 0;               ///< series (columns)
    std::uint64_t rows = 0;          ///< complete rows summed
    std::uint64_t skipped_rows = 0;  ///< rows left out for a non-finite value
    std::vector<double> mean;        ///< m values, the mean of the complete rows
    std::vector<double> comoment;    ///< m x m, row-major, symmetric: sum (x - mean)(x - mean)^T

    /// Merges the partial sums of the rows that follow (the next chunks) into these.
    /// Throws std::invalid_argument when m differs (an empty partial, m = 0, takes `next`).
    void combine(const pca_partial& next);
};

/// left.combine(right): the combination step of the chunk tree.
void combine_pca_partials(pca_partial& left, const pca_partial& right);

/// The exact partial sums of one chunk: columns[i] holds series i's values for the chunk's
/// rows (all of equal length). Two passes over the chunk (mean, then co-moment).
pca_partial pca_accumulate(std::span<const std::span<const double>> columns);

/// The whole fold in one process: chunks of `chunk_rows` rows from row 0, over the chunk tree.
/// The series must share timestamps (checked: input_error naming the first that does not).
pca_partial pca_partial_sums(std::span<const series_view> series, std::size_t chunk_rows = pca_chunk_rows);

/// The M x M covariance (row-major) from the folded sums, centred or not (see above).
/// Throws input_error for too few complete rows.
std::vector<double> pca_covariance(const pca_partial& total, bool center);

/// Eigenvalues and eigenvectors of a symmetric matrix.
struct sym_eigen {
    std::vector<double> values;   ///< n, descending
    std::vector<double> vectors;  ///< n x n, row-major: row k is the eigenvector of values[k]
    std::size_t sweeps = 0;       ///< Jacobi sweeps done
};

/// Cyclic Jacobi on the n x n symmetric matrix `a` (row-major; only its upper triangle is
/// read). Throws std::invalid_argument for a wrong size or a non-finite entry.
sym_eigen jacobi_eigen(std::span<const double> a, std::size_t n);

/// A fitted PCA.
struct pca_model {
    std::size_t m = 0;
    std::size_t components = 0;
    bool center = true;
    std::uint64_t rows = 0;  ///< complete rows used
    std::uint64_t skipped_rows = 0;
    std::vector<double> mean;                      ///< m; all 0 when not centred
    std::vector<double> eigenvalues;               ///< all m, descending
    std::vector<double> explained_variance;        ///< components
    std::vector<double> explained_variance_ratio;  ///< components
    std::vector<double> cumulative_ratio;          ///< components, running sum of the ratios
    std::vector<double> loadings;                  ///< components x m: row c is component c
    std::size_t sweeps = 0;
};

/// Fits the model from the folded partial sums. Throws param_error("components") unless
/// 1 <= components <= m, input_error for too few complete rows.
pca_model pca_fit(const pca_partial& total, std::size_t components, bool center);

/// Projections of some rows: out[c * rows + t] = sum_i (x_i(t) - mean_i) * loadings[c][i],
/// summed over i in order; NaN for a row with a non-finite value. `columns` as in
/// pca_accumulate; `out` holds components * rows values. Each row is independent, so any
/// chunking gives the same bits.
void pca_project(const pca_model& model, std::span<const std::span<const double>> columns, std::span<double> out);

/// Everything in one process: checks the timestamps, folds the sums, fits, and projects.
struct pca_output {
    pca_model model;
    std::vector<double> projections;  ///< components x T, component-major (series c = row c)
};
pca_output pca(std::span<const series_view> series, std::size_t components, bool center = true);

}  // namespace tsbatch
