// pattern_search kernels; the contract (distances, conventions, accuracy, top-k, pruning) is
// in pattern_search.hpp.
//
// References: tests/fixtures/make_pattern_fixtures.py computes the z-normalised Euclidean
// profile by brute force (numpy, a loop over windows, np.std with ddof 0), DTW by the plain
// O(m^2) recursion with the band in pure Python, and the top-k by the greedy selection over
// every candidate.
//
// Layout of the work per series (a workspace is reused across series, so nothing is allocated
// per window, and once warm nothing per series either):
// 1. sanitise: scale by a power of two, mark non-finite points, replace them by the series mean
//    (windows holding them are not candidates, so the value only has to be finite);
// 2. window statistics: mean, std and kind (invalid, constant, regular) of every window;
// 3. euclidean_znorm: overlap-save blocks of N = next_pow2(4m) points (capped at the series'
//    own power of two): one real FFT of the block, a product with the pattern's spectrum,
//    one inverse; the N - m + 1 valid outputs of each block turn into distances at once.
//    dtw: the series' envelope (sliding max/min over the band), then the pruning cascade per
//    window;
// 4. the series' own greedy top-k (a lazy heap over its candidates, filtered by the rank's
//    running k-th distance), merged into the rank's running top-k.
#include "algo/kernels/pattern_search.hpp"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <complex>
#include <iterator>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include "algo/kernels/fft.hpp"
#include "algo/kernels/vector_lanes.hpp"
#include "core/error.hpp"

