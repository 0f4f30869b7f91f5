// `resample`: regular-grid aggregation with optional filling of empty buckets.
//
// Contract (tests/fixtures/make_operator_fixtures.py is an independent pandas reference):
// - Grid: origin + k * period, origin = 0 (epoch) or the first timestamp (first); k may be
//   negative (floor division). Bucket k is [origin + k*P, origin + (k+1)*P).
// - Every bucket holding at least one point emits exactly one point: the aggregation of its
//   non-NaN values, NaN when all of them are NaN. That holds for count too (an all-NaN bucket
//   gives NaN, not 0; otherwise count = number of non-NaN values). median = mean of the two
//   middle values for even counts; std = sample std (ddof 1), NaN with one value, exactly 0
//   for equal values; first / last = first / last non-NaN value.
// - Label: start = bucket start, mid = start + P/2 (floor), end = start + P.
// - Empty buckets between two occupied ones: none with fill = none. Otherwise a run of empty
//   buckets is filled when the last input point before it (t_b, v_b) and the first input point
//   after it (t_a, v_a) satisfy t_a - t_b <= max_gap (default 2 * period); all buckets of the
//   run then get a point at their label timestamp L: linear = (v_a - v_b)/(t_a - t_b) *
//   (L - t_b) + v_b (numpy.interp's form; exactly v_a when L = t_a), previous = v_b,
//   next = v_a. These are raw input points, NaN-valued ones included: linear gives NaN when
//   either neighbour is NaN (even at L = t_a), previous / next copy the neighbour's NaN.
//   Nothing is filled before the first or after the last occupied bucket, and a run holds at
//   most max_gap / period buckets. max_gap is ignored when fill = none.
// - sum and mean add in lane order without compensation (pandas uses Kahan summation): equal
//   up to rounding, ~1e-16 relative unless the bucket's values cancel.
// - Output timestamps are strictly increasing; an empty series gives no point.
// - Timestamps are assumed at least two periods away from the int64 limits (bucket ends are
//   computed as start + period).
//
// Speed: the points are sorted, so each bucket's end index is checked against the previous
// bucket's length (two timestamp reads when the sampling is regular), else found by a short
// forward scan, else by galloping search. A division happens only when the next occupied
// bucket is more than two buckets ahead. The value reductions use explicit vector lanes, as
// in quality_stats, and sum/mean/count first try a plain sum (a NaN anywhere shows in it)
// before the masked one.
#include "algo/series/resample.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "algo/kernels/vector_lanes.hpp"
#include "algo/operator.hpp"
#include "core/time.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

using namespace detail;  // vector lanes (algo/vector_lanes.hpp)

struct sum_count {
    double sum = 0.0;
    double count = 0.0;
};

// Sum and count of the non-NaN values of v[0, n), with `shift` subtracted from each.
sum_count shifted_sum(const double* v, std::size_t n, double shift) {
    sum_count r;
    std::size_t i = 0;
    if (n >= vec_step) {
        const vec_d zero = splat(0.0);
        const vec_d one = splat(1.0);
        const vec_d sh = splat(shift);
        vec_d sum[unroll];
        vec_d cnt[unroll];
        for (std::size_t u = 0; u < unroll; ++u) sum[u] = cnt[u] = zero;
        for (; i + vec_step <= n; i += vec_step) {
            for (std::size_t u = 0; u < unroll; ++u) {
                const vec_d x = load(v + i + u * vec_n);
                const vec_mask ok = x == x;
                sum[u] += ok ? x - sh : zero;
                cnt[u] += ok ? one : zero;
            }
        }
        r.sum = lane_sum(sum);
        r.count = lane_sum(cnt);
    }
    for (; i < n; ++i) {
        const double x = v[i];
        if (x == x) {
            r.sum += x - shift;
            r.count += 1.0;
        }
    }
    return r;
}

// Sum and count of the non-NaN values of v[0, n). Most buckets hold no NaN: a plain lane sum
// (one add per value) proves it, since any NaN makes the total NaN, and only then the masked
// sum runs. Both paths add the same values in the same order, so the result does not depend
// on which one ran.
sum_count nan_sum(const double* v, std::size_t n) {
    double s = 0.0;
    std::size_t i = 0;
    if (n >= vec_step) {
        vec_d sum[unroll];
        for (std::size_t u = 0; u < unroll; ++u) sum[u] = splat(0.0);
        for (; i + vec_step <= n; i += vec_step)
            for (std::size_t u = 0; u < unroll; ++u) sum[u] += load(v + i + u * vec_n);
        s = lane_sum(sum);
    }
    for (; i < n; ++i) s += v[i];
    if (s == s) return {s, static_cast<double>(n)};
    return shifted_sum(v, n, 0.0);
}

