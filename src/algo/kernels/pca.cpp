// PCA kernels; the contract is in pca.hpp.
//
// Reference: tests/fixtures/make_dataset_fixtures.py runs numpy.linalg.svd on the matrix of
// complete rows (centred or not) and compares explained variance, components (under the same
// sign convention) and projections.
#include "algo/kernels/pca.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "core/chunk_tree.hpp"
#include "core/error.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

// Jacobi converges quadratically: 6-10 sweeps in practice; this bound is only a safeguard.
constexpr std::size_t max_sweeps = 100;

// Rows of the chunk whose M values are all finite.
std::vector<std::size_t> complete_rows(std::span<const std::span<const double>> columns, std::size_t rows) {
    std::vector<std::size_t> out;
    out.reserve(rows);
    for (std::size_t t = 0; t < rows; ++t) {
        bool ok = true;
        for (const auto& c : columns) ok = ok && std::isfinite(c[t]);
        if (ok) out.push_back(t);
    }
    return out;
}

std::size_t chunk_length(std::span<const std::span<const double>> columns) {
    const std::size_t rows = columns.empty() ? 0 : columns[0].size();
    for (const auto& c : columns)
        if (c.size() != rows) throw std::invalid_argument("pca_accumulate: columns differ in length");
    return rows;
}

// Shifted by the first complete value, so a large common offset does not eat the spread.
double column_mean(std::span<const double> c, const std::vector<std::size_t>& rows) {
    const double x0 = c[rows[0]];
    double s = 0.0;
    for (const std::size_t t : rows) s += c[t] - x0;
    return x0 + s / static_cast<double>(rows.size());
}

// Co-moment about the chunk mean, upper triangle, with the corrected two-pass term for the
// rounding of the mean; mirrored to the lower triangle at the end.
void chunk_comoment(std::span<const std::span<const double>> columns, const std::vector<std::size_t>& rows,
                    pca_partial& p) {
    const std::size_t m = p.m;
    std::vector<double> d(m), sum_d(m, 0.0);
    for (const std::size_t t : rows) {
        for (std::size_t i = 0; i < m; ++i) {
            d[i] = columns[i][t] - p.mean[i];
            sum_d[i] += d[i];
        }
        for (std::size_t i = 0; i < m; ++i) {
            double* row = p.comoment.data() + i * m;
            const double di = d[i];
            for (std::size_t j = i; j < m; ++j) row[j] += di * d[j];
        }
    }
    const double n = static_cast<double>(rows.size());
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = i; j < m; ++j) {
            double& c = p.comoment[i * m + j];
            c -= sum_d[i] * sum_d[j] / n;
            p.comoment[j * m + i] = c;
        }
}

void mirror_upper(std::vector<double>& a, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) a[j * n + i] = a[i * n + j];
}

// One Jacobi rotation applied to the pair (g, h) of entries.
inline void rotate(double& g, double& h, double s, double tau) {
    const double a = g, b = h;
    g = a - s * (b + a * tau);
    h = b + s * (a - b * tau);
}

struct jacobi_state {
    std::size_t n;
    std::vector<double> a;  // upper triangle is live
    std::vector<double> v;  // accumulated rotations; column k -> eigenvector k
    std::vector<double> d;  // current diagonal
    std::vector<double> b;  // diagonal at the start of the sweep
    std::vector<double> z;  // diagonal updates of the sweep

    double& at(std::size_t i, std::size_t j) { return a[i * n + j]; }
};

double off_diagonal_sum(jacobi_state& s) {
    double sm = 0.0;
    for (std::size_t p = 0; p + 1 < s.n; ++p)
        for (std::size_t q = p + 1; q < s.n; ++q) sm += std::fabs(s.at(p, q));
    return sm;
}

