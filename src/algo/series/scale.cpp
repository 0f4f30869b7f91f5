// `scale`: per-series rescaling by statistics of the series' own non-NaN values.
//
// Contract (tests/fixtures/make_operator_fixtures.py is an independent numpy reference):
// - One output point per input point, same timestamps; NaN inputs stay NaN.
// - zscore: (x - mean) / std, std with `ddof` (0 or 1, default 1 like pandas).
//   minmax: (x - min) / (max - min). maxabs: x / max|x|.
//   robust: (x - median) / (p75 - p25), percentiles by linear interpolation between order
//   statistics (numpy's default method, including its lerp rounding); when p75 == p25 but the
//   series is not constant the divisor is 1 (as sklearn's RobustScaler).
// - Constant series (max == min over the non-NaN values, which includes a single non-NaN
//   value): every non-NaN input gives 0 for every method (even maxabs, and even infinite
//   values). All-NaN: all NaN. Empty: no point.
// - Infinite values take part in the statistics like in numpy, so they usually turn the
//   output into NaN / inf; they are not filtered.
//
// Speed: zscore / minmax / maxabs read the values twice (statistics, then the map); the
// statistics pass is quality_stats' vectorised blocked moments kernel for zscore and its
// lighter min/max kernel for the others. The map divides (rather than multiplying by a
// reciprocal) so results are exactly (x - c) / d, e.g. 1 at the maximum for minmax; the
// output loop is bound by series_sink::push anyway. robust copies the non-NaN values and
// selects order statistics with nth_element (linear time, no full sort).
#include "algo/series/scale.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "algo/kernels/quantiles.hpp"
#include "algo/operator.hpp"
#include "algo/series/quality_stats.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

struct quartiles {
    double p25 = 0.0;
    double p50 = 0.0;
    double p75 = 0.0;
};

// Quartiles of `a` (no NaN, size >= 1) by successive selection: each nth_element works on
// the part from the previous order statistic up (everything below it is already smaller),
// so the three cost about two passes.
quartiles select_quartiles(std::vector<double>& a) {
    const std::size_t m = a.size();
    const double last = static_cast<double>(m - 1);
    std::size_t begin = 0;
    auto at = [&](double q) {
        // (m - 1) * q is exact for q in {0.25, 0.5, 0.75} and any realistic m.
        const double h = last * q;
        const double fl = std::floor(h);
        const auto k = static_cast<std::size_t>(fl);
        const auto first = a.begin() + static_cast<std::ptrdiff_t>(begin);
        const auto kth = a.begin() + static_cast<std::ptrdiff_t>(k);
        std::nth_element(first, kth, a.end());
        const double lo = *kth;
        begin = k;
        const double g = h - fl;
        if (g == 0.0 || k + 1 >= m) return lo;
        const double hi = *std::min_element(kth + 1, a.end());
        return numpy_lerp(lo, hi, g);
    };
    quartiles r;
    r.p25 = at(0.25);
    r.p50 = at(0.5);
    r.p75 = at(0.75);
    return r;
}

}  // namespace

void check_scale_params(const scale_params& p) {
    if (p.ddof < 0 || p.ddof > 1) throw param_error("ddof", "must be 0 or 1, got " + std::to_string(p.ddof));
    const auto m = static_cast<int>(p.method);
    if (m < 0 || m > static_cast<int>(scale_method::robust)) throw param_error("method", "is not a known method");
}

const param_fields<scale_params>& scale_params::fields() {
    using P = scale_params;
    static const auto fields =
        param_fields<P>(check_scale_params)
            .choice("method", &P::method, scale_method_names,
                    "zscore: (x-mean)/std; minmax: (x-min)/(max-min); maxabs: x/max|x|; robust: (x-median)/IQR")
            .integer("ddof", &P::ddof,
                     "delta degrees of freedom of zscore's standard deviation (1: sample, 0: population)")
            .min(0)
            .max(1);
    return fields;
}

scale_fit fit_scale(std::span<const double> v, const scale_params& p) {
    check_scale_params(p);
    scale_fit f;
    if (p.method == scale_method::robust) {
        std::vector<double> a;
        a.reserve(v.size());
        for (const double x : v)
            if (x == x) a.push_back(x);
        f.count = static_cast<std::int64_t>(a.size());
        if (a.empty()) return f;
        const auto [lo, hi] = std::minmax_element(a.begin(), a.end());
        if (*lo == *hi) {
            f.constant = true;
            return f;
        }
        const quartiles q = select_quartiles(a);
        f.center = q.p50;
        const double iqr = q.p75 - q.p25;
        f.divisor = iqr == 0.0 ? 1.0 : iqr;
        return f;
    }
    if (p.method == scale_method::zscore) {
        const value_moments m = compute_value_moments(v);
        f.count = m.count;
        f.constant = m.count > 0 && m.min == m.max;
        if (m.count > 0 && !f.constant) {
            f.center = m.mean;
            f.divisor = std::sqrt(m.variance(p.ddof));
        }
        return f;
    }
    // minmax and maxabs need only the extremes: a lighter pass than the moments.
    const value_range r = compute_value_range(v);
    f.count = r.count;
    f.constant = r.count > 0 && r.min == r.max;
    if (r.count == 0 || f.constant) return f;
    if (p.method == scale_method::minmax) {
        f.center = r.min;
        f.divisor = r.max - r.min;
    } else {
        f.center = 0.0;
        f.divisor = std::max(std::fabs(r.min), std::fabs(r.max));
    }
    return f;
}

void scale(series_view in, const scale_params& p, series_sink& out) {
    const scale_fit f = fit_scale(in.value, p);
    const std::size_t n = in.size();
    // One output point per input point: take the space at once and write through plain
    // pointers, so the loops vectorise (per-point push was the bottleneck).
    const auto dst = out.extend(n);
    std::copy(in.time.begin(), in.time.end(), dst.time.begin());
    const double* v = in.value.data();
    double* o = dst.value.data();
    if (f.count == 0) {
        std::fill(dst.value.begin(), dst.value.end(), nan_v);
    } else if (f.constant) {
        for (std::size_t i = 0; i < n; ++i) o[i] = v[i] == v[i] ? 0.0 : nan_v;
    } else {
        // Division rather than a reciprocal multiply, so results match (x - c) / d exactly.
        const double c = f.center;
        const double d = f.divisor;
        for (std::size_t i = 0; i < n; ++i) o[i] = (v[i] - c) / d;
    }
}

operator_def make_scale_def() {
    // Two passes over the values plus the output; robust's selection costs more per point.
    return series_function_def<scale_params, scale>(
        "scale", "rescale each series by its own statistics (z-score, min-max, max-abs, robust median/IQR)",
        {2.0, 50.0});
}

}  // namespace tsbatch