// Smallest (want_max = false) or largest non-NaN value of v[0, n); NaN when there is none.
template <bool want_max>
double extreme(const double* v, std::size_t n) {
    double best = want_max ? -inf_v : inf_v;
    bool any = false;
    std::size_t i = 0;
    if (n >= vec_step) {
        vec_d acc[unroll];
        vec_d seen[unroll];
        for (std::size_t u = 0; u < unroll; ++u) {
            acc[u] = splat(best);
            seen[u] = splat(0.0);
        }
        const vec_d one = splat(1.0);
        for (; i + vec_step <= n; i += vec_step) {
            for (std::size_t u = 0; u < unroll; ++u) {
                const vec_d x = load(v + i + u * vec_n);
                if constexpr (want_max)
                    acc[u] = x > acc[u] ? x : acc[u];
                else
                    acc[u] = x < acc[u] ? x : acc[u];
                seen[u] = x == x ? one : seen[u];
            }
        }
        for (std::size_t u = 0; u < unroll; ++u) {
            for (std::size_t j = 0; j < vec_n; ++j) {
                best = want_max ? std::max(best, acc[u][j]) : std::min(best, acc[u][j]);
                any = any || seen[u][j] != 0.0;
            }
        }
    }
    for (; i < n; ++i) {
        const double x = v[i];
        if (x == x) {
            any = true;
            best = want_max ? std::max(best, x) : std::min(best, x);
        }
    }
    // A bucket of -inf values (for min) must not read as empty, hence the separate flag.
    return any ? best : nan_v;
}

double first_valid(const double* v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (v[i] == v[i]) return v[i];
    return nan_v;
}

double last_valid(const double* v, std::size_t n) {
    for (std::size_t i = n; i-- > 0;)
        if (v[i] == v[i]) return v[i];
    return nan_v;
}

// Sample standard deviation: two passes over the bucket, shifted by its first value so
// equal values give exactly 0 (pandas' Welford update does too).
double sample_std(const double* v, std::size_t n) {
    const double shift = first_valid(v, n);
    const sum_count sc = shifted_sum(v, n, shift);
    if (sc.count < 2.0) return nan_v;
    const double mean = sc.sum / sc.count;
    double m2 = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double e = (v[i] - shift) - mean;
        if (v[i] == v[i]) m2 += e * e;
    }
    return std::sqrt(m2 / (sc.count - 1.0));
}

double median_of(const double* v, std::size_t n, std::vector<double>& scratch) {
    scratch.clear();
    for (std::size_t i = 0; i < n; ++i)
        if (v[i] == v[i]) scratch.push_back(v[i]);
    const std::size_t m = scratch.size();
    if (m == 0) return nan_v;
    const auto mid = scratch.begin() + static_cast<std::ptrdiff_t>(m / 2);
    std::nth_element(scratch.begin(), mid, scratch.end());
    if (m % 2 == 1) return *mid;
    const double lower = *std::max_element(scratch.begin(), mid);
    return lower + (*mid - lower) / 2.0;
}

template <resample_aggregation A>
double aggregate(const double* v, std::size_t n, std::vector<double>& scratch) {
    using agg = resample_aggregation;
    if (n == 1) {
        // Up-sampling and 1:1 grids are mostly single-point buckets: skip the loops.
        const double x = v[0];
        if constexpr (A == agg::count)
            return x == x ? 1.0 : nan_v;
        else if constexpr (A == agg::std)
            return nan_v;
        else
            return x;
    }
    if constexpr (A == agg::mean) {
        const sum_count sc = nan_sum(v, n);
        return sc.count > 0.0 ? sc.sum / sc.count : nan_v;
    } else if constexpr (A == agg::sum) {
        const sum_count sc = nan_sum(v, n);
        return sc.count > 0.0 ? sc.sum : nan_v;
    } else if constexpr (A == agg::count) {
        const sum_count sc = nan_sum(v, n);
        return sc.count > 0.0 ? sc.count : nan_v;
    } else if constexpr (A == agg::min) {
        return extreme<false>(v, n);
    } else if constexpr (A == agg::max) {
        return extreme<true>(v, n);
    } else if constexpr (A == agg::median) {
        return median_of(v, n, scratch);
    } else if constexpr (A == agg::first) {
        return first_valid(v, n);
    } else if constexpr (A == agg::last) {
        return last_valid(v, n);
    } else {
        return sample_std(v, n);
    }
}