namespace tsbatch {
namespace {

constexpr double inf_v = std::numeric_limits<double>::infinity();
constexpr double eps = DBL_EPSILON;  // 2^-52, twice the unit roundoff

// A window or pattern with std <= constant_rel * |mean| is constant (see the header).
constexpr double constant_rel = 1e-13;
// The block sums' variance is accepted when its error bound is within this fraction of it;
// otherwise the window is recomputed by the two-pass formula.
constexpr double stats_tol = 1e-11;
// Bound on the error of the fast variance, in units of eps * E[(x - r)^2] (the derivation is in
// window_stats; the terms add up to about 10).
constexpr double stats_err_factor = 16.0;
// A distance from the FFT is accepted when its error bound is within this fraction of d^2.
constexpr double dist_tol = 1e-9;
// Bound on the FFT's absolute error per output of a block: fft_err_factor * eps * log2(N) *
// ||block||_2 * ||znorm(q)||_2. The measured worst ratio on random, spiky, offset and
// random-walk data (sizes 64..65536) is 0.13; 4 leaves a margin of 30 over it. The
// classical worst-case bound is larger by a factor of order sqrt(N), which would send ordinary
// windows to the O(m) path for nothing; exceeding this one by a factor of 30 takes inputs
// built against the transform.
constexpr double fft_err_factor = 4.0;

// Branch-free compensated summation (Neumaier's variant through Knuth's TwoSum): the error of
// the sum is about 2u|sum| + n u^2 sum|x|, whatever the number of terms.
struct comp_sum {
    double s = 0.0, c = 0.0;
    void add(double x) noexcept {
        const double t = s + x;
        const double bp = t - s;
        c += (s - (t - bp)) + (x - bp);
        s = t;
    }
    double value() const noexcept { return s + c; }
};

// max(a, 0) + max(b, 0): the distance of a point to an interval [lo, hi] is
// excess(p - hi, lo - p) (one side at most is positive, and adding the zero of the other
// changes no bit). Written on two vector lanes because GCC turns the scalar ?: into a branch,
// and which side of an envelope a point falls on is a coin toss: the mispredictions cost more
// than the rest of a lower bound's term.
inline double excess(double a, double b) noexcept {
    const detail::vec_d v{a, b};
    const detail::vec_d zero{0.0, 0.0};
    const detail::vec_d p = v > zero ? v : zero;
    return p[0] + p[1];
}

enum window_kind : std::uint8_t { kind_invalid = 0, kind_constant = 1, kind_regular = 2 };

bool is_constant(double sigma, double mean) noexcept {
    return sigma <= constant_rel * std::fabs(mean);
}

// Multiplication by the power of two 2^-e that brings the largest finite |value| into
// [0.5, 1) (e = 0 when none is nonzero). Exact, but for values so much smaller than the largest
// that they end up subnormal. A factor outside the normal range (the largest value is itself
// subnormal, or near the top of the range) goes through ldexp, as one multiplication would
// overflow or round.
class power2_scale {
public:
    explicit power2_scale(double max_abs) noexcept {
        if (max_abs > 0.0 && std::isfinite(max_abs)) std::frexp(max_abs, &e_);
        direct_ = e_ >= -1023 && e_ <= 1022;
        factor_ = direct_ ? std::ldexp(1.0, -e_) : 1.0;
    }
    double operator()(double v) const noexcept { return direct_ ? v * factor_ : std::ldexp(v, -e_); }

private:
    int e_ = 0;
    bool direct_ = true;
    double factor_ = 1.0;
};

// Mean (ref + offset) and population std of finite values by the corrected two-pass formula
// with compensated sums (Higham, Accuracy and Stability, 1.9): deviations d = (x - ref) -
// offset, var = (sum d^2 - (sum d)^2 / n) / n, which also corrects for the rounding of offset.
struct moments {
    double offset = 0.0;
    double sigma = 0.0;
};

moments two_pass(const double* x, std::size_t n, double ref) noexcept {
    comp_sum s;
    for (std::size_t j = 0; j < n; ++j) s.add(x[j] - ref);
    const double nd = static_cast<double>(n);
    const double offset = s.value() / nd;
    comp_sum s1, s2;
    for (std::size_t j = 0; j < n; ++j) {
        const double d = (x[j] - ref) - offset;
        s1.add(d);
        s2.add(d * d);
    }
    const double a = s1.value();
    const double var = (s2.value() - a * a / nd) / nd;
    return {offset, var > 0.0 ? std::sqrt(var) : 0.0};
}

// The pattern, ready for both distances.
struct prepared_pattern {
    std::size_t m = 0;
    bool constant = false;
    std::vector<double> z;      // znorm(q); zeros when constant
    double z_sum = 0.0;         // sum of z: 0 but for rounding, corrected for in the dot products
    double z_norm = 0.0;        // ||z||_2, about sqrt(m)
    std::size_t r = 0;          // DTW band half-width
    std::vector<double> upper;  // DTW: envelope of z over the band
    std::vector<double> lower;
    std::vector<std::size_t> order;  // indices by decreasing |z|: lower bounds grow fastest that way
};

void sliding_extrema(const double* x, std::size_t n, std::size_t r, double* upper, double* lower,
                     std::vector<double>& scratch);

prepared_pattern prepare_pattern(std::span<const double> q, const pattern_params& p) {
    prepared_pattern pp;
    const std::size_t m = q.size();
    pp.m = m;
    double max_abs = 0.0;
    for (double v : q) max_abs = std::max(max_abs, std::fabs(v));
    const power2_scale scale(max_abs);
    std::vector<double> xs(q.begin(), q.end());
    for (double& v : xs) v = scale(v);
    const moments mo = two_pass(xs.data(), m, xs[0]);
    pp.constant = is_constant(mo.sigma, xs[0] + mo.offset);
    pp.z.assign(m, 0.0);
    if (!pp.constant)
        for (std::size_t j = 0; j < m; ++j) pp.z[j] = ((xs[j] - xs[0]) - mo.offset) / mo.sigma;
    comp_sum zs, zn;
    for (double v : pp.z) {
        zs.add(v);
        zn.add(v * v);
    }
    pp.z_sum = zs.value();
    pp.z_norm = std::sqrt(zn.value());
    pp.r = p.distance == pattern_distance::dtw ? dtw_band_width(m, p.band) : 0;
    pp.upper.resize(m);
    pp.lower.resize(m);
    std::vector<double> scratch;
    sliding_extrema(pp.z.data(), m, pp.r, pp.upper.data(), pp.lower.data(), scratch);
    pp.order.resize(m);
    for (std::size_t j = 0; j < m; ++j) pp.order[j] = j;
    std::stable_sort(pp.order.begin(), pp.order.end(),
                     [&](std::size_t a, std::size_t b) { return std::fabs(pp.z[a]) > std::fabs(pp.z[b]); });
    return pp;
}

// upper[p] / lower[p] = max / min of x over [p - r, p + r] clipped to [0, n), in O(n) without
// data-dependent branches (van Herk / Gil-Werman): in blocks of w = 2r + 1 points, the running
// extremum from each block's start (fw) and from its end (bw); a window of at most w points
// spans at most two blocks, and is a suffix of the first plus a prefix of the second. scratch
// is reused.
void sliding_extrema(const double* x, std::size_t n, std::size_t r, double* upper, double* lower,
                     std::vector<double>& scratch) {
    const std::size_t w = 2 * r + 1;
    scratch.resize(4 * n);
    double* const fwu = scratch.data();
    double* const fwl = fwu + n;
    double* const bwu = fwl + n;
    double* const bwl = bwu + n;
    const auto mx = [](double a, double b) { return a > b ? a : b; };
    const auto mn = [](double a, double b) { return a < b ? a : b; };
    for (std::size_t b0 = 0; b0 < n; b0 += w) {
        const std::size_t b1 = std::min(n, b0 + w);
        fwu[b0] = fwl[b0] = x[b0];
        for (std::size_t p = b0 + 1; p < b1; ++p) {
            fwu[p] = mx(fwu[p - 1], x[p]);
            fwl[p] = mn(fwl[p - 1], x[p]);
        }
        bwu[b1 - 1] = bwl[b1 - 1] = x[b1 - 1];
        for (std::size_t p = b1 - 1; p-- > b0;) {
            bwu[p] = mx(bwu[p + 1], x[p]);
            bwl[p] = mn(bwl[p + 1], x[p]);
        }
    }
    for (std::size_t p = 0; p < n; ++p) {
        const std::size_t a = p > r ? p - r : 0;
        const std::size_t b = std::min(n - 1, p + r);
        if (a / w == b / w) {
            // One block: the window starts it (clipped at 0) or ends it (clipped at n - 1).
            upper[p] = a % w == 0 ? fwu[b] : bwu[a];
            lower[p] = a % w == 0 ? fwl[b] : bwl[a];
        } else {
            upper[p] = mx(bwu[a], fwu[b]);
            lower[p] = mn(bwl[a], fwl[b]);
        }
    }
}

// A candidate as it travels: the squared distance orders, the rest identifies.
using candidate = pattern_candidate;

bool before(const candidate& a, const candidate& b) noexcept {
    return candidate_before(a, b);
}

// The set S of the header: mutually compatible candidates whose largest distance, once there
// are `need` of them, is a safe pruning threshold.
class compatible_set {
public:
    compatible_set(std::size_t k, std::size_t exclusion)
        : need_(exclusion <= 1 ? k : 2 * k - 1), exclusion_(exclusion) {}