// The rotation that zeroes a[p][q] (Numerical Recipes' `jacobi`: tangent of the smaller
// angle, update of rows p and q through tau = s / (1 + c) to limit rounding).
void annihilate(jacobi_state& s, std::size_t p, std::size_t q) {
    const double apq = s.at(p, q);
    const double g = 100.0 * std::fabs(apq);
    double h = s.d[q] - s.d[p];
    double t;
    if (std::fabs(h) + g == std::fabs(h)) {
        t = apq / h;  // theta^2 would overflow; t ~ 1 / (2 theta)
    } else {
        const double theta = 0.5 * h / apq;
        t = 1.0 / (std::fabs(theta) + std::sqrt(1.0 + theta * theta));
        if (theta < 0.0) t = -t;
    }
    const double c = 1.0 / std::sqrt(1.0 + t * t);
    const double sn = t * c;
    const double tau = sn / (1.0 + c);
    h = t * apq;
    s.z[p] -= h;
    s.z[q] += h;
    s.d[p] -= h;
    s.d[q] += h;
    s.at(p, q) = 0.0;
    for (std::size_t j = 0; j < p; ++j) rotate(s.at(j, p), s.at(j, q), sn, tau);
    for (std::size_t j = p + 1; j < q; ++j) rotate(s.at(p, j), s.at(j, q), sn, tau);
    for (std::size_t j = q + 1; j < s.n; ++j) rotate(s.at(p, j), s.at(q, j), sn, tau);
    for (std::size_t j = 0; j < s.n; ++j) rotate(s.v[j * s.n + p], s.v[j * s.n + q], sn, tau);
}

void sweep(jacobi_state& s, std::size_t number, double off_sum) {
    const std::size_t n = s.n;
    // Early sweeps skip rotations of entries far below the average off-diagonal size.
    const double threshold = number < 4 ? 0.2 * off_sum / static_cast<double>(n * n) : 0.0;
    for (std::size_t p = 0; p + 1 < n; ++p)
        for (std::size_t q = p + 1; q < n; ++q) {
            const double apq = s.at(p, q);
            const double g = 100.0 * std::fabs(apq);
            // Late sweeps: an entry too small to change either diagonal entry is exactly 0.
            if (number > 4 && std::fabs(s.d[p]) + g == std::fabs(s.d[p]) && std::fabs(s.d[q]) + g == std::fabs(s.d[q]))
                s.at(p, q) = 0.0;
            else if (std::fabs(apq) > threshold)
                annihilate(s, p, q);
        }
    for (std::size_t p = 0; p < n; ++p) {
        s.b[p] += s.z[p];
        s.d[p] = s.b[p];
        s.z[p] = 0.0;
    }
}

// Sorts descending (stable: equal values keep index order) and applies the sign convention.
sym_eigen sorted_eigen(const jacobi_state& s, std::size_t sweeps) {
    const std::size_t n = s.n;
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    std::stable_sort(idx.begin(), idx.end(), [&s](std::size_t x, std::size_t y) { return s.d[x] > s.d[y]; });
    sym_eigen e;
    e.sweeps = sweeps;
    e.values.resize(n);
    e.vectors.resize(n * n);
    for (std::size_t k = 0; k < n; ++k) {
        e.values[k] = s.d[idx[k]];
        double* row = e.vectors.data() + k * n;
        std::size_t big = 0;
        for (std::size_t j = 0; j < n; ++j) {
            row[j] = s.v[j * n + idx[k]];
            if (std::fabs(row[j]) > std::fabs(row[big])) big = j;
        }
        if (row[big] < 0.0)
            for (std::size_t j = 0; j < n; ++j) row[j] = -row[j];
    }
    return e;
}

std::vector<std::span<const double>> chunk_columns(std::span<const series_view> series, std::size_t from,
                                                   std::size_t n) {
    std::vector<std::span<const double>> cols;
    cols.reserve(series.size());
    for (const auto& s : series) cols.push_back(s.value.subspan(from, n));
    return cols;
}

std::size_t needed_rows(bool center) {
    return center ? 2 : 1;
}

// Names the first series off series 0's time axis, and where it leaves it.
[[noreturn]] void throw_mismatch(std::span<const series_view> series, std::size_t bad) {
    const auto& a = series[0].time;
    const auto& b = series[bad].time;
    const std::size_t n = std::min(a.size(), b.size());
    const auto at = static_cast<std::size_t>(
        std::mismatch(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), b.begin()).first - a.begin());
    std::string where = at < n
                            ? "point " + std::to_string(at) + " is at " + std::to_string(b[at]) + " ms instead of " +
                                  std::to_string(a[at]) + " ms"
                            : "it has " + std::to_string(b.size()) + " points instead of " + std::to_string(a.size());
    throw input_error("pca: series " + std::to_string(bad) + " does not share the timestamps of series 0: " + where);
}