// Index of the first point of t[i, n) at or after `bound`, given t[i] < bound. `hint` is the
// previous bucket's length: with regular sampling the answer is i + hint, checked with two
// reads. Otherwise scan linearly (the timestamps ahead are usually not in cache yet, and a
// bisection's dependent loads each wait for memory, while a forward scan streams), and
// gallop only when the bucket turns out to be long.
std::size_t bucket_end(const std::int64_t* t, std::size_t i, std::size_t n, std::int64_t bound, std::size_t hint) {
    constexpr std::size_t scan_limit = 64;
    if (i + 1 == n || t[i + 1] >= bound) return i + 1;  // single-point bucket
    std::size_t lo = i + 1;                             // t[lo] < bound
    if (hint > 2) {
        const std::size_t g = i + hint - 1;
        if (g < n && t[g] < bound) {
            if (g + 1 == n || t[g + 1] >= bound) return g + 1;
            lo = g + 1;
        } else {
            // Shorter than the previous bucket: the end is in (lo, min(g, n)].
            const std::size_t hi = std::min(g, n);
            if (hi - lo > scan_limit) return static_cast<std::size_t>(std::lower_bound(t + lo + 1, t + hi, bound) - t);
            std::size_t j = lo + 1;
            while (j < hi && t[j] < bound) ++j;
            return j;
        }
    }
    const std::size_t scan_end = std::min(n, lo + scan_limit);
    for (std::size_t j = lo + 1; j < scan_end; ++j)
        if (t[j] >= bound) return j;
    if (scan_end == n) return n;
    lo = scan_end - 1;
    std::size_t step = scan_limit;
    while (true) {
        const std::size_t probe = lo + step;
        if (probe >= n) return static_cast<std::size_t>(std::lower_bound(t + lo + 1, t + n, bound) - t);
        if (t[probe] >= bound) return static_cast<std::size_t>(std::lower_bound(t + lo + 1, t + probe, bound) - t);
        lo = probe;
        step *= 2;
    }
}

class resampler {
public:
    resampler(const resample_params& p, series_sink& out)
        : p_(p), out_(out), max_gap_(static_cast<std::uint64_t>(p.effective_max_gap())) {
        switch (p.label) {
            case resample_label::start:
                label_offset_ = 0;
                break;
            case resample_label::mid:
                label_offset_ = p.period / 2;
                break;
            case resample_label::end:
                label_offset_ = p.period;
                break;
        }
    }

    template <resample_aggregation A>
    void run(series_view in) {
        const std::size_t n = in.size();
        if (n == 0) return;
        const std::int64_t* t = in.time.data();
        const double* v = in.value.data();
        const std::int64_t period = p_.period;
        const std::int64_t origin = p_.origin == resample_origin::first ? t[0] : 0;
        std::vector<double> scratch;

        bool have_prev = false;
        std::int64_t prev_start = 0;
        std::size_t hint = 0;
        std::size_t prefetch_left = 0;
        std::size_t i = 0;
        while (i < n) {
            const std::int64_t ti = t[i];
            // The next occupied bucket is usually the next one or the one after (jittered
            // up-sampling): step there without a division.
            std::int64_t start = prev_start + period;
            const std::int64_t ahead = have_prev ? ti - start : 0;  // >= 0: ti is past the previous bucket
            if (!have_prev || (ahead >= period && ahead - period >= period))
                start = origin + floor_div(ti - origin, period) * period;
            else if (ahead >= period)
                start += period;
            const std::size_t j = bucket_end(t, i, n, start + period, hint);
            // The hint check reads only two timestamps per bucket, so the hardware prefetcher
            // does not stream the timestamps; where buckets are irregular (around gaps) the
            // fallback scan would then wait on memory. After a missed hint, prefetch the
            // timestamps of the bucket after next for a while; not for long buckets, where a
            // few misses do not matter, nor while hints keep hitting (extra traffic).
            if (j - i != hint) prefetch_left = 32;
            if (prefetch_left > 0) {
                --prefetch_left;
                if (hint >= 8 && hint <= 256)
                    for (std::size_t k = j + hint; k < j + 2 * hint && k < n; k += 8) __builtin_prefetch(t + k);
            }
            if (have_prev && start != prev_start + period && p_.fill != resample_fill::none)
                fill_between(prev_start, start, t[i - 1], v[i - 1], ti, v[i]);
            out_.push(start + label_offset_, aggregate<A>(v + i, j - i, scratch));
            have_prev = true;
            prev_start = start;
            hint = j - i;
            i = j;
        }
    }

private:
    // Fills the empty buckets strictly between the occupied buckets starting at `from` and
    // `to`, whose neighbouring input points are (tb, vb) and (ta, va).
    void fill_between(std::int64_t from, std::int64_t to, std::int64_t tb, double vb, std::int64_t ta, double va) {
        const std::uint64_t distance = static_cast<std::uint64_t>(ta) - static_cast<std::uint64_t>(tb);
        if (distance > max_gap_) return;
        const double slope = (va - vb) / static_cast<double>(distance);
        for (std::int64_t s = from + p_.period; s < to; s += p_.period) {
            const std::int64_t label = s + label_offset_;
            double value = 0.0;
            switch (p_.fill) {
                case resample_fill::linear:
                    // At ta itself (label = end, point on the next bucket start) give va exactly,
                    // unless vb is NaN: a NaN neighbour always gives NaN.
                    value = label == ta && vb == vb ? va : slope * static_cast<double>(label - tb) + vb;
                    break;
                case resample_fill::previous:
                    value = vb;
                    break;
                case resample_fill::next:
                    value = va;
                    break;
                case resample_fill::none:
                    return;
            }
            out_.push(label, value);
        }
    }