    /// The threshold on squared distances: +inf until the set is full.
    double threshold() const noexcept { return threshold_; }

    void offer(double d2, std::uint64_t row, std::uint64_t start) {
        if (members_.size() == need_ && !(d2 < threshold_)) return;
        const candidate c{d2, row, start, 0, 0};
        // Members it conflicts with (two at most); it enters only by beating all of them.
        std::size_t conflicts = 0;
        for (const auto& s : members_)
            if (s.row == row && distance(s.start, start) < exclusion_) {
                if (!before(c, s)) return;
                ++conflicts;
            }
        if (conflicts > 0)
            std::erase_if(members_,
                          [&](const candidate& s) { return s.row == row && distance(s.start, start) < exclusion_; });
        members_.push_back(c);
        if (members_.size() > need_) members_.erase(std::max_element(members_.begin(), members_.end(), before));
        threshold_ = inf_v;
        if (members_.size() == need_) threshold_ = std::max_element(members_.begin(), members_.end(), before)->d2;
    }

private:
    static std::uint64_t distance(std::uint64_t a, std::uint64_t b) noexcept { return a > b ? a - b : b - a; }

    std::size_t need_;
    std::uint64_t exclusion_;
    std::vector<candidate> members_;
    double threshold_ = inf_v;
};

// Squared DTW of a (rows) against b (columns), both of length m, band r, as the sum of
// (a_i - b_j)^2 along the best path. Early abandoning (limit < inf): after row i, when the
// row's minimum plus the rest's lower bound exceeds `limit`, returns +inf. The rest's bound is
// the larger of tail_rows[i + 1] (each later row is visited) and tail_cols[i + r + 1] (each
// column beyond the band of row i is visited in a later row); either may be null. The
// arithmetic that produces the result is the same with or without a limit.
double dtw_squared(const double* a, const double* b, std::size_t m, std::size_t r, double limit,
                   const double* tail_rows, const double* tail_cols, std::vector<double>& buf) {
    buf.resize(2 * m + 2);
    double* prev = buf.data();
    double* cur = buf.data() + m + 1;
    // Row 0: only rightward steps.
    const std::size_t hi0 = std::min(m - 1, r);
    double acc = 0.0;
    for (std::size_t j = 0; j <= hi0; ++j) {
        const double d = a[0] - b[j];
        acc += d * d;
        cur[j] = acc;
    }
    if (hi0 + 1 < m) cur[hi0 + 1] = inf_v;
    double row_min = cur[0];
    auto abandon = [&](std::size_t i, double rmin) {
        if (!(limit < inf_v)) return false;
        double rest = 0.0;
        if (tail_rows != nullptr && i + 1 < m) rest = tail_rows[i + 1];
        if (tail_cols != nullptr && i + r + 1 < m) rest = std::max(rest, tail_cols[i + r + 1]);
        return rmin + rest > limit;
    };
    if (abandon(0, row_min)) return inf_v;
    for (std::size_t i = 1; i < m; ++i) {
        std::swap(prev, cur);
        const std::size_t lo = i > r ? i - r : 0;
        const std::size_t hi = std::min(m - 1, i + r);
        // prev holds row i-1 on [lo - 1 or 0, hi - 1] and +inf at hi (set below for the
        // previous row), so up = prev[j] is +inf outside its band.
        double left = inf_v;
        row_min = inf_v;
        const double ai = a[i];
        for (std::size_t j = lo; j <= hi; ++j) {
            const double diag = j > 0 ? prev[j - 1] : inf_v;
            const double up = prev[j];
            const double d = ai - b[j];
            const double v = d * d + std::min(diag, std::min(up, left));
            cur[j] = v;
            left = v;
            row_min = std::min(row_min, v);
        }
        if (hi + 1 < m) cur[hi + 1] = inf_v;
        if (abandon(i, row_min)) return inf_v;
    }
    return cur[m - 1];
}

// Per-series scratch, reused across the series of one search.
class workspace {
public:
    workspace(const prepared_pattern& pp, const pattern_params& p) : pp_(pp), p_(p) {}

