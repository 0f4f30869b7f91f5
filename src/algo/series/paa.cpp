// `paa`: Piecewise Aggregate Approximation, one table row per series with columns
// paa_1 .. paa_S (S = `segments`).
//
// Contract (tests/fixtures/make_operator_fixtures.py is an independent numpy reference):
// - by=points (classic PAA, Keogh et al. 2001): over the N points in order, point i covering
//   [i, i+1), segment k (from 0) covers [k*N/S, (k+1)*N/S). A point cut by a boundary counts
//   in both segments in proportion to its overlap. Value = mean of the non-NaN values weighted
//   by overlap (weights renormalised over the non-NaN ones). N < S works: a point then
//   spreads over several segments, and a segment inside one point takes its value.
// - by=time (IKATS's PAA): segments of equal duration over [start, end] (first and last
//   timestamps), segment k = [start + k*D/S, start + (k+1)*D/S) in exact arithmetic, the last
//   closed at end; value = mean of the non-NaN values in it. A gap can leave segments empty.
//   A one-point series (D = 0) puts its point in segment 1, the others are NaN.
// - A segment without non-NaN weight is NaN; an empty series gives a row of NaN. Infinite
//   values follow IEEE (inf - inf = NaN).
//
// Speed: one pass, no per-point division. by=points keeps the boundary (k+1)*N/S as a running
// quotient and remainder in units of 1/S point, so each segment costs a few integer ops plus
// one division, and its whole points are summed by a vectorised NaN-skipping kernel. by=time
// keeps ceil((k+1)*D/S) the same way (exact, no 128-bit product) and finds each boundary by a
// short linear scan of the timestamps, then galloping search for long segments.
#include "algo/series/paa.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "algo/kernels/vector_lanes.hpp"
#include "algo/operator.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

class paa_op final : public table_operator {
public:
    explicit paa_op(paa_params p) : p_(p), columns_(paa_columns(p)) {}
    const std::vector<column_spec>& columns() const override { return columns_; }
    void apply(series_view in, row_sink& row) const override {
        std::vector<double> out(static_cast<std::size_t>(p_.segments));
        paa(in, p_, out);
        for (std::size_t k = 0; k < out.size(); ++k) row.set(k, out[k]);
    }

private:
    paa_params p_;
    std::vector<column_spec> columns_;
};

void paa_points(std::span<const double> v, std::span<double> out) {
    const std::uint64_t n = v.size();
    const std::uint64_t s = out.size();
    const double sd = static_cast<double>(s);
    // Positions in units of 1/S point: segment k is [k*N, (k+1)*N), point i is [i*S, (i+1)*S).
    // A boundary k*N is kept as quotient (point index) and remainder (offset in that point).
    const std::uint64_t step_q = n / s;
    const std::uint64_t step_r = n % s;
    std::uint64_t lo_q = 0;
    std::uint64_t lo_r = 0;
    for (std::uint64_t k = 0; k < s; ++k) {
        std::uint64_t hi_q = lo_q + step_q;
        std::uint64_t hi_r = lo_r + step_r;
        if (hi_r >= s) {
            hi_r -= s;
            ++hi_q;
        }
        const double head = v[lo_q];
        if (hi_q == lo_q) {
            // Inside one point: the weighted mean is that point's value (NaN stays NaN).
            out[k] = head;
        } else {
            // Head point lo_q with weight S - lo_r, whole points, tail point hi_q with weight hi_r.
            const non_nan_sum mid = sum_non_nan(v.subspan(lo_q + 1, hi_q - lo_q - 1));
            double num = mid.sum * sd;
            double den = mid.count * sd;
            const double wh = static_cast<double>(s - lo_r);
            if (head == head) {
                num += wh * head;
                den += wh;
            }
            if (hi_r != 0) {
                const double tail = v[hi_q];
                const double wt = static_cast<double>(hi_r);
                if (tail == tail) {
                    num += wt * tail;
                    den += wt;
                }
            }
            out[k] = den > 0.0 ? num / den : nan_v;
        }
        lo_q = hi_q;
        lo_r = hi_r;
    }
}

void paa_time(series_view in, std::span<double> out) {
    duration_segmenter seg(in.time, out.size());
    std::size_t begin = 0;
    for (double& o : out) {
        const std::size_t end = seg.next_end();
        const non_nan_sum r = sum_non_nan(in.value.subspan(begin, end - begin));
        o = r.count > 0.0 ? r.sum / r.count : nan_v;
        begin = end;
    }
}

}  // namespace