void check_shared_timestamps(std::span<const series_view> series) {
    const std::size_t bad = first_timestamp_mismatch(series);
    if (bad != series_npos) throw_mismatch(series, bad);
}

void check_components(std::size_t components, std::size_t m) {
    if (components < 1 || components > m)
        throw param_error("components", "must be between 1 and the number of series (" + std::to_string(m) + "), got " +
                                            std::to_string(components));
}

}  // namespace

std::size_t first_timestamp_mismatch(std::span<const series_view> series) {
    for (std::size_t i = 1; i < series.size(); ++i) {
        const auto& a = series[0].time;
        const auto& b = series[i].time;
        if (a.size() != b.size() || !std::equal(a.begin(), a.end(), b.begin())) return i;
    }
    return series_npos;
}

void pca_partial::combine(const pca_partial& next) {
    if (m == 0 && rows == 0 && skipped_rows == 0) {
        *this = next;
        return;
    }
    if (next.m != m && !(next.m == 0 && next.rows == 0))
        throw std::invalid_argument("pca_partial::combine: series counts differ");
    skipped_rows += next.skipped_rows;
    if (next.rows == 0) return;
    if (rows == 0) {
        rows = next.rows;
        mean = next.mean;
        comoment = next.comoment;
        return;
    }
    const double na = static_cast<double>(rows), nb = static_cast<double>(next.rows);
    const double n = na + nb;
    const double f = na * nb / n;
    std::vector<double> delta(m);
    for (std::size_t i = 0; i < m; ++i) delta[i] = next.mean[i] - mean[i];
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = i; j < m; ++j) comoment[i * m + j] += next.comoment[i * m + j] + delta[i] * delta[j] * f;
    mirror_upper(comoment, m);
    for (std::size_t i = 0; i < m; ++i) mean[i] += delta[i] * (nb / n);
    rows += next.rows;
}

void combine_pca_partials(pca_partial& left, const pca_partial& right) {
    left.combine(right);
}

pca_partial pca_accumulate(std::span<const std::span<const double>> columns) {
    const std::size_t length = chunk_length(columns);
    pca_partial p;
    p.m = columns.size();
    p.mean.assign(p.m, 0.0);
    p.comoment.assign(p.m * p.m, 0.0);
    const auto rows = complete_rows(columns, length);
    p.rows = rows.size();
    p.skipped_rows = length - rows.size();
    if (rows.empty()) return p;
    for (std::size_t i = 0; i < p.m; ++i) p.mean[i] = column_mean(columns[i], rows);
    chunk_comoment(columns, rows, p);
    return p;
}

pca_partial pca_partial_sums(std::span<const series_view> series, std::size_t chunk_rows) {
    if (chunk_rows == 0) throw std::invalid_argument("pca_partial_sums: chunk_rows must be > 0");
    check_shared_timestamps(series);
    pca_partial total;
    total.m = series.size();
    total.mean.assign(total.m, 0.0);
    total.comoment.assign(total.m * total.m, 0.0);
    const std::size_t length = series.empty() ? 0 : series[0].size();
    if (length == 0) return total;
    return fold_chunk_tree<pca_partial>(
        (length + chunk_rows - 1) / chunk_rows,
        [&](std::size_t q) {
            const std::size_t from = q * chunk_rows;
            return pca_accumulate(chunk_columns(series, from, std::min(chunk_rows, length - from)));
        },
        combine_pca_partials);
}

std::vector<double> pca_covariance(const pca_partial& total, bool center) {
    const std::size_t m = total.m;
    if (total.rows < needed_rows(center))
        throw input_error("pca: " + std::to_string(total.rows) +
                          " complete rows (timestamps where no series is NaN), " +
                          (center ? "at least 2 needed" : "at least 1 needed"));
    std::vector<double> cov(m * m);
    const double n = static_cast<double>(total.rows);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = i; j < m; ++j) {
            const double c = total.comoment[i * m + j];
            cov[i * m + j] = center ? c / (n - 1.0) : c / n + total.mean[i] * total.mean[j];
        }
    mirror_upper(cov, m);
    return cov;
}

