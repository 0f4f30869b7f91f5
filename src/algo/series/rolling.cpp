// `rolling`: moving-window aggregation.
//
// Contract (tests/fixtures/make_operator_fixtures.py: pandas rolling, plus a brute-force numpy
// reference for the duration windows pandas does not label the same way):
// - `window` is text: digits only = K points (K >= 1), anything else a duration W > 0
//   (`1h`, `PT15M`). Every output point is at the timestamp of its label point.
// - Point windows: the window of label i is [i - before, i + after] (indices) with
//   right: before = K-1, after = 0; left: before = 0, after = K-1; center: before = K/2,
//   after = (K-1)/2 (integer division), which is pandas' rolling(K, center=True). For even K
//   that puts the label one point later than IKATS' rollmean (its floor((K-1)/2)).
//   With min_points = K (the default) only labels whose window lies inside the series are
//   emitted: N-K+1 points (none for N < K), as IKATS' rollmean. With min_points < K every
//   label is emitted (N points) and windows are cut at the series ends, exactly
//   pandas.Series.rolling(K, min_periods=min_points, center=...) on a RangeIndex (left =
//   pandas' FixedForwardWindowIndexer).
// - Duration windows follow the timestamps (irregular data and holes are fine): the window of
//   the point at t is right: (t-W, t]  (pandas rolling('Wms'), closed='right');
//   left: [t, t+W);  center: [t - floor(W/2), t - floor(W/2) + W), i.e. [t-W/2, t+W/2) on
//   integer ms. One output point per input point; min_points defaults to 1.
// - NaN values are skipped and do not count toward min_points; a window with fewer than
//   min_points non-NaN values gives NaN (so a full-size window with NaN in it gives NaN
//   under the default min_points = K). std is the sample std (ddof 1): NaN with one value,
//   exactly 0 when every value of the window is equal (as pandas). median of an even count
//   is the mean of the two middle values.
// - Infinite values: min/max/median order them; sums follow IEEE (inf, or NaN for inf-inf)
//   for point windows; running sums (duration windows, std) may keep NaN after an infinite
//   value has left the window, as pandas' do.
//
// Speed: point-window mean/sum never subtract: the series is cut into blocks of K points and
// each block gets its prefix and suffix sums (two independent chains in one loop); a window
// of at most K points spans at most two blocks, so its sum is suffix + prefix - a direct sum
// of its values, as accurate as summing them and O(1) per point. Other aggregations slide a
// window whose ends only move forward: running sums (Neumaier-compensated) for duration
// mean/sum, Welford add/remove recomputed from the window every time as many values left
// it as it holds (amortised O(1), bounds the drift) for std, monotonic deques for min/max and
// a pair of balanced multisets (O(log K)) for median.
#include "algo/series/rolling.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "algo/operator.hpp"
#include "core/time.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

// Window extents around a label, in points (index distance) or ms (time distance): the
// window of label i holds the points j with -back <= pos[j] - pos[i] <= fwd.
struct extent {
    std::uint64_t back = 0;
    std::uint64_t fwd = 0;
};

extent extent_of(std::uint64_t width, rolling_align a) {
    switch (a) {
        case rolling_align::left:
            return {0, width - 1};
        case rolling_align::center:
            return {width / 2, width - width / 2 - 1};
        case rolling_align::right:
            break;
    }
    return {width - 1, 0};
}

// --- Accumulators for the sliding engine: add/remove non-NaN values in window order.

// Neumaier-compensated running sum: removal is adding -x, and an empty window is reset to
// an exact zero so rounding cannot outlive the values.
struct sum_acc {
    double sum = 0.0;
    double comp = 0.0;
    std::int64_t n = 0;
    void add_value(double x) {
        const double t = sum + x;
        comp += std::fabs(sum) >= std::fabs(x) ? (sum - t) + x : (x - t) + sum;
        sum = t;
    }
    void add(const double* v, std::size_t j) {
        if (v[j] != v[j]) return;
        ++n;
        add_value(v[j]);
    }
    void remove(const double* v, std::size_t j) {
        if (v[j] != v[j]) return;
        if (--n == 0) {
            sum = comp = 0.0;
            return;
        }
        add_value(-v[j]);
    }
    double total() const { return sum + comp; }
};