non_nan_sum sum_non_nan(std::span<const double> v) noexcept {
    using namespace detail;
    const std::size_t n = v.size();
    const double* p = v.data();
    const vec_d zero = splat(0.0);
    const vec_d one = splat(1.0);
    vec_d sum[unroll];
    vec_d cnt[unroll];
    for (std::size_t u = 0; u < unroll; ++u) sum[u] = cnt[u] = zero;
    std::size_t i = 0;
    for (; i + vec_step <= n; i += vec_step) {
        for (std::size_t u = 0; u < unroll; ++u) {
            const vec_d x = load(p + i + u * vec_n);
            const vec_mask ok = x == x;
            sum[u] += ok ? x : zero;
            cnt[u] += ok ? one : zero;
        }
    }
    // Short segments (PAA with many segments) end here: the remainder goes through one vector
    // lane too, and the lanes are combined as a tree, so the per-call latency stays small
    // (a scalar tail and a serial lane sum were most of the time at ~40 points per call).
    for (; i + vec_n <= n; i += vec_n) {
        const vec_d x = load(p + i);
        const vec_mask ok = x == x;
        sum[0] += ok ? x : zero;
        cnt[0] += ok ? one : zero;
    }
    if (i < n) {
        const vec_d x{p[i], 0.0};
        const vec_mask ok = x == x;
        sum[1] += ok ? x : zero;
        cnt[1] += ok ? vec_d{1.0, 0.0} : zero;
    }
    static_assert(unroll == 4, "the tree below adds four accumulators");
    const vec_d s = (sum[0] + sum[1]) + (sum[2] + sum[3]);
    const vec_d c = (cnt[0] + cnt[1]) + (cnt[2] + cnt[3]);
    return {s[0] + s[1], c[0] + c[1]};
}

duration_segmenter::duration_segmenter(std::span<const std::int64_t> time, std::uint64_t segments) noexcept
    : time_(time), segments_(segments) {
    if (time.size() < 2 || segments == 0) return;
    // Unsigned: exact for any two int64 timestamps in order.
    const std::uint64_t d = static_cast<std::uint64_t>(time.back()) - static_cast<std::uint64_t>(time.front());
    step_q_ = d / segments;
    step_r_ = d % segments;
    q_ = step_q_;
    r_ = step_r_;
}

std::size_t duration_segmenter::next_end() noexcept {
    const std::size_t n = time_.size();
    ++k_;
    if (n < 2) {
        // D == 0 (one point, or none): segment 0 takes everything.
        if (k_ == 1) pos_ = n;
        return pos_;
    }
    if (k_ >= segments_) return pos_ = n;  // the last segment is closed at the end
    // Point u = t - start is in segments <= k while u*S < (k+1)*D, i.e. u < ceil((k+1)*D/S).
    const std::uint64_t lim = q_ + (r_ != 0 ? 1 : 0);
    q_ += step_q_;
    r_ += step_r_;
    if (r_ >= segments_) {
        r_ -= segments_;
        ++q_;
    }
    // lim <= D, so start + lim is a timestamp in [start, end]: no overflow in int64.
    const auto bound = static_cast<std::int64_t>(static_cast<std::uint64_t>(time_.front()) + lim);
    const std::int64_t* t = time_.data();
    // Short segments: a linear scan costs one predictable branch per point, where a search
    // mispredicts about half of its steps. Longer ones continue by galloping search.
    std::size_t lo = pos_;
    const std::size_t scan_end = std::min(n, lo + 64);
    while (lo < scan_end && t[lo] < bound) ++lo;
    if (lo < scan_end || lo == n) return pos_ = lo;
    --lo;  // t[lo] < bound
    // Gallop: double the step until t[hi] >= bound, then bisect (lo, hi].
    std::size_t step = 1;
    std::size_t hi = lo + 1;
    while (hi < n && t[hi] < bound) {
        lo = hi;
        step *= 2;
        hi = lo + step;
    }
    hi = std::min(hi, n);
    pos_ = static_cast<std::size_t>(
        std::partition_point(t + lo + 1, t + hi, [bound](std::int64_t x) { return x < bound; }) - t);
    return pos_;
}

void check_paa_params(const paa_params& p) {
    if (p.segments < 1 || p.segments > max_paa_segments)
        throw param_error(
            "segments", "must be in [1, " + std::to_string(max_paa_segments) + "], got " + std::to_string(p.segments));
}

const param_fields<paa_params>& paa_params::fields() {
    using P = paa_params;
    static const auto fields = param_fields<P>(check_paa_params)
                                   .integer("segments", &P::segments, "number of segments (output columns)")
                                   .required()
                                   .min(1)
                                   .max(max_paa_segments)
                                   .choice("by", &P::by, paa_by_names,
                                           "points: equal point counts, fractional boundaries weighted (classic PAA); "
                                           "time: equal durations over [start, end] (IKATS)");
    return fields;
}

std::vector<column_spec> paa_columns(const paa_params& p) {
    std::vector<column_spec> cols;
    cols.reserve(static_cast<std::size_t>(p.segments));
    for (std::int64_t k = 1; k <= p.segments; ++k)
        cols.push_back({"paa_" + std::to_string(k), column_type::float64, "",
                        "mean of segment " + std::to_string(k) + " (NaN when it has no non-NaN value)"});
    return cols;
}

void paa(series_view in, const paa_params& p, std::span<double> out) {
    check_paa_params(p);
    if (in.empty()) {
        std::fill(out.begin(), out.end(), nan_v);
        return;
    }
    if (p.by == paa_by::points)
        paa_points(in.value, out);
    else
        paa_time(in, out);
}

operator_def make_paa_def() {
    // One streaming pass over the values (by=time reads only O(S log) timestamps).
    operator_def d = describe_operator<paa_params>(
        "paa", "piecewise aggregate approximation: one row of `segments` means per series (columns paa_1..paa_S)",
        {1.2, 50.0});
    d.outputs = {{"", data_kind::table, ""}};
    d.bind = bind_from_fields<paa_params, paa_op, &bound_operator::table>;
    return d;
}

}  // namespace tsbatch
