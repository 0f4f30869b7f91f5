// `quality_stats`: one row per series with value and sampling statistics.
//
// Contract (tests/fixtures/make_operator_fixtures.py is an independent numpy reference):
// - nb_points counts every point, NaN included; nb_nan the NaN values.
// - start / end: first / last timestamp (ms). Empty series: every int column 0, every float
//   column NaN.
// - min, max, mean, variance (population, ddof 0), std = sqrt(variance): over the non-NaN
//   values; NaN when there is none (all-NaN or empty). When min == max (constant values,
//   including a single value) the mean is exactly that value and the variance exactly 0.
//   Infinite values take part like numpy: mean may be +-inf or NaN, variance NaN.
// - Steps Δt = t[i] - t[i-1] over consecutive timestamps (NaN-valued points included, since
//   they were sampled). ref_period = modal Δt, ties -> the smaller Δt; min_period, max_period;
//   mean_period = (end - start) / (nb_points - 1). With fewer than 2 points every period int
//   column is 0 and mean_period NaN.
// - nb_gaps = number of Δt with Δt > gap_factor * ref_period (compared in double, like the
//   reference); longest_gap = the largest such Δt, i.e. max_period when nb_gaps > 0, else 0.
//
// Speed: one pass over memory. The series is cut into blocks small enough to stay in L1.
// Each block's values are summed in one vectorised pass as d = x - s with s the block's first
// finite value, giving the block count, mean and squared deviations M2 = Σd² - (Σd)²/n.
// Because s is one of the block's values, (s - mean)² <= M2, so Σd² <= (n + 1) M2 and the
// cancellation costs at most a factor n + 1 (1025): <= ~1e-13 relative in the worst case,
// ~1e-16 typically, unlike one-pass sums of squares over the whole series (1e6 + noise
// loses everything). Blocks are merged with Chan's pairwise formula, which stays accurate
// for drifting series. The vector lanes below are independent accumulators the compiler keeps
// in SIMD registers without reassociating any sum (no -ffast-math needed). The modal step
// is counted in a small dense histogram centred on the median of a sample of steps, with
// four interleaved copies so a regular series (the same bin every step) does not serialise
// on store-to-load forwarding; steps outside the window (gaps) go to a hash map.
#include "algo/series/quality_stats.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <unordered_map>

#include "algo/kernels/vector_lanes.hpp"
#include "algo/operator.hpp"
#include "algo/param_fields.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

// Points per block: 8 KiB of values and 8 KiB of timestamps, so the pass over a block's
// timestamps after its values hits L1; also bounds the cancellation factor (see above).
constexpr std::size_t block_size = 1024;

using namespace detail;  // vector lanes (algo/vector_lanes.hpp)

// Merges per-block moments (count, mean, squared deviations) into running ones (Chan et al.,
// "Updating formulae and a pairwise algorithm for computing sample variances", 1979).
class moments_builder {
public:
    void add_block(const double* v, std::size_t n) {
        // Block-local shift: the block's first finite value (0 without one, so infinities
        // give numpy's inf / NaN results rather than inf - inf everywhere).
        double s0 = 0.0;
        for (std::size_t k = 0; k < n; ++k) {
            if (std::isfinite(v[k])) {
                s0 = v[k];
                break;
            }
        }
        const vec_d shift = splat(s0);
        const vec_d zero = splat(0.0);
        const vec_d one = splat(1.0);
        vec_d sum[unroll];
        vec_d sq[unroll];
        vec_d cnt[unroll];
        vec_d lo[unroll];
        vec_d hi[unroll];
        for (std::size_t u = 0; u < unroll; ++u) {
            sum[u] = sq[u] = cnt[u] = zero;
            lo[u] = splat(inf_v);
            hi[u] = splat(-inf_v);
        }
        constexpr std::size_t step = vec_n * unroll;
        const std::size_t nv = n - n % step;
        for (std::size_t i = 0; i < nv; i += step) {
            for (std::size_t u = 0; u < unroll; ++u) {
                const vec_d x = load(v + i + u * vec_n);
                const vec_mask ok = x == x;
                const vec_d d = ok ? x - shift : zero;
                sum[u] += d;
                sq[u] += d * d;
                cnt[u] += ok ? one : zero;
                lo[u] = x < lo[u] ? x : lo[u];
                hi[u] = x > hi[u] ? x : hi[u];
            }
        }
        double bsum = 0.0;
        double bsq = 0.0;
        double bcnt = 0.0;
        double bmin = inf_v;
        double bmax = -inf_v;
        for (std::size_t u = 0; u < unroll; ++u) {
            for (std::size_t j = 0; j < vec_n; ++j) {
                bsum += sum[u][j];
                bsq += sq[u][j];
                bcnt += cnt[u][j];
                bmin = lo[u][j] < bmin ? lo[u][j] : bmin;
                bmax = hi[u][j] > bmax ? hi[u][j] : bmax;
            }
        }
        for (std::size_t i = nv; i < n; ++i) {
            const double x = v[i];
            if (x == x) {
                const double d = x - s0;
                bsum += d;
                bsq += d * d;
                bcnt += 1.0;
                bmin = x < bmin ? x : bmin;
                bmax = x > bmax ? x : bmax;
            }
        }
        min_ = bmin < min_ ? bmin : min_;
        max_ = bmax > max_ ? bmax : max_;
        nb_nan_ += static_cast<std::int64_t>(n) - static_cast<std::int64_t>(bcnt);
        if (bcnt == 0.0) return;
        const double mean_d = bsum / bcnt;
        const double raw_m2 = bsq - bsum * mean_d;
        const double bm2 = raw_m2 < 0.0 ? 0.0 : raw_m2;  // rounding below 0; NaN (from inf) stays
        // Running means are kept relative to the first block's mean: block means then differ
        // by small, exactly representable amounts (accurate merges), and unlike the first
        // value it is not thrown off by a leading outlier.
        if (count_ == 0.0 && std::isfinite(s0 + mean_d)) shift_ = s0 + mean_d;
        merge(bcnt, (s0 - shift_) + mean_d, bm2);
    }

