// k-means kernels; the contract is in kmeans.hpp.
//
// Reference: tests/fixtures/make_dataset_fixtures.py re-implements the documented procedure
// in Python (its own mt19937_64, checked against the C++ standard's 10000th output) and checks
// the objective with numpy, and the optimum by brute force over every labelling of a tiny set.
#include "algo/kernels/kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "algo/kernels/vector_lanes.hpp"
#include "core/chunk_tree.hpp"
#include "core/error.hpp"

namespace tsbatch {
namespace {

std::size_t row_count(std::span<const double> x, std::size_t d) {
    if (d == 0 || x.size() % d != 0)
        throw std::invalid_argument("kmeans: " + std::to_string(x.size()) + " values are not rows of " +
                                    std::to_string(d) + " features");
    return x.size() / d;
}

std::span<const double> row_of(std::span<const double> x, std::size_t d, std::size_t i) {
    return x.subspan(i * d, d);
}

std::string non_finite_text(double v) {
    return std::isnan(v) ? "NaN" : v > 0 ? "+inf" : "-inf";
}

[[noreturn]] void throw_overflow() {
    throw input_error(
        "kmeans: sums or squared distances of the features overflow (values beyond ~1e150); scale the "
        "features first");
}

// Candidate order: farther first, then the lower row.
bool farther(const kmeans_candidate& a, const kmeans_candidate& b) {
    return a.dist2 > b.dist2 || (a.dist2 == b.dist2 && a.row < b.row);
}

// The 2k farthest rows of a chunk.
std::vector<kmeans_candidate> farthest_rows(std::size_t k, std::size_t first_row, std::span<const std::size_t> labels,
                                            std::span<const double> dist2) {
    const std::size_t n = labels.size();
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    const std::size_t keep = std::min(n, 2 * k);
    const auto cmp = [&dist2](std::size_t a, std::size_t b) {
        return dist2[a] > dist2[b] || (dist2[a] == dist2[b] && a < b);
    };
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(keep), idx.end(), cmp);
    std::vector<kmeans_candidate> out;
    out.reserve(keep);
    for (std::size_t q = 0; q < keep; ++q) {
        const std::size_t i = idx[q];
        out.push_back({dist2[i], first_row + i, labels[i]});
    }
    return out;
}

// One assignment pass over all rows: each chunk assigned and summed, the chunks' partials
// combined over the chunk tree, as the distributed operator combines them.
kmeans_partial assign_pass(std::span<const double> x, std::size_t d, std::size_t k, std::size_t chunk_rows,
                           std::span<const double> centroids, std::vector<std::size_t>& labels,
                           std::vector<double>& dist2, std::span<const std::size_t> previous) {
    const std::size_t n = labels.size();
    kmeans_partial total = fold_chunk_tree<kmeans_partial>(
        (n + chunk_rows - 1) / chunk_rows,
        [&](std::size_t q) {
            const std::size_t from = q * chunk_rows, m = std::min(chunk_rows, n - from);
            const auto lab = std::span<std::size_t>(labels).subspan(from, m);
            const auto d2 = std::span<double>(dist2).subspan(from, m);
            const auto xs = x.subspan(from * d, m * d);
            kmeans_assign(xs, d, centroids, lab, d2);
            return kmeans_accumulate(xs, d, k, from, lab, d2, previous.empty() ? previous : previous.subspan(from, m));
        },
        combine_kmeans_partials);
    check_kmeans_inertia(total);
    return total;
}

// One restart: k-means++ from `seed`, then Lloyd iterations.
kmeans_result run_once(std::span<const double> x, std::size_t d, const kmeans_params& p, std::uint64_t seed) {
    const std::size_t n = x.size() / d;
    std::mt19937_64 g(seed);
    kmeans_result r;
    r.centroids = kmeanspp_init(x, d, p.k, p.chunk_rows, g);
    r.labels.assign(n, 0);
    std::vector<double> dist2(n);
    kmeans_lloyd(
        r, n, p,
        [&](std::span<const double> centroids, std::vector<std::size_t>& labels,
            std::span<const std::size_t> previous) {
            return assign_pass(x, d, p.k, p.chunk_rows, centroids, labels, dist2, previous);
        },
        [&](std::span<const std::size_t> rows) {
            std::vector<double> out;
            for (const std::size_t i : rows) {
                const auto v = row_of(x, d, i);
                out.insert(out.end(), v.begin(), v.end());
            }
            return out;
        });
    return r;
}

}  // namespace

