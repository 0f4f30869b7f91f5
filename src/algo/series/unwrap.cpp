// `unwrap`: numpy.unwrap along each series.
//
// Contract (tests/fixtures/make_operator_fixtures.py is an independent numpy reference):
// - One output point per input point, same timestamps. Period P = 2 pi (radians) or 360
//   (degrees); discontinuity D defaults to P/2.
// - numpy.unwrap(v, discont=D, period=P), reproduced operation for operation so results are
//   bit-identical: for each jump d = v[i] - v[prev], ddmod = mod(d + P/2, P) - P/2 (numpy's
//   floor-style mod; +P/2 instead of -P/2 when ddmod = -P/2 and d > 0), correction
//   ddmod - d, or 0 when |d| < D; the output is v[i] + the running sum of corrections, added
//   in order. The first value is unchanged. A D below P/2 acts as P/2 up to rounding: jumps
//   between D and P/2 get a correction of a few ulps (as in numpy), never a whole period.
// - NaN passes through as NaN and does not reset the offset: jumps are measured between
//   consecutive non-NaN values (numpy.unwrap on the non-NaN subsequence, NaN put back in
//   place). All-NaN stays all NaN; empty gives no point.
// - An infinite value is not NaN: as in numpy, its jump makes the correction NaN, and every
//   later output is NaN.
//
// Speed: wraps are rare, so the loop's only branch is `|d| < D` (taken for almost every
// point); NaN, the first value and real wraps go through the slow path, which also avoids
// fmod where d + P/2 already lies in [0, P) (fmod is then the identity). The output is sized
// once (series_sink::extend).
#include "algo/series/unwrap.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numbers>
#include <string>

#include "algo/operator.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

// numpy's float remainder mod(x, P) for P > 0: fmod, shifted into [0, P) when negative, and
// +0 for a zero remainder.
double numpy_mod(double x, double period) noexcept {
    if (x >= 0.0 && x < period) return x + 0.0;  // fmod(x, P) == x; + 0.0 turns -0 into +0
    double m = std::fmod(x, period);
    if (m != 0.0) {
        if (m < 0.0) m += period;
    } else {
        m = 0.0;
    }
    return m;
}

// numpy.unwrap's phase correction of one jump d with |d| >= D (or NaN-free but large).
double correction(double d, double period, double half) noexcept {
    double ddmod = numpy_mod(d + half, period) - half;
    if (ddmod == -half && d > 0.0) ddmod = half;
    return ddmod - d;
}

}  // namespace

double unwrap_params::period() const noexcept {
    return unit == unwrap_unit::degrees ? 360.0 : 2.0 * std::numbers::pi;
}

double unwrap_params::effective_discontinuity() const noexcept {
    return discontinuity ? *discontinuity : period() / 2.0;
}

void check_unwrap_params(const unwrap_params& p) {
    const auto u = static_cast<int>(p.unit);
    if (u < 0 || u > static_cast<int>(unwrap_unit::degrees)) throw param_error("unit", "is not a known unit");
    if (p.discontinuity && !(*p.discontinuity > 0.0 && std::isfinite(*p.discontinuity)))
        throw param_error("discontinuity", "must be a finite number > 0, got " + std::to_string(*p.discontinuity));
}

const param_fields<unwrap_params>& unwrap_params::fields() {
    using P = unwrap_params;
    static const auto fields =
        param_fields<P>(check_unwrap_params)
            .choice("unit", &P::unit, unwrap_unit_names,
                    "unit of the values: the period is 2*pi for radians, 360 for degrees")
            .number("discontinuity", &P::discontinuity,
                    "largest jump between consecutive values that is not a wrap (below half a period acts as half)")
            .derived("pi for radians, 180 for degrees")
            .above(0)
            .unit("radians or degrees");
    return fields;
}

void unwrap(series_view in, const unwrap_params& p, series_sink& out) {
    check_unwrap_params(p);
    const std::size_t n = in.size();
    const auto dst = out.extend(n);
    std::copy(in.time.begin(), in.time.end(), dst.time.begin());
    const double period = p.period();
    const double half = period / 2.0;  // numpy's interval_high
    const double discont = p.effective_discontinuity();
    const double* v = in.value.data();
    double* o = dst.value.data();
    // prev: the last non-NaN value (NaN before the first one); offset: the corrections so far.
    double prev = nan_v;
    double offset = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double x = v[i];
        const double d = x - prev;
        // False for NaN d too, which sends NaN values and the first value to the slow path.
        if (!(std::fabs(d) < discont)) [[unlikely]] {
            if (x != x) {
                o[i] = x;
                continue;  // prev stays the last non-NaN value
            }
            if (prev != prev) {
                // The first non-NaN value is kept as it is (even -0, as numpy).
                o[i] = x;
                prev = x;
                continue;
            }
            offset += correction(d, period, half);
        }
        o[i] = x + offset;
        prev = x;
    }
}

operator_def make_unwrap_def() {
    // One sequential pass (the running offset), the branch almost never taken: measured at
    // 1.25-1.65x identity's time per point.
    return series_function_def<unwrap_params, unwrap>(
        "unwrap", "remove the wraps of a phase or angle series (numpy.unwrap); NaN passes through", {1.5, 10.0});
}

}  // namespace tsbatch