struct mean_agg : sum_acc {
    double value(std::int64_t m) const { return n >= m ? total() / static_cast<double>(n) : nan_v; }
};
struct total_agg : sum_acc {
    double value(std::int64_t m) const { return n >= m ? total() : nan_v; }
};

// Welford add/remove. Removal lets rounding accumulate, so after as many removals as the
// window holds, or once m2 fell far below its peak, the moments are recomputed from the
// window (two passes; amortised O(1) for the first rule, and the second needs m2 to fall a
// millionfold again).
struct std_agg {
    double mean = 0.0;
    double m2 = 0.0;
    std::int64_t n = 0;
    std::size_t removed = 0;
    double peak = 0.0;  // largest m2 since the last recomputation
    double last = nan_v;
    std::int64_t same = 0;  // trailing run of equal added values: all equal -> std exactly 0
    void add(const double* v, std::size_t j) {
        const double x = v[j];
        if (x != x) return;
        ++n;
        const double d = x - mean;
        mean += d / static_cast<double>(n);
        m2 += d * (x - mean);
        peak = std::max(peak, m2);
        same = x == last ? same + 1 : 1;
        last = x;
    }
    void remove(const double* v, std::size_t j) {
        const double x = v[j];
        if (x != x) return;
        ++removed;
        if (--n == 0) {
            mean = m2 = 0.0;
            return;
        }
        const double d = x - mean;
        mean -= d / static_cast<double>(n);
        m2 -= d * (x - mean);
    }
    // Removal rounding is relative to the largest m2 seen: once m2 has shrunk a millionfold
    // (a noisy stretch left the window) those errors would dominate it, so recompute too.
    bool wants_refresh(std::size_t width) const { return removed > width + 16 || (removed > 0 && m2 < peak * 1e-6); }
    void refresh(const double* v, std::size_t lo, std::size_t hi) {
        removed = 0;
        peak = 0.0;
        double s = 0.0;
        std::int64_t c = 0;
        for (std::size_t j = lo; j < hi; ++j)
            if (v[j] == v[j]) s += v[j], ++c;
        if (c == 0) return;
        const double mu = s / static_cast<double>(c);
        double q = 0.0;
        for (std::size_t j = lo; j < hi; ++j)
            if (v[j] == v[j]) q += (v[j] - mu) * (v[j] - mu);
        mean = mu;
        m2 = q;
        peak = q;
    }
    double value(std::int64_t m) const {
        if (n < m || n < 2) return nan_v;
        if (same >= n) return 0.0;
        return std::sqrt(std::max(m2, 0.0) / static_cast<double>(n - 1));
    }
};

// Monotonic deque of indices (values strictly better than every later one are dropped).
template <bool is_max>
struct extreme_agg {
    std::vector<std::size_t> q;
    std::size_t head = 0;
    std::int64_t n = 0;
    const double* v = nullptr;
    static bool keeps(double kept, double x) { return is_max ? kept > x : kept < x; }
    void add(const double* vals, std::size_t j) {
        v = vals;
        const double x = vals[j];
        if (x != x) return;
        ++n;
        while (q.size() > head && !keeps(vals[q.back()], x)) q.pop_back();
        q.push_back(j);
    }
    void remove(const double* vals, std::size_t j) {
        if (vals[j] != vals[j]) return;
        --n;
        if (q.size() > head && q[head] == j) ++head;
        if (head == q.size()) q.clear(), head = 0;
    }
    double value(std::int64_t m) const { return n >= m && n > 0 ? v[q[head]] : nan_v; }
};