    value_moments finish() const {
        value_moments m;
        m.count = static_cast<std::int64_t>(count_);
        m.nb_nan = nb_nan_;
        if (count_ == 0.0) {
            m.min = m.max = m.mean = m.m2 = nan_v;
            return m;
        }
        m.min = min_;
        m.max = max_;
        if (min_ == max_) {
            // Constant values: exact, whatever rounding the shifted sums did.
            m.mean = min_;
            m.m2 = 0.0;
        } else {
            m.mean = shift_ + mean_;
            m.m2 = m2_;
        }
        return m;
    }

private:
    void merge(double n, double mean, double m2) {
        if (count_ == 0.0) {
            count_ = n;
            mean_ = mean;
            m2_ = m2;
            return;
        }
        const double total = count_ + n;
        const double delta = mean - mean_;
        mean_ += delta * (n / total);
        m2_ += m2 + delta * delta * (count_ * n / total);
        count_ = total;
    }

    double shift_ = 0.0;
    double count_ = 0.0;
    double mean_ = 0.0;  // relative to shift_
    double m2_ = 0.0;
    double min_ = inf_v;
    double max_ = -inf_v;
    std::int64_t nb_nan_ = 0;
};

// Δt with wrap-around instead of signed overflow: exact for any increasing pair.
inline std::int64_t step_at(const std::int64_t* t, std::size_t i) noexcept {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(t[i]) - static_cast<std::uint64_t>(t[i - 1]));
}

struct step_summary {
    std::int64_t ref = 0;
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::int64_t nb_gaps = 0;
};

// Counts of each step Δt: dense bins for [lo_, lo_ + width_), a hash map for the rest.
class step_histogram {
public:
    static constexpr std::size_t max_width = 256;
    static constexpr std::size_t copies = 4;

    // Centres the window on the median of a sample of steps: for regular or jittered series
    // that is the mode's neighbourhood, and gaps (rare by nature) fall outside.
    explicit step_histogram(std::span<const std::int64_t> t) {
        const std::size_t steps = t.size() - 1;  // >= 1
        width_ = std::clamp<std::size_t>(std::bit_ceil(steps), 16, max_width);
        constexpr std::size_t max_sample = 31;
        std::array<std::int64_t, max_sample> sample{};
        const std::size_t ns = std::min(max_sample, steps);
        for (std::size_t k = 0; k < ns; ++k) sample[k] = step_at(t.data(), 1 + k * steps / ns);
        auto mid = sample.begin() + static_cast<std::ptrdiff_t>(ns / 2);
        std::nth_element(sample.begin(), mid, sample.begin() + static_cast<std::ptrdiff_t>(ns));
        lo_ = static_cast<std::int64_t>(static_cast<std::uint64_t>(*mid) - width_ / 2);
        std::fill_n(bins_.begin(), width_ * copies, std::uint64_t{0});
    }

