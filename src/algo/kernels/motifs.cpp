// Cross-series motif discovery; the contract is in motifs.hpp.
//
// Reference: tests/fixtures/make_motif_fixtures.py re-implements the method in numpy (scipy's
// normal quantiles for the breakpoints) and runs a brute force over every pair of windows.
#include "algo/kernels/motifs.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <set>
#include <string>
#include <utility>

#include "algo/kernels/quantiles.hpp"
#include "algo/kernels/vector_lanes.hpp"
#include "core/error.hpp"

namespace tsbatch {
namespace {

using detail::lane_sum;
using detail::load;
using detail::splat;
using detail::unroll;
using detail::vec_d;
using detail::vec_n;
using detail::vec_step;

constexpr double inf_v = std::numeric_limits<double>::infinity();

// Spread below this fraction of the level is rounding noise (pattern_search's rule).
constexpr double flat_rel = 1e-13;

// Early abandoning stops a distance once its partial sum exceeds radius^2 * w by this factor:
// a partial sum of at most 1e6 squares is off by less than 1e-9 relative, so an abandoned pair
// is certainly beyond the radius and the verdict never depends on where the check fell.
constexpr double abandon_margin = 1.0 + 1e-6;

// ---- Sums in lane order (see the header) ----------------------------------------------

double lane_fold(const double* x, std::size_t n) noexcept {
    vec_d acc[unroll] = {};
    std::size_t i = 0;
    for (; i + vec_step <= n; i += vec_step)
        for (std::size_t u = 0; u < unroll; ++u) acc[u] += load(x + i + vec_n * u);
    double s = lane_sum(acc);
    for (; i < n; ++i) s += x[i];
    return s;
}

double lane_fold_squared_deviations(const double* x, std::size_t n, double mean) noexcept {
    vec_d acc[unroll] = {};
    const vec_d m = splat(mean);
    std::size_t i = 0;
    for (; i + vec_step <= n; i += vec_step)
        for (std::size_t u = 0; u < unroll; ++u) {
            const vec_d d = load(x + i + vec_n * u) - m;
            acc[u] += d * d;
        }
    double s = lane_sum(acc);
    for (; i < n; ++i) s += (x[i] - mean) * (x[i] - mean);
    return s;
}

// sum (a_i - b_i)^2 in lane order, or +inf once a partial sum (every two blocks, lanes added in
// any order: only a bound) exceeds `bound`.
double squared_distance_bounded(const double* a, const double* b, std::size_t n, double bound) noexcept {
    vec_d acc[unroll] = {};
    std::size_t i = 0;
    std::size_t blocks = 0;
    for (; i + vec_step <= n; i += vec_step) {
        for (std::size_t u = 0; u < unroll; ++u) {
            const vec_d d = load(a + i + vec_n * u) - load(b + i + vec_n * u);
            acc[u] += d * d;
        }
        if ((++blocks & 1u) == 0) {
            const vec_d t = (acc[0] + acc[1]) + (acc[2] + acc[3]);
            if (t[0] + t[1] > bound) return inf_v;
        }
    }
    double s = lane_sum(acc);
    for (; i < n; ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
    return s;
}

// ---- PAA ------------------------------------------------------------------------------

// Segments of the PAA that prunes pairs before their distance: d^2 >= (w/L) sum_k (PAA_a,k -
// PAA_b,k)^2 (Keogh's lower bound; it holds with fractional segments, by Jensen per segment),
// 16 values for the cost of a quarter of a 64-point distance; on random walks it rejects 98%
// of the pairs of a bucket. Pruning only skips pairs whose bound exceeds radius^2 * w by the
// abandon margin, so it never changes a result.
constexpr std::size_t bound_segments = 16;
static_assert(bound_segments % vec_step == 0);

// The PAA of z into out.size() segments (header: fractional boundaries, left to right).
void paa_into(std::span<const double> z, std::span<double> out) noexcept {
    const std::uint64_t w = z.size();
    const std::uint64_t s = out.size();
    const double wd = static_cast<double>(w);
    if (w % s == 0) {  // whole points only, each with weight S: the same sums, no boundary work
        const double sd = static_cast<double>(s);
        const std::uint64_t per = w / s;
        for (std::uint64_t k = 0; k < s; ++k) {
            double acc = 0.0;
            for (std::uint64_t i = k * per; i < (k + 1) * per; ++i) acc += sd * z[i];
            out[k] = acc / wd;
        }
        return;
    }
    for (std::uint64_t k = 0; k < s; ++k) {
        // In units of 1/S point: segment k is [k*w, (k+1)*w), point i is [i*S, (i+1)*S).
        const std::uint64_t lo = k * w, hi = (k + 1) * w;
        double acc = 0.0;
        for (std::uint64_t i = lo / s; i < (hi + s - 1) / s; ++i) {
            const std::uint64_t overlap = std::min((i + 1) * s, hi) - std::max(i * s, lo);
            acc += static_cast<double>(overlap) * z[i];
        }
        out[k] = acc / wd;
    }
}

// sum_k (a_k - b_k)^2 over bound_segments values (any order: it is only compared with a
// bound that has a margin).
inline double bound_distance(const double* a, const double* b) noexcept {
    vec_d acc[unroll] = {};
    for (std::size_t i = 0; i < bound_segments; i += vec_step)
        for (std::size_t u = 0; u < unroll; ++u) {
            const vec_d d = load(a + i + vec_n * u) - load(b + i + vec_n * u);
            acc[u] += d * d;
        }
    const vec_d t = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    return t[0] + t[1];
}

// ---- Words ----------------------------------------------------------------------------

// Letter of v: the number of breakpoints strictly below it (sorted ascending).
unsigned letter_of(double v, const std::vector<double>& bp) noexcept {
    return static_cast<unsigned>(std::lower_bound(bp.begin(), bp.end(), v) - bp.begin());
}

std::vector<double> breakpoints(std::size_t alphabet) {
    return sax_gaussian_breakpoints(static_cast<std::int64_t>(alphabet));
}

// ---- Groups of one bucket piece -------------------------------------------------------

struct candidate_member {
    std::uint64_t row;
    double d2;
    std::uint64_t start;
    std::size_t index;  // in the piece
};

// The groups of the home centres of entries[idx[0..n)], then their greedy selection.
void piece_candidates(std::span<const motif_entry> entries, std::span<const std::size_t> idx, const motif_params& p,
                      std::vector<motif_group>& out) {
    const std::size_t w = p.window;
    const double t2 = p.radius * p.radius * static_cast<double>(w);
    const double bound = t2 * abandon_margin;
    // The pruning PAA of every entry of the piece, and the bound in its units.
    const std::size_t nb = std::min(bound_segments, w);
    const double paa_bound = bound * static_cast<double>(nb) / static_cast<double>(w);
    const std::size_t n = idx.size();
    std::vector<double> lb(n * bound_segments, 0.0);  // unused segments stay 0 (w < 16)
    std::vector<std::uint64_t> rows(n);
    for (std::size_t q = 0; q < n; ++q) {
        paa_into(entries[idx[q]].z, std::span<double>(lb).subspan(q * bound_segments, nb));
        rows[q] = entries[idx[q]].window.series_row;
    }
    std::vector<motif_group> groups;
    std::vector<candidate_member> cand;
    for (std::size_t qi = 0; qi < n; ++qi) {
        const motif_entry& c = entries[idx[qi]];
        if (!c.home) continue;
        cand.clear();
        const double* lc = lb.data() + qi * bound_segments;
        for (std::size_t qj = 0; qj < n; ++qj) {
            if (rows[qj] == rows[qi] || bound_distance(lc, lb.data() + qj * bound_segments) > paa_bound) continue;
            const std::size_t j = idx[qj];
            const motif_entry& v = entries[j];
            const double d2 = squared_distance_bounded(c.z.data(), v.z.data(), w, bound);
            if (d2 <= t2) cand.push_back({v.window.series_row, d2, v.window.start, j});
        }
        if (cand.empty()) continue;
        std::sort(cand.begin(), cand.end(), [](const candidate_member& a, const candidate_member& b) {
            if (a.row != b.row) return a.row < b.row;
            if (a.d2 != b.d2) return a.d2 < b.d2;
            return a.start < b.start;
        });
        motif_group g;
        g.centre = c.window;
        double total = 0.0;
        for (std::size_t q = 0; q < cand.size(); ++q) {
            if (q > 0 && cand[q].row == cand[q - 1].row) continue;  // a farther window of that series
            const motif_window& mw = entries[cand[q].index].window;
            const double d = std::sqrt(cand[q].d2);
            g.members.push_back({mw.series_row, mw.start, mw.start_time, mw.end_time, d});
            total += d;
        }
        g.mean_distance = total / static_cast<double>(g.members.size());
        groups.push_back(std::move(g));
    }
    auto kept = motif_select(std::move(groups), w, std::numeric_limits<std::size_t>::max());
    for (auto& g : kept) out.push_back(std::move(g));
}

}  // namespace

// ---- Parameters ---------------------------------------------------------------------

void check_motif_params(const motif_params& p) {
    if (p.window < min_motif_window || p.window > max_motif_window)
        throw param_error("window", "must be in [" + std::to_string(min_motif_window) + ", " +
                                        std::to_string(max_motif_window) + "], got " + std::to_string(p.window));
    if (p.top_k < 1) throw param_error("top_k", "must be >= 1");
    if (!(p.radius > 0.0 && p.radius <= 2.0))
        throw param_error("radius", "must be in (0, 2] (a fraction of sqrt(window); 2 admits every pair)");
    if (p.step < 1) throw param_error("step", "must be >= 1");
    if (p.segments < 1 || p.segments > max_motif_segments)
        throw param_error("segments", "must be in [1, " + std::to_string(max_motif_segments) + "], got " +
                                          std::to_string(p.segments));
    if (p.segments > p.window)
        throw param_error(
            "segments", "must not exceed window (" + std::to_string(p.window) + "), got " + std::to_string(p.segments));
    if (p.alphabet < 2 || p.alphabet > max_motif_alphabet)
        throw param_error("alphabet", "must be in [2, " + std::to_string(max_motif_alphabet) + "], got " +
                                          std::to_string(p.alphabet));
    if (p.probes > std::min(max_motif_probes, p.segments))
        throw param_error("probes", "must be in [0, min(" + std::to_string(max_motif_probes) + ", segments)], got " +
                                        std::to_string(p.probes));
    if (p.max_bucket < 2) throw param_error("max_bucket", "must be >= 2");
    if (p.exchange_bytes < min_motif_exchange_bytes)
        throw param_error("exchange_bytes", "must be >= " + std::to_string(min_motif_exchange_bytes));
}

double motif_threshold(const motif_params& p) {
    return p.radius * std::sqrt(static_cast<double>(p.window));
}

// ---- Building blocks ------------------------------------------------------------------

motif_window_status motif_znormalize(std::span<const double> x, std::span<double> z) {
    const std::size_t n = x.size();
    double top = 0.0;
    for (const double v : x) {
        if (!std::isfinite(v)) return motif_window_status::non_finite;
        top = std::max(top, std::fabs(v));
    }
    if (top == 0.0) return motif_window_status::flat;
    // Scale by 2^-e so that max |x| is in [0.5, 1): exact, and no square below can overflow.
    int e = 0;
    std::frexp(top, &e);
    if (e > -1000 && e < 1000) {
        const double s = std::ldexp(1.0, -e);
        for (std::size_t i = 0; i < n; ++i) z[i] = x[i] * s;
    } else {
        for (std::size_t i = 0; i < n; ++i) z[i] = std::ldexp(x[i], -e);
    }
    const double nd = static_cast<double>(n);
    const double mean = lane_fold(z.data(), n) / nd;
    const double sd = std::sqrt(lane_fold_squared_deviations(z.data(), n, mean) / nd);
    if (sd <= flat_rel * std::fabs(mean)) return motif_window_status::flat;
    for (std::size_t i = 0; i < n; ++i) z[i] = (z[i] - mean) / sd;
    return motif_window_status::ok;
}

double motif_squared_distance(std::span<const double> a, std::span<const double> b) noexcept {
    return squared_distance_bounded(a.data(), b.data(), std::min(a.size(), b.size()), inf_v);
}

motif_encoder::motif_encoder(const motif_params& p) : p_(p), bp_((check_motif_params(p), breakpoints(p.alphabet))) {}

void motif_encoder::paa(std::span<const double> z, std::span<double> out) const {
    paa_into(z, out);
}

void motif_encoder::encode(std::span<const double> z, motif_code& out) const {
    const std::size_t segs = p_.segments;
    double v[max_motif_segments];
    paa(z, std::span<double>(v, segs));
    const double r2 = p_.radius * p_.radius * static_cast<double>(segs);
    struct flip {
        double gap;
        std::size_t k;
        unsigned to;
    };
    flip flips[max_motif_segments];
    std::size_t nflips = 0;
    motif_word home_word = 0;
    for (std::size_t k = 0; k < segs; ++k) {
        const unsigned l = letter_of(v[k], bp_);
        home_word |= static_cast<motif_word>(l) << (4 * k);
        // The nearest other letter: across the nearest breakpoint, the lower one on a tie.
        bool any = false;
        flip f{0.0, k, 0};
        if (l > 0) {
            f = {v[k] - bp_[l - 1], k, l - 1};
            any = true;
        }
        if (l < bp_.size()) {
            const double up = bp_[l] - v[k];
            if (!any || up < f.gap) f = {up, k, l + 1};
            any = true;
        }
        if (any && f.gap * f.gap <= r2) flips[nflips++] = f;
    }
    std::sort(flips, flips + nflips,
              [](const flip& a, const flip& b) { return a.gap != b.gap ? a.gap < b.gap : a.k < b.k; });
    const std::size_t m = std::min(nflips, p_.probes);
    out.words.clear();
    out.words.push_back(home_word);
    for (std::uint32_t mask = 1; mask < (1u << m); ++mask) {
        double cost = 0.0;
        motif_word word = home_word;
        for (std::size_t j = 0; j < m; ++j) {
            if (!(mask & (1u << j))) continue;
            cost += flips[j].gap * flips[j].gap;
            word = (word & ~(motif_word{15} << (4 * flips[j].k))) |
                   (static_cast<motif_word>(flips[j].to) << (4 * flips[j].k));
        }
        if (cost <= r2) out.words.push_back(word);
    }
}

bool motif_windows_conflict(std::uint64_t row_a, std::uint64_t start_a, std::uint64_t row_b, std::uint64_t start_b,
                            std::size_t window) noexcept {
    if (row_a != row_b) return false;
    const std::uint64_t d = start_a > start_b ? start_a - start_b : start_b - start_a;
    return 2 * d < window;
}

bool motif_group_before(const motif_group& a, const motif_group& b) noexcept {
    if (a.members.size() != b.members.size()) return a.members.size() > b.members.size();
    if (a.mean_distance != b.mean_distance) return a.mean_distance < b.mean_distance;
    if (a.centre.series_row != b.centre.series_row) return a.centre.series_row < b.centre.series_row;
    return a.centre.start < b.centre.start;
}

std::vector<motif_group> motif_select(std::vector<motif_group> groups, std::size_t window, std::size_t top_k) {
    std::sort(groups.begin(), groups.end(), motif_group_before);
    motif_window_set taken(window);
    std::vector<motif_group> out;
    for (auto& g : groups) {
        if (out.size() >= top_k) break;
        if (taken.conflicts(g)) continue;
        taken.add(g);
        out.push_back(std::move(g));
    }
    return out;
}

std::vector<std::size_t> motif_piece_sizes(std::size_t n, std::size_t max_bucket) {
    if (n == 0) return {};
    const std::size_t pieces = (n + max_bucket - 1) / max_bucket;
    const std::size_t base = n / pieces, extra = n % pieces;
    std::vector<std::size_t> out(pieces, base);
    for (std::size_t j = 0; j < extra; ++j) ++out[j];
    return out;
}

motif_fine_key motif_fine(std::span<const double> z, std::size_t segments) {
    static const std::vector<double> fine_bp = breakpoints(motif_fine_alphabet);
    double v[max_motif_segments];
    paa_into(z, std::span<double>(v, segments));
    motif_fine_key key{};
    for (std::size_t k = 0; k < segments; ++k) key[k] = static_cast<std::uint8_t>(letter_of(v[k], fine_bp));
    return key;
}

std::vector<motif_group> motif_bucket_candidates(std::span<const motif_entry> bucket, const motif_params& p) {
    std::vector<std::size_t> order(bucket.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    const bool split = bucket.size() > p.max_bucket;
    std::vector<motif_fine_key> fine;
    if (split)
        for (const auto& e : bucket) fine.push_back(motif_fine(e.z, p.segments));
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const motif_entry& x = bucket[a];
        const motif_entry& y = bucket[b];
        if (split && fine[a] != fine[b]) return fine[a] < fine[b];
        if (x.window.series_row != y.window.series_row) return x.window.series_row < y.window.series_row;
        return x.window.start < y.window.start;
    });
    std::vector<motif_group> out;
    std::size_t at = 0;
    for (const std::size_t n : motif_piece_sizes(bucket.size(), p.max_bucket)) {
        piece_candidates(bucket, std::span<const std::size_t>(order).subspan(at, n), p, out);
        at += n;
    }
    return out;
}

}  // namespace tsbatch