// Two balanced multisets: lo holds the smaller half (one more for odd counts).
struct median_agg {
    std::multiset<double> lo;
    std::multiset<double> hi;
    void balance() {
        if (lo.size() > hi.size() + 1) {
            auto it = std::prev(lo.end());
            hi.insert(*it);
            lo.erase(it);
        } else if (hi.size() > lo.size()) {
            lo.insert(*hi.begin());
            hi.erase(hi.begin());
        }
    }
    void add(const double* v, std::size_t j) {
        const double x = v[j];
        if (x != x) return;
        if (lo.empty() || x <= *lo.rbegin())
            lo.insert(x);
        else
            hi.insert(x);
        balance();
    }
    void remove(const double* v, std::size_t j) {
        const double x = v[j];
        if (x != x) return;
        if (x <= *lo.rbegin())
            lo.erase(lo.find(x));
        else
            hi.erase(hi.find(x));
        balance();
    }
    double value(std::int64_t m) const {
        const auto n = static_cast<std::int64_t>(lo.size() + hi.size());
        if (n < m || n == 0) return nan_v;
        return n % 2 == 1 ? *lo.rbegin() : (*lo.rbegin() + *hi.begin()) / 2.0;
    }
};

template <class A>
constexpr bool has_refresh = requires(A a, const double* v) {
    a.refresh(v, 0, 0);
};

// Slides the window over labels [first, last): bounds(i) gives the window [lo, hi) of label
// i, both ends nondecreasing in i.
template <class A, class Bounds>
void slide(series_view in, std::size_t first, std::size_t last, std::int64_t m, Bounds bounds, series_sink& out) {
    if (first >= last) return;
    const auto dst = out.extend(last - first);
    std::copy(in.time.begin() + static_cast<std::ptrdiff_t>(first), in.time.begin() + static_cast<std::ptrdiff_t>(last),
              dst.time.begin());
    const double* v = in.value.data();
    A acc;
    std::size_t lo = 0;
    std::size_t hi = 0;
    for (std::size_t i = first; i < last; ++i) {
        const auto [new_lo, new_hi] = bounds(i);
        for (; hi < new_hi; ++hi) acc.add(v, hi);
        for (; lo < new_lo; ++lo) acc.remove(v, lo);
        if constexpr (has_refresh<A>)
            if (acc.wants_refresh(hi - lo)) acc.refresh(v, lo, hi);
        dst.value[i - first] = acc.value(m);
    }
}

struct window_bounds {
    std::size_t lo;
    std::size_t hi;  // exclusive
};

// Point-window mean or sum by per-block prefix/suffix sums (see the header comment).
template <bool mean>
void block_sums(series_view in, std::size_t first, std::size_t last, std::size_t k, extent e, std::int64_t m,
                series_sink& out) {
    if (first >= last) return;
    const std::size_t n = in.size();
    const auto dst = out.extend(last - first);
    std::copy(in.time.begin() + static_cast<std::ptrdiff_t>(first), in.time.begin() + static_cast<std::ptrdiff_t>(last),
              dst.time.begin());
    const double* v = in.value.data();
    // Groups of whole blocks, so short windows still fill a buffer worth a loop.
    const std::size_t group = std::max<std::size_t>(1, 8192 / k) * k;
    thread_local std::vector<double> buf;
    buf.resize(4 * (group + k));
    double* pre = buf.data();
    double* pre_n = pre + (group + k);
    double* suf = pre_n + (group + k);
    double* suf_n = suf + (group + k);
    std::size_t i = first;
    for (std::size_t base = 0; i < last; base += group) {
        // Blocks starting in [base, base + group) plus one more for the windows' right parts.
        const std::size_t end = std::min(n, base + group + k);
        for (std::size_t s = base; s < end; s += k) {
            const std::size_t e_blk = std::min(end, s + k);
            double ps = 0.0, pc = 0.0, ss = 0.0, sc = 0.0;
            for (std::size_t a = s, b = e_blk; a < e_blk; ++a) {
                --b;
                const double x = v[a];
                const double y = v[b];
                ps += x == x ? x : 0.0;
                pc += x == x ? 1.0 : 0.0;
                ss += y == y ? y : 0.0;
                sc += y == y ? 1.0 : 0.0;
                pre[a - base] = ps;
                pre_n[a - base] = pc;
                suf[b - base] = ss;
                suf_n[b - base] = sc;
            }
        }
        const double md = static_cast<double>(m);
        // Block starts of a and b, kept incrementally: a and b advance by at most one per
        // label, and a division per label would cost more than the rest of the loop.
        std::size_t a = i >= e.back ? i - e.back : 0;
        std::size_t b = std::min(n - 1, i + e.fwd);
        std::size_t ra = a % k;
        std::size_t rb = b % k;
        for (; i < last; ++i) {
            const std::size_t na = i >= e.back ? i - e.back : 0;
            const std::size_t nb = std::min(n - 1, i + e.fwd);
            if (na != a) ra = ra + 1 == k ? 0 : ra + 1;
            if (nb != b) rb = rb + 1 == k ? 0 : rb + 1;
            a = na;
            b = nb;
            if (a >= base + group) break;
            double s, c;
            if (a - ra != b - rb) {
                s = suf[a - base] + pre[b - base];
                c = suf_n[a - base] + pre_n[b - base];
            } else if (ra == 0) {
                s = pre[b - base];
                c = pre_n[b - base];
            } else {
                s = suf[a - base];
                c = suf_n[a - base];
            }
            dst.value[i - first] = c >= md ? (mean ? s / c : s) : nan_v;
        }
    }
}