    // Counts the steps ending at points [begin, end), begin >= 1.
    void add(const std::int64_t* t, std::size_t begin, std::size_t end) {
        const auto lo = static_cast<std::uint64_t>(lo_);
        const std::uint64_t width = width_;
        std::uint64_t* bins = bins_.data();
        std::size_t i = begin;
        for (; i + copies <= end; i += copies) {
            for (std::size_t k = 0; k < copies; ++k) {
                const std::int64_t dt = step_at(t, i + k);
                const std::uint64_t idx = static_cast<std::uint64_t>(dt) - lo;
                if (idx < width) [[likely]]
                    ++bins[idx * copies + k];
                else
                    ++outside_[dt];
            }
        }
        for (; i < end; ++i) {
            const std::int64_t dt = step_at(t, i);
            const std::uint64_t idx = static_cast<std::uint64_t>(dt) - lo;
            if (idx < width)
                ++bins[idx * copies];
            else
                ++outside_[dt];
        }
    }

    step_summary finish(double gap_factor) const {
        step_summary s;
        std::uint64_t best = 0;
        s.min = std::numeric_limits<std::int64_t>::max();
        s.max = std::numeric_limits<std::int64_t>::min();
        auto visit = [&](std::int64_t dt, std::uint64_t c) {
            if (c == 0) return;
            if (c > best || (c == best && dt < s.ref)) {
                best = c;
                s.ref = dt;
            }
            s.min = std::min(s.min, dt);
            s.max = std::max(s.max, dt);
        };
        for_each_count(visit);
        const double threshold = gap_factor * static_cast<double>(s.ref);
        for_each_count([&](std::int64_t dt, std::uint64_t c) {
            if (static_cast<double>(dt) > threshold) s.nb_gaps += static_cast<std::int64_t>(c);
        });
        return s;
    }

private:
    template <class F>
    void for_each_count(F&& f) const {
        for (std::size_t b = 0; b < width_; ++b) {
            std::uint64_t c = 0;
            for (std::size_t k = 0; k < copies; ++k) c += bins_[b * copies + k];
            f(static_cast<std::int64_t>(static_cast<std::uint64_t>(lo_) + b), c);
        }
        for (const auto& [dt, c] : outside_) f(dt, c);
    }

    std::int64_t lo_ = 0;
    std::size_t width_ = 0;
    std::array<std::uint64_t, max_width * copies> bins_;
    std::unordered_map<std::int64_t, std::uint64_t> outside_;
};

std::string number_text(double v) {
    std::ostringstream os;
    os.precision(17);
    os << v;
    return os.str();
}

void check_gap_factor(double gap_factor) {
    if (!(gap_factor > 0.0) || !std::isfinite(gap_factor))
        throw param_error("gap_factor", "must be a finite number > 0, got " + number_text(gap_factor));
}

struct quality_stats_params {
    double gap_factor = 3.0;

    static const param_fields<quality_stats_params>& fields();
};

class quality_stats_op final : public table_operator {
public:
    explicit quality_stats_op(const quality_stats_params& p) : gap_factor_(p.gap_factor) {}
    const std::vector<column_spec>& columns() const override { return quality_stats_columns(); }
    void apply(series_view in, row_sink& row) const override {
        write_quality_stats_row(compute_quality_stats(in, gap_factor_), row);
    }

private:
    double gap_factor_;
};

}  // namespace

double value_moments::variance(int ddof) const noexcept {
    if (count <= ddof) return nan_v;
    return m2 / static_cast<double>(count - ddof);
}

value_range compute_value_range(std::span<const double> v) {
    const std::size_t n = v.size();
    constexpr std::size_t step = vec_n * unroll;
    const std::size_t nv = n - n % step;
    vec_d lo[unroll];
    vec_d hi[unroll];
    vec_mask cnt[unroll];
    for (std::size_t u = 0; u < unroll; ++u) {
        lo[u] = splat(inf_v);
        hi[u] = splat(-inf_v);
        cnt[u] = vec_mask{0, 0};
    }
    for (std::size_t i = 0; i < nv; i += step) {
        for (std::size_t u = 0; u < unroll; ++u) {
            const vec_d x = load(v.data() + i + u * vec_n);
            lo[u] = x < lo[u] ? x : lo[u];
            hi[u] = x > hi[u] ? x : hi[u];
            cnt[u] -= x == x;  // a true comparison is -1
        }
    }
    double mn = inf_v;
    double mx = -inf_v;
    std::int64_t count = 0;
    for (std::size_t u = 0; u < unroll; ++u) {
        for (std::size_t j = 0; j < vec_n; ++j) {
            mn = lo[u][j] < mn ? lo[u][j] : mn;
            mx = hi[u][j] > mx ? hi[u][j] : mx;
            count += cnt[u][j];
        }
    }
    for (std::size_t i = nv; i < n; ++i) {
        const double x = v[i];
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
        count += x == x ? 1 : 0;
    }
    value_range r;
    r.count = count;
    r.min = count > 0 ? mn : nan_v;
    r.max = count > 0 ? mx : nan_v;
    return r;
}