    /// Squared distances of every window of `values` into d2 (n - m + 1 of them), +inf for
    /// non-candidates and for windows pruned against `set` (null: no pruning).
    void profile(std::span<const double> values, std::vector<double>& d2, compatible_set* set, std::uint64_t row);

    pattern_search_stats stats;
    // Scratch of the greedy selection.
    std::vector<std::pair<double, std::uint64_t>> heap;
    std::vector<std::uint8_t> blocked;
    std::vector<candidate> picks, merged;

private:
    bool sanitise(std::span<const double> values);
    void window_stats();
    void euclidean(std::vector<double>& d2);
    void dtw(std::vector<double>& d2, compatible_set* set, std::uint64_t row);
    double direct_d2(std::size_t i) const noexcept;
    // The window's mean is ref_ + off_: ref_ a value near the window's own (its block's mean, or
    // its first point), off_ small. Deviations computed as (x - ref) - off are then accurate to
    // the window's own spread, not to the level of its values (1e9 + noise) or of its
    // neighbours; with x - mu, mu's rounding would shift every z-normalised value alike, which
    // the Euclidean distance ignores but DTW does not.
    double normalised(std::size_t i, std::size_t j) const noexcept { return deviation(i, x_[i + j]) * inv_sig_[i]; }
    double deviation(std::size_t i, double v) const noexcept { return (v - ref_[i]) - off_[i]; }

    const real_fft_plan& plan(std::size_t n);
    const std::vector<std::complex<double>>& pattern_spectrum(std::size_t n);

    const prepared_pattern& pp_;
    const pattern_params& p_;

    std::size_t n_ = 0, nw_ = 0;
    double shift_ = 0.0;              // mean of the finite scaled values
    std::vector<double> x_;           // scaled values, non-finite ones replaced by shift_
    std::vector<std::uint8_t> bad_;   // non-finite points
    std::vector<std::uint8_t> kind_;  // per window
    // Per window: mean = ref_ + off_, 1 / std (0 for constant windows), and a bound on the
    // relative error of the std.
    std::vector<double> ref_, off_, inv_sig_, sig_err_;
    std::vector<double> suf1_, suf2_, pre1_, pre2_;  // block sums (window_stats)

    std::map<std::size_t, real_fft_plan> plans_;
    std::map<std::size_t, std::vector<std::complex<double>>> spectra_;
    std::vector<double> block_;
    std::vector<std::complex<double>> spec_;