template <class A>
void run_duration(series_view in, extent e, std::int64_t m, series_sink& out) {
    const std::size_t n = in.size();
    const std::int64_t* t = in.time.data();
    std::size_t lo = 0;
    std::size_t hi = 0;
    // Unsigned differences are exact for timestamps in order, whatever their range.
    auto bounds = [&](std::size_t i) {
        const auto ti = static_cast<std::uint64_t>(t[i]);
        while (ti - static_cast<std::uint64_t>(t[lo]) > e.back) ++lo;
        if (hi < i + 1) hi = i + 1;
        while (hi < n && static_cast<std::uint64_t>(t[hi]) - ti <= e.fwd) ++hi;
        return window_bounds{lo, hi};
    };
    slide<A>(in, 0, n, m, bounds, out);
}

template <class A>
void run_points(series_view in, std::size_t first, std::size_t last, extent e, std::int64_t m, series_sink& out) {
    const std::size_t n = in.size();
    auto bounds = [&](std::size_t i) {
        return window_bounds{i >= e.back ? i - e.back : 0, std::min(n, i + e.fwd + 1)};
    };
    slide<A>(in, first, last, m, bounds, out);
}

template <template <class> class Run, class... Args>
void dispatch(rolling_aggregation a, Args&&... args) {
    switch (a) {
        case rolling_aggregation::mean:
            return Run<mean_agg>::go(args...);
        case rolling_aggregation::sum:
            return Run<total_agg>::go(args...);
        case rolling_aggregation::min:
            return Run<extreme_agg<false>>::go(args...);
        case rolling_aggregation::max:
            return Run<extreme_agg<true>>::go(args...);
        case rolling_aggregation::std:
            return Run<std_agg>::go(args...);
        case rolling_aggregation::median:
            return Run<median_agg>::go(args...);
    }
}

template <class A>
struct duration_runner {
    static void go(series_view in, extent e, std::int64_t m, series_sink& out) { run_duration<A>(in, e, m, out); }
};
template <class A>
struct point_runner {
    static void go(series_view in, std::size_t first, std::size_t last, extent e, std::int64_t m, series_sink& out) {
        run_points<A>(in, first, last, e, m, out);
    }
};

}  // namespace

rolling_window parse_rolling_window(std::string_view text) {
    const bool digits =
        !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    rolling_window w;
    if (digits) {
        // Digits only: a point count (std::stoll would accept signs and spaces).
        std::int64_t k = 0;
        for (const char c : text) {
            if (k > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10)
                throw param_error("window", "is too many points: '" + std::string(text) + "'");
            k = k * 10 + (c - '0');
        }
        if (k < 1) throw param_error("window", "must be at least 1 point, got '" + std::string(text) + "'");
        w.points = k;
        return w;
    }
    try {
        w.ms = parse_duration(text);
    } catch (const std::exception& e) {
        throw param_error("window", "must be a number of points (`12`) or a duration (`1h`, `PT15M`), got '" +
                                        std::string(text) + "': " + e.what());
    }
    if (w.ms <= 0) throw param_error("window", "must be a duration > 0, got '" + std::string(text) + "'");
    return w;
}