void check_kmeans_params(const kmeans_params& p, std::size_t rows) {
    if (p.k < 1) throw param_error("k", "must be >= 1");
    if (p.k > rows)
        throw param_error(
            "k", "must not exceed the number of rows (" + std::to_string(rows) + "), got " + std::to_string(p.k));
    if (p.max_iter < 1) throw param_error("max_iter", "must be >= 1");
    if (p.n_init < 1) throw param_error("n_init", "must be >= 1");
    if (!(p.tol >= 0.0) || !std::isfinite(p.tol)) throw param_error("tol", "must be a finite number >= 0");
    if (p.chunk_rows < 1) throw param_error("chunk_rows", "must be >= 1");
}

void check_kmeans_features(std::span<const double> x, std::size_t d, std::size_t first_row) {
    row_count(x, d);
    for (std::size_t i = 0; i < x.size(); ++i)
        if (!std::isfinite(x[i]))
            throw input_error("kmeans: row " + std::to_string(first_row + i / d) +
                              " has a non-finite feature (column " + std::to_string(i % d) + " is " +
                              non_finite_text(x[i]) + "); drop or fill missing values before clustering");
}

void check_kmeans_inertia(const kmeans_partial& total) {
    if (!std::isfinite(total.inertia)) throw_overflow();
}

bool kmeans_converged(const kmeans_partial& before, const kmeans_partial& after, double tol) {
    return after.changed == 0 || before.inertia - after.inertia <= tol * before.inertia;
}

double kmeans_uniform(std::mt19937_64& g) {
    return static_cast<double>(g() >> 11) * 0x1.0p-53;
}

std::uint64_t kmeans_run_seed(std::uint64_t seed, std::size_t run) {
    std::mt19937_64 g(seed);
    g.discard(run);
    return g();
}