    std::vector<double> upper_, lower_, w_, cb_rows_, cb_cols_, dtw_buf_;
    std::vector<double> envelope_scratch_;
};

const real_fft_plan& workspace::plan(std::size_t n) {
    auto it = plans_.find(n);
    if (it == plans_.end()) it = plans_.emplace(n, real_fft_plan(n)).first;
    return it->second;
}

// The spectrum of znorm(q) reversed and zero-padded to n points: multiplying a block's
// spectrum by it gives the circular convolution whose outputs m-1..n-1 are the block's
// sliding dot products.
const std::vector<std::complex<double>>& workspace::pattern_spectrum(std::size_t n) {
    auto it = spectra_.find(n);
    if (it != spectra_.end()) return it->second;
    std::vector<double> rev(n, 0.0);
    for (std::size_t j = 0; j < pp_.m; ++j) rev[j] = pp_.z[pp_.m - 1 - j];
    std::vector<std::complex<double>> s(plan(n).spectrum_size());
    plan(n).forward(rev, s);
    return spectra_.emplace(n, std::move(s)).first->second;
}

bool workspace::sanitise(std::span<const double> values) {
    n_ = values.size();
    nw_ = n_ - pp_.m + 1;
    double max_abs = 0.0;
    std::size_t finite = 0;
    for (double v : values)
        if (std::isfinite(v)) {
            max_abs = std::max(max_abs, std::fabs(v));
            ++finite;
        }
    if (finite < pp_.m) return false;  // no window can be complete
    const power2_scale scale(max_abs);
    x_.resize(n_);
    bad_.resize(n_);
    comp_sum s;
    for (std::size_t j = 0; j < n_; ++j) {
        const double v = values[j];
        const bool b = !std::isfinite(v);
        bad_[j] = b ? 1 : 0;
        x_[j] = b ? 0.0 : scale(v);
        s.add(x_[j]);
    }
    shift_ = s.value() / static_cast<double>(finite);
    for (std::size_t j = 0; j < n_; ++j)
        if (bad_[j]) x_[j] = shift_;
    return true;
}

// Mean, std and kind of every window. Windows are cut into a suffix of block b and a prefix of
// block b+1 (blocks of m points); both sums are compensated sums of deviations from r_b, the
// mean of block b, so their errors scale with the window's own deviations from a nearby level.
// Error of the fast variance var = a - b^2 (a = S2/m, b = S1/m, S sums of d = x - r and d^2):
// the sums' about 2 eps (S2, and sum|d| <= sqrt(m S2) for S1), the rounding of d, d^2, the
// scalings by 1/m (itself rounded) and the final subtraction: about 11 eps * a in all, bounded
// by 16 eps * a. When that exceeds stats_tol * var the window's mean is far (more than ~75 std)
// from r_b and the two-pass formula recomputes it.
void workspace::window_stats() {
    const std::size_t m = pp_.m, nw = nw_;
    kind_.assign(nw, kind_regular);
    ref_.resize(nw);
    off_.resize(nw);
    inv_sig_.resize(nw);
    sig_err_.resize(nw);
    // Windows with a non-finite point: a running count over the window.
    std::size_t bad_in = 0;
    for (std::size_t j = 0; j < m; ++j) bad_in += bad_[j];
    for (std::size_t i = 0;; ++i) {
        if (bad_in != 0) kind_[i] = kind_invalid;
        if (i + 1 == nw) break;
        bad_in += bad_[i + m];
        bad_in -= bad_[i];
    }
    suf1_.resize(m);
    suf2_.resize(m);
    pre1_.resize(m);
    pre2_.resize(m);
    const double inv_m = 1.0 / static_cast<double>(m);
    for (std::size_t s0 = 0; s0 < nw; s0 += m) {
        // A window starts at s0, so m points follow: the block is whole.
        const std::size_t wins = std::min(m, nw - s0);
        double r = 0.0;
        for (std::size_t j = 0; j < m; ++j) r += x_[s0 + j];
        r *= inv_m;
        // The suffix sums of this block and the prefix sums of the next one, in one loop: four
        // independent compensated sums keep the pipelines busy where one would wait on its
        // own latency. Window s0 + o + 1 ends at s0 + m + o.
        comp_sum a1, a2, b1, b2;
        for (std::size_t o = 0; o < m; ++o) {
            const std::size_t back = m - 1 - o;
            const double d = x_[s0 + back] - r;
            a1.add(d);
            a2.add(d * d);
            suf1_[back] = a1.value();
            suf2_[back] = a2.value();
            if (o + 1 < wins) {
                const double e = x_[s0 + m + o] - r;
                b1.add(e);
                b2.add(e * e);
                pre1_[o] = b1.value();
                pre2_[o] = b2.value();
            }
        }
        for (std::size_t o = 0; o < wins; ++o) {
            const std::size_t i = s0 + o;
            if (kind_[i] == kind_invalid) continue;
            const double s1 = o > 0 ? suf1_[o] + pre1_[o - 1] : suf1_[o];
            const double s2 = o > 0 ? suf2_[o] + pre2_[o - 1] : suf2_[o];
            const double a = s2 * inv_m, b = s1 * inv_m;
            const double var = a - b * b;
            double ref = r, off = b, sigma = 0.0, rel = 0.0;
            if (var > 0.0 && stats_err_factor * eps * a <= stats_tol * var) {
                sigma = std::sqrt(var);
                rel = 0.5 * stats_err_factor * eps * a / var + eps;
            } else {
                // Relative to the window's first point: a reference inside the window's range.
                const moments mo = two_pass(x_.data() + i, m, x_[i]);
                ref = x_[i];
                off = mo.offset;
                sigma = mo.sigma;
                rel = 4.0 * eps;
            }
            ref_[i] = ref;
            off_[i] = off;
            sig_err_[i] = rel;
            if (is_constant(sigma, ref + off)) {
                kind_[i] = kind_constant;
                inv_sig_[i] = 0.0;
            } else {
                inv_sig_[i] = 1.0 / sigma;
            }
        }
    }
}

// d^2 of window i summed directly: accurate to a few ulps of sqrt(m) in d, used where the
// FFT's cannot be guaranteed.
double workspace::direct_d2(std::size_t i) const noexcept {
    const double* z = pp_.z.data();
    double s = 0.0;
    for (std::size_t j = 0; j < pp_.m; ++j) {
        const double d = z[j] - normalised(i, j);
        s += d * d;
    }
    return s;
}

void workspace::euclidean(std::vector<double>& d2) {
    const std::size_t m = pp_.m, n = n_, nw = nw_;
    const double md = static_cast<double>(m), inv_m = 1.0 / md;
    const std::size_t nfft = std::min(next_power_of_two(n), std::max<std::size_t>(next_power_of_two(4 * m), 64));
    const std::size_t step = nfft - m + 1;  // windows per block
    const real_fft_plan& pl = plan(nfft);
    const auto& qs = pattern_spectrum(nfft);
    block_.resize(nfft);
    spec_.resize(pl.spectrum_size());
    const double log2n = static_cast<double>(std::countr_zero(nfft));
    for (std::size_t s0 = 0; s0 < nw; s0 += step) {
        double energy = 0.0;
        for (std::size_t j = 0; j < nfft; ++j) {
            const double y = s0 + j < n ? x_[s0 + j] - shift_ : 0.0;
            block_[j] = y;
            energy += y * y;
        }
        pl.forward(block_, spec_);
        for (std::size_t k = 0; k < spec_.size(); ++k) {
            const double ar = spec_[k].real(), ai = spec_[k].imag();
            const double br = qs[k].real(), bi = qs[k].imag();
            spec_[k] = {ar * br - ai * bi, ar * bi + ai * br};
        }
        pl.inverse(spec_, block_);
        // Bound on each dot product's error (energy's own rounding is covered by the factor).
        const double fft_err = fft_err_factor * eps * log2n * std::sqrt(energy) * pp_.z_norm;
        const std::size_t end = std::min(nw, s0 + step);
        for (std::size_t i = s0; i < end; ++i) {
            if (kind_[i] != kind_regular) {
                d2[i] = kind_[i] == kind_constant ? md : inf_v;
                continue;
            }
            const double inv = inv_sig_[i] * inv_m;  // 1 / (m sigma)
            // sum_j z_j (x_{i+j} - mu) = sum_j z_j y_{i+j} - (mu - shift) sum_j z_j.
            const double dot = block_[i - s0 + m - 1] - ((ref_[i] - shift_) + off_[i]) * pp_.z_sum;
            const double corr = dot * inv;
            const double v = 2.0 * md * std::clamp(1.0 - corr, 0.0, 2.0);
            const double corr_err = fft_err * inv + sig_err_[i] * std::fabs(corr) + 8.0 * eps;
            if (2.0 * md * corr_err <= dist_tol * v) {
                d2[i] = v;
            } else {
                d2[i] = direct_d2(i);
                ++stats.direct;
            }
        }
    }
}

void workspace::dtw(std::vector<double>& d2, compatible_set* set, std::uint64_t row) {
    const std::size_t m = pp_.m, nw = nw_, r = pp_.r;
    const double md = static_cast<double>(m);
    const bool prune = set != nullptr;
    // Rounded sums of the same squared terms in other orders differ by less than this
    // relative margin (about 3m u for the longest sums: a path has at most 2m - 1 cells).
    const double margin = 1.0 + 16.0 * md * eps;
    const double* const z = pp_.z.data();
    const double* const zu = pp_.upper.data();
    const double* const zl = pp_.lower.data();
    const std::size_t* const order = pp_.order.data();
    w_.resize(m);
    double* const w = w_.data();
    if (prune) {
        upper_.resize(n_);
        lower_.resize(n_);
        sliding_extrema(x_.data(), n_, r, upper_.data(), lower_.data(), envelope_scratch_);
        cb_rows_.resize(m + 1);
        cb_cols_.resize(m + 1);
    }
    double* const cb_rows = cb_rows_.data();
    double* const cb_cols = cb_cols_.data();
    for (std::size_t i = 0; i < nw; ++i) {
        if (kind_[i] != kind_regular) {
            d2[i] = kind_[i] == kind_constant ? md : inf_v;
            continue;
        }
        const double* const x = x_.data() + i;
        const double ref = ref_[i], off = off_[i], inv = inv_sig_[i];
        // The z-normalised window point; the same expression as normalised(), so LB terms and
        // DTW cells see the very same doubles.
        const auto zn = [=](double v) { return ((v - ref) - off) * inv; };
        const double t2 = prune ? set->threshold() : inf_v;
        const double limit = t2 < inf_v ? t2 * margin : inf_v;
        const double* tail_rows = nullptr;
        const double* tail_cols = nullptr;
        if (limit < inf_v) {
            // LB_Kim: every path holds the first and the last cell.
            const double e0 = z[0] - zn(x[0]), el = z[m - 1] - zn(x[m - 1]);
            if (e0 * e0 + el * el > limit) {
                d2[i] = inf_v;
                ++stats.pruned;
                continue;
            }
            // LB_Keogh, window against the envelope of z: column j meets only z within the band.
            double lb = 0.0;
            std::size_t k = 0;
            for (; k < m; ++k) {
                const std::size_t j = order[k];
                const double v = zn(x[j]);
                w[j] = v;
                const double e = excess(v - zu[j], zl[j] - v);
                cb_cols[j] = e * e;
                lb += e * e;
                if (lb > limit) break;
            }
            // LB_Keogh, z against the envelope of the window: row j meets only window points
            // within the band, all inside the series' envelope at i + j.
            if (k == m) {
                const double* const xu = upper_.data() + i;
                const double* const xl = lower_.data() + i;
                double lb2 = 0.0;
                for (k = 0; k < m; ++k) {
                    const std::size_t j = order[k];
                    const double u = zn(xu[j]), l = zn(xl[j]);
                    const double e = excess(z[j] - u, l - z[j]);
                    cb_rows[j] = e * e;
                    lb2 += e * e;
                    if (lb2 > limit) break;
                }
            }
            if (k < m) {
                d2[i] = inf_v;
                ++stats.pruned;
                continue;
            }
            // Suffix sums: the bound of the rows / columns still to come.
            cb_rows[m] = cb_cols[m] = 0.0;
            for (std::size_t j = m; j-- > 0;) {
                cb_rows[j] += cb_rows[j + 1];
                cb_cols[j] += cb_cols[j + 1];
            }
            tail_rows = cb_rows;
            tail_cols = cb_cols;
        } else {
            for (std::size_t j = 0; j < m; ++j) w[j] = zn(x[j]);
        }
        const double v = dtw_squared(z, w, m, r, limit, tail_rows, tail_cols, dtw_buf_);
        d2[i] = v;
        if (v < inf_v) {
            if (prune) set->offer(v, row, i);
        } else {
            ++stats.abandoned;
        }
    }
}

void workspace::profile(std::span<const double> values, std::vector<double>& d2, compatible_set* set,
                        std::uint64_t row) {
    const std::size_t m = pp_.m;
    if (values.size() < m) {
        d2.clear();
        return;
    }
    d2.assign(values.size() - m + 1, inf_v);
    stats.windows += d2.size();
    if (!sanitise(values)) return;
    window_stats();
    if (pp_.constant) {
        // znorm(q) = 0: constant windows at 0, the others at ||znorm(w)||^2 = m.
        for (std::size_t i = 0; i < nw_; ++i)
            d2[i] = kind_[i] == kind_constant ? 0.0 : kind_[i] == kind_regular ? static_cast<double>(m) : inf_v;
        return;
    }
    if (p_.distance == pattern_distance::euclidean_znorm)
        euclidean(d2);
    else
        dtw(d2, set, row);
}

// The greedy sequence of one series (first k picks among its candidates with d2 < cutoff),
// merged into `top` (sorted, at most k).
void select_series(std::span<const double> d2, const series_view& s, std::uint64_t row, std::size_t m,
                   const pattern_params& p, workspace& ws, std::vector<candidate>& top) {
    const std::size_t k = p.top_k;
    const double cutoff = top.size() == k ? top.back().d2 : inf_v;  // later rows lose ties
    auto& heap = ws.heap;
    heap.clear();
    for (std::size_t i = 0; i < d2.size(); ++i)
        if (d2[i] < cutoff) heap.emplace_back(d2[i], i);
    if (heap.empty()) return;
    const auto after = [](const std::pair<double, std::uint64_t>& a, const std::pair<double, std::uint64_t>& b) {
        return a > b;  // min-heap on (d2, start)
    };
    std::make_heap(heap.begin(), heap.end(), after);
    ws.blocked.assign(d2.size(), 0);
    auto& picks = ws.picks;
    picks.clear();
    while (!heap.empty() && picks.size() < k) {
        std::pop_heap(heap.begin(), heap.end(), after);
        const auto [v, start] = heap.back();
        heap.pop_back();
        if (ws.blocked[start]) continue;
        picks.push_back({v, row, start, s.time[start], s.time[start + m - 1]});
        ws.blocked[start] = 1;
        if (p.exclusion > 1) {
            const std::size_t lo = start >= p.exclusion - 1 ? start - (p.exclusion - 1) : 0;
            const std::size_t last = d2.size() - 1;
            const std::size_t hi = last - start > p.exclusion - 1 ? start + (p.exclusion - 1) : last;
            std::fill(ws.blocked.begin() + static_cast<std::ptrdiff_t>(lo),
                      ws.blocked.begin() + static_cast<std::ptrdiff_t>(hi) + 1, std::uint8_t{1});
        }
    }
    auto& merged = ws.merged;
    merged.clear();
    std::merge(top.begin(), top.end(), picks.begin(), picks.end(), std::back_inserter(merged), before);
    if (merged.size() > k) merged.resize(k);
    top.swap(merged);
}

// One rank's greedy top-k over its series.
std::vector<candidate> search_local(std::span<const series_view> series, std::uint64_t first_row,
                                    const prepared_pattern& pp, const pattern_params& p, pattern_search_stats& stats) {
    workspace ws(pp, p);
    compatible_set set(p.top_k, p.exclusion);
    const bool prune = p.prune && p.distance == pattern_distance::dtw && !pp.constant;
    std::vector<candidate> top;
    std::vector<double> d2;
    for (std::size_t s = 0; s < series.size(); ++s) {
        const series_view& v = series[s];
        if (v.time.size() != v.value.size())
            throw std::invalid_argument("pattern_search: series " + std::to_string(first_row + s) +
                                        " has unequal time and value lengths");
        if (v.size() < pp.m) continue;
        const std::uint64_t row = first_row + s;
        ws.profile(v.value, d2, prune ? &set : nullptr, row);
        for (double x : d2) ws.stats.candidates += x < inf_v ? 1 : 0;
        select_series(d2, v, row, pp.m, p, ws, top);
    }
    stats = ws.stats;
    return top;
}

}  // namespace

std::size_t dtw_band_width(std::size_t m, double band) noexcept {
    if (m == 0 || !(band > 0.0)) return 0;
    const double w = std::floor(band * static_cast<double>(m));
    return w >= static_cast<double>(m - 1) ? m - 1 : static_cast<std::size_t>(w);
}

void check_pattern_params(std::span<const double> pattern, const pattern_params& p) {
    if (pattern.size() < 2)
        throw param_error("pattern", "must have at least 2 points, got " + std::to_string(pattern.size()));
    for (std::size_t j = 0; j < pattern.size(); ++j)
        if (!std::isfinite(pattern[j]))
            throw param_error("pattern", "point " + std::to_string(j) + " is not a finite number (" +
                                             (std::isnan(pattern[j]) ? std::string("NaN") : std::string("infinite")) +
                                             "): a pattern must be complete");
    if (p.top_k < 1) throw param_error("top_k", "must be >= 1");
    if (!(p.band >= 0.0 && p.band <= 1.0)) throw param_error("band", "must be in [0, 1]");
}

std::vector<double> distance_profile(std::span<const double> values, std::span<const double> pattern,
                                     const pattern_params& p) {
    check_pattern_params(pattern, p);
    const prepared_pattern pp = prepare_pattern(pattern, p);
    workspace ws(pp, p);
    std::vector<double> d2;
    ws.profile(values, d2, nullptr, 0);
    for (double& v : d2) v = std::sqrt(v);
    return d2;
}

double dtw_distance(std::span<const double> a, std::span<const double> b, std::size_t r) {
    if (a.size() != b.size() || a.empty())
        throw std::invalid_argument("dtw_distance: sequences must have the same, nonzero length");
    std::vector<double> buf;
    return std::sqrt(
        dtw_squared(a.data(), b.data(), a.size(), std::min(r, a.size() - 1), inf_v, nullptr, nullptr, buf));
}

bool candidate_before(const pattern_candidate& a, const pattern_candidate& b) noexcept {
    if (a.d2 != b.d2) return a.d2 < b.d2;
    if (a.row != b.row) return a.row < b.row;
    return a.start < b.start;
}

pattern_match to_match(const pattern_candidate& c) noexcept {
    return {c.row, c.start, c.start_time, c.end_time, std::sqrt(c.d2)};
}

std::vector<pattern_candidate> local_pattern_candidates(std::span<const series_view> series, std::uint64_t first_row,
                                                        std::span<const double> pattern, const pattern_params& p,
                                                        pattern_search_stats* stats) {
    const prepared_pattern pp = prepare_pattern(pattern, p);
    pattern_search_stats st;
    std::vector<candidate> top = search_local(series, first_row, pp, p, st);
    if (stats != nullptr) *stats = st;
    return top;
}

}  // namespace tsbatch