sym_eigen jacobi_eigen(std::span<const double> a, std::size_t n) {
    if (a.size() != n * n) throw std::invalid_argument("jacobi_eigen: the matrix is not n x n");
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i; j < n; ++j)
            if (!std::isfinite(a[i * n + j])) throw std::invalid_argument("jacobi_eigen: a non-finite entry");
    jacobi_state s{n,
                   std::vector<double>(a.begin(), a.end()),
                   std::vector<double>(n * n, 0.0),
                   std::vector<double>(n),
                   std::vector<double>(n),
                   std::vector<double>(n, 0.0)};
    for (std::size_t i = 0; i < n; ++i) {
        s.v[i * n + i] = 1.0;
        s.d[i] = s.b[i] = a[i * n + i];
    }
    std::size_t sweeps = 0;
    for (;;) {
        const double off = off_diagonal_sum(s);
        if (off == 0.0) break;
        if (sweeps == max_sweeps)
            throw internal_error("jacobi_eigen: no convergence after " + std::to_string(max_sweeps) + " sweeps");
        sweep(s, ++sweeps, off);
    }
    return sorted_eigen(s, sweeps);
}

pca_model pca_fit(const pca_partial& total, std::size_t components, bool center) {
    check_components(components, total.m);
    const auto cov = pca_covariance(total, center);
    if (!std::all_of(cov.begin(), cov.end(), [](double x) { return std::isfinite(x); }))
        throw input_error("pca: the covariance overflows (values too large)");
    const sym_eigen e = jacobi_eigen(cov, total.m);
    pca_model mod;
    mod.m = total.m;
    mod.components = components;
    mod.center = center;
    mod.rows = total.rows;
    mod.skipped_rows = total.skipped_rows;
    mod.mean = center ? total.mean : std::vector<double>(total.m, 0.0);
    mod.eigenvalues = e.values;
    mod.sweeps = e.sweeps;
    double sum = 0.0;
    for (const double v : e.values) sum += std::max(v, 0.0);
    double running = 0.0;
    for (std::size_t c = 0; c < components; ++c) {
        const double ev = std::max(e.values[c], 0.0);
        const double ratio = sum > 0.0 ? ev / sum : nan_v;
        running += ratio;
        mod.explained_variance.push_back(ev);
        mod.explained_variance_ratio.push_back(ratio);
        mod.cumulative_ratio.push_back(running);
    }
    mod.loadings.assign(e.vectors.begin(), e.vectors.begin() + static_cast<std::ptrdiff_t>(components * total.m));
    return mod;
}

void pca_project(const pca_model& model, std::span<const std::span<const double>> columns, std::span<double> out) {
    if (columns.size() != model.m) throw std::invalid_argument("pca_project: wrong number of series");
    const std::size_t rows = chunk_length(columns);
    if (out.size() != model.components * rows) throw std::invalid_argument("pca_project: out has the wrong size");
    std::vector<double> d(model.m);
    for (std::size_t t = 0; t < rows; ++t) {
        bool ok = true;
        for (std::size_t i = 0; i < model.m; ++i) {
            d[i] = columns[i][t] - model.mean[i];
            ok = ok && std::isfinite(columns[i][t]);
        }
        for (std::size_t c = 0; c < model.components; ++c) {
            const double* l = model.loadings.data() + c * model.m;
            double s = 0.0;
            for (std::size_t i = 0; i < model.m; ++i) s += d[i] * l[i];
            out[c * rows + t] = ok ? s : nan_v;
        }
    }
}

pca_output pca(std::span<const series_view> series, std::size_t components, bool center) {
    check_components(components, series.size());
    pca_output o;
    o.model = pca_fit(pca_partial_sums(series), components, center);
    const std::size_t length = series.empty() ? 0 : series[0].size();
    o.projections.resize(components * length);
    pca_project(o.model, chunk_columns(series, 0, length), o.projections);
    return o;
}

}  // namespace tsbatch