void check_rolling_params(const rolling_params& p) {
    if ((p.window.points > 0) == (p.window.ms > 0) || p.window.points < 0 || p.window.ms < 0)
        throw param_error("window", "must be a number of points or a duration > 0");
    if (p.min_points < 0) throw param_error("min_points", "must be >= 1, got " + std::to_string(p.min_points));
    if (p.window.points > 0 && p.min_points > p.window.points)
        throw param_error("min_points", "must be <= window (" + std::to_string(p.window.points) + " points), got " +
                                            std::to_string(p.min_points));
    const auto a = static_cast<int>(p.aggregation);
    if (a < 0 || a > static_cast<int>(rolling_aggregation::median))
        throw param_error("aggregation", "is not a known aggregation");
    const auto l = static_cast<int>(p.align);
    if (l < 0 || l > static_cast<int>(rolling_align::right)) throw param_error("align", "is not a known alignment");
}

std::int64_t effective_min_points(const rolling_params& p) noexcept {
    if (p.min_points > 0) return p.min_points;
    return p.window.points > 0 ? p.window.points : 1;
}

const param_fields<rolling_params>& rolling_params::fields() {
    using P = rolling_params;
    static const auto fields =
        param_fields<P>(check_rolling_params)
            .custom(param_type::string, "window",
                    "window: a number of points (`12`) or a duration following the timestamps (`1h`, `PT15M`)",
                    [](P& p, const param_value& v) { p.window = parse_rolling_window(std::get<std::string>(v)); })
            .choice("aggregation", &P::aggregation, rolling_aggregation_names,
                    "aggregate of the window's non-NaN values (std: sample, ddof 1; median: mean of the middle two)")
            .choice("align", &P::align, rolling_align_names,
                    "where the window sits relative to its label point: ending at it, centred on it, or starting at it")
            .integer("min_points", &P::min_points,
                     "fewest non-NaN values a window needs (else NaN); below a point window's size, windows cut by "
                     "the series ends are emitted too")
            .derived("window in points; 1 for duration windows")
            .min(1);
    return fields;
}

void rolling(series_view in, const rolling_params& p, series_sink& out) {
    check_rolling_params(p);
    const std::int64_t m = effective_min_points(p);
    const std::size_t n = in.size();
    if (n == 0) return;
    if (p.window.ms > 0) {
        dispatch<duration_runner>(p.aggregation, in, extent_of(static_cast<std::uint64_t>(p.window.ms), p.align), m,
                                  out);
        return;
    }
    // A window longer than the series behaves as one just as long (same points in reach).
    const auto k_full = static_cast<std::uint64_t>(p.window.points);
    const extent e = extent_of(k_full, p.align);
    std::size_t first = 0;
    std::size_t last = n;
    if (m >= p.window.points) {
        // Only windows inside the series: labels [back, n - fwd).
        if (k_full > n) return;
        first = e.back;
        last = n - e.fwd;
    }
    const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(k_full, n));
    // Extents beyond the series reach the same points as the clipped ones.
    const extent ec{std::min<std::uint64_t>(e.back, n), std::min<std::uint64_t>(e.fwd, n)};
    if (p.aggregation == rolling_aggregation::mean || p.aggregation == rolling_aggregation::sum) {
        if (k_full <= n) {
            if (p.aggregation == rolling_aggregation::mean)
                block_sums<true>(in, first, last, k, ec, m, out);
            else
                block_sums<false>(in, first, last, k, ec, m, out);
            return;
        }
        // Window longer than the series: every window is a clipped prefix/suffix; the
        // running sums below are exact enough and avoid a block size over the series.
    }
    dispatch<point_runner>(p.aggregation, in, first, last, ec, m, out);
}

operator_def make_rolling_def() {
    // One figure for every aggregation, on the safe side: mean/sum/min/max cost about two
    // cheap passes per point, std a little more, median's multiset updates several times
    // more; 3.0 keeps a rank given median-heavy steps from being underestimated too far.
    return series_function_def<rolling_params, rolling>(
        "rolling",
        "moving-window mean/sum/min/max/std/median over K points or a duration, labelled left, centre or right",
        {3.0, 50.0});
}

}  // namespace tsbatch