    const resample_params& p_;
    series_sink& out_;
    std::uint64_t max_gap_;
    std::int64_t label_offset_ = 0;
};

}  // namespace

std::int64_t resample_params::effective_max_gap() const noexcept {
    if (max_gap) return *max_gap;
    constexpr std::int64_t big = std::numeric_limits<std::int64_t>::max();
    return period > big / 2 ? big : 2 * period;
}

void check_resample_params(const resample_params& p) {
    if (p.period <= 0) throw param_error("period", "must be > 0, got " + format_duration(p.period));
    if (p.max_gap && *p.max_gap <= 0) throw param_error("max_gap", "must be > 0, got " + format_duration(*p.max_gap));
}

const param_fields<resample_params>& resample_params::fields() {
    using P = resample_params;
    static const auto fields =
        param_fields<P>(check_resample_params)
            .duration("period", &P::period, "bucket length of the output grid")
            .required()
            .above(0)
            .unit("ms")
            .choice("aggregation", &P::aggregation, resample_aggregation_names,
                    "how the non-NaN values of a bucket are combined (std: sample, ddof 1)")
            .choice("label", &P::label, resample_label_names, "output timestamp of a bucket: its start, middle or end")
            .choice("fill", &P::fill, resample_fill_names,
                    "how empty buckets between two points at most max_gap apart are filled")
            .duration("max_gap", &P::max_gap,
                      "longest distance between the real points around empty buckets that still get filled")
            .derived("2*period when fill != none")
            .above(0)
            .unit("ms")
            .choice("origin", &P::origin, resample_origin_names,
                    "grid origin: the Unix epoch, or the first timestamp of each series");
    return fields;
}

void resample(series_view in, const resample_params& p, series_sink& out) {
    check_resample_params(p);
    resampler r(p, out);
    using agg = resample_aggregation;
    switch (p.aggregation) {
        case agg::mean:
            r.run<agg::mean>(in);
            break;
        case agg::min:
            r.run<agg::min>(in);
            break;
        case agg::max:
            r.run<agg::max>(in);
            break;
        case agg::median:
            r.run<agg::median>(in);
            break;
        case agg::sum:
            r.run<agg::sum>(in);
            break;
        case agg::count:
            r.run<agg::count>(in);
            break;
        case agg::first:
            r.run<agg::first>(in);
            break;
        case agg::last:
            r.run<agg::last>(in);
            break;
        case agg::std:
            r.run<agg::std>(in);
            break;
    }
}

operator_def make_resample_def() {
    // About one pass over the values; timestamps are mostly skipped (median costs more).
    return series_function_def<resample_params, resample>(
        "resample", "aggregate onto a regular time grid (mean, min, max, ...), optionally filling empty buckets",
        {1.5, 50.0});
}

}  // namespace tsbatch