// Eight independent partial sums (four vectors of two lanes, vector_lanes.hpp) combined in a
// fixed order, then the tail: a plain running sum waits on the add latency at every step,
// and this is the inner loop of every Lloyd iteration and k-means++ pass.
double squared_distance(const double* a, const double* b, std::size_t d) noexcept {
    using namespace detail;
    vec_d acc[unroll] = {};
    std::size_t j = 0;
    for (; j + vec_step <= d; j += vec_step)
        for (std::size_t u = 0; u < unroll; ++u) {
            const vec_d t = load(a + j + u * vec_n) - load(b + j + u * vec_n);
            acc[u] += t * t;
        }
    double s = lane_sum(acc);
    for (; j < d; ++j) {
        const double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

double kmeans_fold(std::span<const double> w) noexcept {
    double s = 0.0;
    for (const double v : w) s += v;
    return s;
}

void kmeans_assign(std::span<const double> x, std::size_t d, std::span<const double> centroids,
                   std::span<std::size_t> labels, std::span<double> dist2) {
    const std::size_t n = row_count(x, d);
    const std::size_t k = row_count(centroids, d);
    if (labels.size() != n || dist2.size() != n)
        throw std::invalid_argument("kmeans_assign: output sizes differ from rows");
    for (std::size_t i = 0; i < n; ++i) {
        const double* r = x.data() + i * d;
        std::size_t best = 0;
        double bd = squared_distance(r, centroids.data(), d);
        for (std::size_t c = 1; c < k; ++c) {
            const double dd = squared_distance(r, centroids.data() + c * d, d);
            if (dd < bd) {  // strict: ties keep the lower cluster
                bd = dd;
                best = c;
            }
        }
        labels[i] = best;
        dist2[i] = bd;
    }
}

kmeans_partial::kmeans_partial(std::size_t k_, std::size_t d_) : k(k_), d(d_), count(k_, 0), sum(k_ * d_, 0.0) {}

void kmeans_partial::combine(const kmeans_partial& next) {
    if (next.k != k || next.d != d) throw std::invalid_argument("kmeans_partial::combine: shapes differ");
    for (std::size_t c = 0; c < k; ++c) count[c] += next.count[c];
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += next.sum[i];
    inertia += next.inertia;
    changed += next.changed;
    farthest.insert(farthest.end(), next.farthest.begin(), next.farthest.end());
    std::sort(farthest.begin(), farthest.end(), farther);
    if (farthest.size() > 2 * k) farthest.resize(2 * k);
}

void combine_kmeans_partials(kmeans_partial& left, const kmeans_partial& right) {
    left.combine(right);
}

kmeans_partial kmeans_accumulate(std::span<const double> x, std::size_t d, std::size_t k, std::size_t first_row,
                                 std::span<const std::size_t> labels, std::span<const double> dist2,
                                 std::span<const std::size_t> previous_labels) {
    const std::size_t n = row_count(x, d);
    if (labels.size() != n || dist2.size() != n || (!previous_labels.empty() && previous_labels.size() != n))
        throw std::invalid_argument("kmeans_accumulate: label or distance counts differ from rows");
    kmeans_partial p(k, d);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t c = labels[i];
        if (c >= k) throw std::invalid_argument("kmeans_accumulate: label out of range");
        ++p.count[c];
        double* s = p.sum.data() + c * d;
        const double* r = x.data() + i * d;
        for (std::size_t j = 0; j < d; ++j) s[j] += r[j];
        p.inertia += dist2[i];
        if (!previous_labels.empty() && previous_labels[i] != c) ++p.changed;
    }
    p.farthest = farthest_rows(k, first_row, labels, dist2);
    return p;
}

namespace {

// Which candidate re-seeds each empty cluster, in increasing cluster order: the farthest row
// not taken yet whose cluster keeps a row. `count` is updated as the rows move.
struct reseed_move {
    std::size_t cluster = 0;
    const kmeans_candidate* row = nullptr;
};

std::vector<reseed_move> plan_reseeds(const kmeans_partial& total, std::vector<std::uint64_t>& count) {
    std::vector<reseed_move> moves;
    std::vector<bool> used(total.farthest.size(), false);
    for (std::size_t e = 0; e < total.k; ++e) {
        if (count[e] != 0) continue;
        bool moved = false;
        for (std::size_t q = 0; q < total.farthest.size() && !moved; ++q) {
            const auto& cand = total.farthest[q];
            if (used[q] || count[cand.label] <= 1) continue;
            --count[cand.label];
            count[e] = 1;
            moves.push_back({e, &cand});
            used[q] = moved = true;
        }
        // With k <= rows some cluster holds two rows, and the 2k candidates cover every skip.
        if (!moved) throw internal_error("kmeans_update: no row to re-seed empty cluster " + std::to_string(e));
    }
    return moves;
}

}  // namespace

std::vector<std::size_t> kmeans_reseed_rows(const kmeans_partial& total) {
    std::vector<std::uint64_t> count = total.count;
    std::vector<std::size_t> rows;
    for (const auto& m : plan_reseeds(total, count)) rows.push_back(m.row->row);
    return rows;
}

std::vector<double> kmeans_update(const kmeans_partial& total, std::span<const double> reseed_features) {
    const std::size_t k = total.k, d = total.d;
    std::vector<std::uint64_t> count = total.count;
    std::vector<double> sum = total.sum;
    const auto moves = plan_reseeds(total, count);
    if (reseed_features.size() != moves.size() * d)
        throw std::invalid_argument("kmeans_update: the re-seeding rows' features do not match the empty clusters");
    for (std::size_t m = 0; m < moves.size(); ++m) {
        const double* features = reseed_features.data() + m * d;
        const std::size_t from = moves[m].row->label, e = moves[m].cluster;
        for (std::size_t j = 0; j < d; ++j) {
            sum[from * d + j] -= features[j];
            sum[e * d + j] = features[j];
        }
    }
    std::vector<double> centroids(k * d);
    for (std::size_t c = 0; c < k; ++c)
        for (std::size_t j = 0; j < d; ++j) centroids[c * d + j] = sum[c * d + j] / static_cast<double>(count[c]);
    if (!std::all_of(centroids.begin(), centroids.end(), [](double v) { return std::isfinite(v); })) throw_overflow();
    return centroids;
}

void kmeanspp_distances(std::span<const double> x, std::size_t d, std::span<const double> centre,
                        std::span<double> dist2, bool first) {
    const std::size_t n = row_count(x, d);
    if (centre.size() != d || dist2.size() != n) throw std::invalid_argument("kmeanspp_distances: sizes differ");
    for (std::size_t i = 0; i < n; ++i) {
        const double dd = squared_distance(x.data() + i * d, centre.data(), d);
        dist2[i] = first ? dd : std::min(dist2[i], dd);
    }
}

kmeanspp_choice kmeanspp_choose_chunk(std::span<const double> chunk_sums, double u) {
    const double total = kmeans_fold(chunk_sums);
    if (!std::isfinite(total)) throw_overflow();
    if (total == 0.0) return {true, 0, 0.0};
    const double target = u * total;
    double acc = 0.0;
    for (std::size_t b = 0; b < chunk_sums.size(); ++b) {
        const double next = acc + chunk_sums[b];
        if (target < next) return {false, b, target - acc};
        acc = next;
    }
    // Rounding put the target at the very end: the last chunk with weight, its last row.
    std::size_t b = chunk_sums.size();
    while (chunk_sums[b - 1] <= 0.0) --b;
    return {false, b - 1, std::numeric_limits<double>::infinity()};
}

std::size_t kmeanspp_choose_in_chunk(std::span<const double> dist2, double remainder) {
    double cum = 0.0;
    for (std::size_t i = 0; i < dist2.size(); ++i) {
        cum += dist2[i];
        if (remainder < cum) return i;
    }
    for (std::size_t i = dist2.size(); i > 0; --i)
        if (dist2[i - 1] > 0.0) return i - 1;
    throw internal_error("kmeanspp_choose_in_chunk: a chunk without weight was chosen");
}

std::vector<double> kmeanspp_init(std::span<const double> x, std::size_t d, std::size_t k, std::size_t chunk_rows,
                                  std::mt19937_64& g) {
    const std::size_t n = row_count(x, d);
    if (k < 1 || k > n || chunk_rows < 1)
        throw std::invalid_argument("kmeanspp_init: needs 1 <= k <= rows, chunk_rows >= 1");
    std::vector<double> centres;
    centres.reserve(k * d);
    std::vector<bool> chosen(n, false);
    const auto take = [&](std::size_t i) {
        chosen[i] = true;
        const auto r = row_of(x, d, i);
        centres.insert(centres.end(), r.begin(), r.end());
    };
    const auto first = static_cast<std::size_t>(kmeans_uniform(g) * static_cast<double>(n));
    take(std::min(first, n - 1));
    std::vector<double> dist2(n);
    std::vector<double> sums((n + chunk_rows - 1) / chunk_rows);
    for (std::size_t c = 1; c < k; ++c) {
        kmeanspp_distances(x, d, std::span<const double>(centres).subspan((c - 1) * d, d), dist2, c == 1);
        for (std::size_t b = 0; b < sums.size(); ++b)
            sums[b] = kmeans_fold(
                std::span<const double>(dist2).subspan(b * chunk_rows, std::min(chunk_rows, n - b * chunk_rows)));
        const kmeanspp_choice ch = kmeanspp_choose_chunk(sums, kmeans_uniform(g));
        if (ch.none) {
            take(static_cast<std::size_t>(std::find(chosen.begin(), chosen.end(), false) - chosen.begin()));
            continue;
        }
        const std::size_t from = ch.chunk * chunk_rows;
        const auto w = std::span<const double>(dist2).subspan(from, std::min(chunk_rows, n - from));
        take(from + kmeanspp_choose_in_chunk(w, ch.remainder));
    }
    return centres;
}

kmeans_result kmeans(std::span<const double> x, std::size_t d, const kmeans_params& p) {
    const std::size_t n = row_count(x, d);
    check_kmeans_params(p, n);
    check_kmeans_features(x, d);
    std::mt19937_64 seeds(p.seed);
    kmeans_result best;
    for (std::size_t run = 0; run < p.n_init; ++run) {
        kmeans_result r = run_once(x, d, p, seeds());
        r.best_run = run;
        if (run == 0 || r.inertia < best.inertia) best = std::move(r);
    }
    return best;
}

}  // namespace tsbatch