value_moments compute_value_moments(std::span<const double> v) {
    moments_builder b;
    for (std::size_t i = 0; i < v.size(); i += block_size)
        b.add_block(v.data() + i, std::min(block_size, v.size() - i));
    return b.finish();
}

quality_stats_result compute_quality_stats(series_view s, double gap_factor) {
    check_gap_factor(gap_factor);
    quality_stats_result r;
    const std::size_t n = s.size();
    r.nb_points = static_cast<std::int64_t>(n);
    if (n == 0) {
        r.min = r.max = r.mean = r.variance = r.std = r.mean_period = nan_v;
        return r;
    }
    r.start = s.time.front();
    r.end = s.time.back();

    moments_builder values;
    if (n == 1) {
        values.add_block(s.value.data(), 1);
        r.mean_period = nan_v;
    } else {
        step_histogram steps(s.time);
        for (std::size_t i = 0; i < n; i += block_size) {
            const std::size_t len = std::min(block_size, n - i);
            values.add_block(s.value.data() + i, len);
            steps.add(s.time.data(), std::max<std::size_t>(i, 1), i + len);
        }
        const step_summary st = steps.finish(gap_factor);
        r.ref_period = st.ref;
        r.min_period = st.min;
        r.max_period = st.max;
        r.nb_gaps = st.nb_gaps;
        r.longest_gap = st.nb_gaps > 0 ? st.max : 0;
        const auto span = static_cast<std::uint64_t>(r.end) - static_cast<std::uint64_t>(r.start);
        r.mean_period = static_cast<double>(span) / static_cast<double>(n - 1);
    }

    const value_moments m = values.finish();
    r.nb_nan = m.nb_nan;
    r.min = m.min;
    r.max = m.max;
    r.mean = m.mean;
    r.variance = m.variance(0);
    r.std = std::sqrt(r.variance);
    return r;
}

const std::vector<column_spec>& quality_stats_columns() {
    static const std::vector<column_spec> cols = {
        {"nb_points", column_type::int64, "", "number of points, NaN values included"},
        {"nb_nan", column_type::int64, "", "number of NaN values"},
        {"start", column_type::int64, unit_epoch_ms, "first timestamp"},
        {"end", column_type::int64, unit_epoch_ms, "last timestamp"},
        {"min", column_type::float64, "", "smallest non-NaN value"},
        {"max", column_type::float64, "", "largest non-NaN value"},
        {"mean", column_type::float64, "", "mean of the non-NaN values"},
        {"variance", column_type::float64, "", "population variance of the non-NaN values"},
        {"std", column_type::float64, "", "population standard deviation of the non-NaN values"},
        {"ref_period", column_type::int64, unit_ms, "modal time step (ties: the smaller)"},
        {"min_period", column_type::int64, unit_ms, "smallest time step"},
        {"max_period", column_type::int64, unit_ms, "largest time step"},
        {"mean_period", column_type::float64, unit_ms, "mean time step"},
        {"nb_gaps", column_type::int64, "", "number of time steps > gap_factor * ref_period"},
        {"longest_gap", column_type::int64, unit_ms, "largest time step counted as a gap (0 without gaps)"},
    };
    return cols;
}

void write_quality_stats_row(const quality_stats_result& r, row_sink& row) {
    row.set(0, r.nb_points);
    row.set(1, r.nb_nan);
    row.set(2, r.start);
    row.set(3, r.end);
    row.set(4, r.min);
    row.set(5, r.max);
    row.set(6, r.mean);
    row.set(7, r.variance);
    row.set(8, r.std);
    row.set(9, r.ref_period);
    row.set(10, r.min_period);
    row.set(11, r.max_period);
    row.set(12, r.mean_period);
    row.set(13, r.nb_gaps);
    row.set(14, r.longest_gap);
}

const param_fields<quality_stats_params>& quality_stats_params::fields() {
    using P = quality_stats_params;
    static const auto fields =
        param_fields<P>([](const P& p) { check_gap_factor(p.gap_factor); })
            .number("gap_factor", &P::gap_factor, "a time step longer than gap_factor * ref_period counts as a gap")
            .above(0);
    return fields;
}

operator_def make_quality_stats_def() {
    // One pass over values and timestamps (two arithmetic passes over each L1-resident block).
    operator_def d = describe_operator<quality_stats_params>(
        "quality_stats", "one row per series: point and NaN counts, value statistics, sampling period and gaps",
        {1.5, 60.0});
    d.outputs = {{"", data_kind::table, ""}};
    d.bind = bind_from_fields<quality_stats_params, quality_stats_op, &bound_operator::table>;
    return d;
}

}  // namespace tsbatch
