// Synthetic sensor series. Every random choice comes from a generator seeded by hashing
// (seed, series index, purpose), never from a shared stream: a rank can then generate any
// series on its own and the result does not depend on which rank did it, nor on the order.
#include "synthetic/generate.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <numeric>
#include <stdexcept>
#include <string>

#include "core/time.hpp"

namespace tsbatch {
namespace {

// ---- randomness -------------------------------------------------------------------------

// The splitmix64 finaliser: a bijective 64-bit mixer, good enough to turn (seed, index)
// into independent-looking generator states.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// What a key is used for, so that the length plan, the metadata and the values of one
// series never share random numbers by accident.
enum class stream : std::uint64_t { length = 1, meta = 2, values = 3, site_start = 4 };

constexpr std::uint64_t key_of(std::uint64_t seed, std::uint64_t index, stream s) noexcept {
    std::uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ULL);
    h = mix64(h ^ (index * 0xd1b54a32d192ed03ULL + 0x8cb92ba72f3d8dd7ULL));
    return mix64(h ^ (static_cast<std::uint64_t>(s) * 0xa0761d6478bd642fULL));
}

// Uniform in [0, 1) from 53 random bits.
inline double to_unit(std::uint64_t x) noexcept {
    return static_cast<double>(x >> 11) * 0x1.0p-53;
}

// xoshiro256**: a few ns per number, which matters at millions of points per second.
class xoshiro256ss {
public:
    explicit xoshiro256ss(std::uint64_t key) noexcept {
        // Seeding through splitmix64 as its authors recommend (never an all-zero state).
        for (auto& s : s_) {
            key += 0x9e3779b97f4a7c15ULL;
            s = mix64(key);
        }
    }

    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    double uniform() noexcept { return to_unit(next()); }
    double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }
    // In (0, 1], safe for log().
    double uniform_open() noexcept { return 1.0 - uniform(); }
    std::uint64_t below(std::uint64_t n) noexcept { return n == 0 ? 0 : next() % n; }

    // Approximately standard normal: sum of four 16-bit uniforms (Irwin-Hall), one generator
    // call instead of Box-Muller's log/sqrt/sin. Tails end at +-3.46 sigma, which is fine
    // for sensor noise; outliers are injected separately.
    double normal_fast() noexcept {
        const std::uint64_t x = next();
        const auto sum = static_cast<double>((x & 0xffff) + ((x >> 16) & 0xffff) + ((x >> 32) & 0xffff) + (x >> 48));
        constexpr double mean = 4 * 65535.0 / 2;
        // Standard deviation of the sum of four discrete uniforms on 0..65535.
        constexpr double inv_sd = 1.0 / 37837.22649;
        return (sum - mean) * inv_sd;
    }

    // Exact normal for the few per-series draws.
    double normal() noexcept {
        return std::sqrt(-2.0 * std::log(uniform_open())) * std::cos(2 * std::numbers::pi * uniform());
    }

    // Number of trials up to and including the first success, for success probability p:
    // lets the generator schedule rare events instead of testing every point.
    std::uint64_t geometric(double p) noexcept {
        if (p <= 0) return std::numeric_limits<std::uint64_t>::max();
        if (p >= 1) return 1;
        const double k = std::floor(std::log(uniform_open()) / std::log1p(-p)) + 1;
        return k >= 1e18 ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(k);
    }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    std::array<std::uint64_t, 4> s_{};
};

// ---- what the sensors measure ---------------------------------------------------------

constexpr std::int64_t ms_per_year = 31556952000;  // mean Gregorian year
constexpr double inf = std::numeric_limits<double>::infinity();

// Magnitudes of one kind of sensor, in its natural unit. Ranges are drawn per series.
struct metric_profile {
    const char* name;
    const char* site_prefix;
    double level_lo, level_hi;    // base level
    double daily_lo, daily_hi;    // daily cycle amplitude (pumping, temperature, shifts)
    double yearly_lo, yearly_hi;  // yearly cycle amplitude (recharge, seasons)
    double trend_max;             // |drift| per year
    double ar_sigma;              // stationary sd of the slow, correlated noise
    std::int64_t ar_tau_ms;       // its correlation time
    double white_sigma;           // measurement noise
    double spike;                 // outlier size
    double step;                  // level step size (recalibration, relocation); 0 = none
    double lo_clamp, hi_clamp;    // physical range
    double resolution;            // what the sensor reports, e.g. 0.01 pH
    std::array<std::int64_t, 4> periods;  // candidate sampling periods, ascending; 0 = unused
};

// Short names for the table below.
constexpr std::int64_t one_s = ms_per_second;
constexpr std::int64_t one_min = ms_per_minute;
constexpr std::int64_t one_h = ms_per_hour;
constexpr std::int64_t one_d = ms_per_day;

// Order matters: series i has metric i % size, so neighbouring series mix kinds.
constexpr std::array<metric_profile, 12> profiles{{
//   name                    site  level          daily        yearly      trend ar_sd ar_tau        white  spike step clamp      resol   periods
    {"gw.level",             "BH", 5,      60,    0.005, 0.03, 0.3,   2.0, 0.3,  0.05, 3 * one_d,    0.003, 1.5,  0.5, -inf, inf, 0.001,  {one_min, 15 * one_min, one_h, 0}},
    {"gw.temperature",       "BH", 8,      13,    0.005, 0.02, 0.1,   0.8, 0.05, 0.05, 5 * one_d,    0.005, 2,    0.3, -inf, inf, 0.01,   {15 * one_min, one_h, 0, 0}},
    {"water.ph",             "BH", 6.6,    8.2,   0.02,  0.15, 0.05,  0.2, 0.05, 0.05, 12 * one_h,   0.01,  1.0,  0.2, 0,    14,  0.01,   {10 * one_s, one_min, 15 * one_min, 0}},
    {"water.conductivity",   "BH", 150,    1500,  2,     25,   10,    120, 15,   15,   one_d,        2,     400,  60,  0,    inf, 0.1,    {10 * one_s, one_min, 15 * one_min, 0}},
    {"water.temperature",    "BH", 9,      15,    0.3,   1.5,  2,     7,   0.05, 0.3,  one_d,        0.02,  5,    0.5, -inf, inf, 0.01,   {one_min, 15 * one_min, 0, 0}},
    {"water.turbidity",      "BH", 2,      15,    0.1,   1,    0.3,   2,   0.2,  0.5,  6 * one_h,    0.1,   80,   2,   0,    inf, 0.01,   {one_min, 15 * one_min, 0, 0}},
    // Seismic channels sample at 100 Hz down to 1 Hz; µm/s and mm/s², centred on zero.
    {"seismic.velocity",     "SM", -0.05,  0.05,  0,     0.2,  0,     0,   0,    0.8,  50,           0.3,   150,  0,   -inf, inf, 0.001,  {10, 20, 100, one_s}},
    {"seismic.acceleration", "SM", -0.005, 0.005, 0,     0.02, 0,     0,   0,    0.05, 50,           0.02,  20,   0,   -inf, inf, 0.0001, {10, 20, 100, one_s}},
    {"plant.pressure",       "PL", 2,      10,    0.05,  0.4,  0,     0.1, 0.02, 0.05, 10 * one_min, 0.01,  3,    0.8, 0,    inf, 0.001,  {one_s, 10 * one_s, one_min, 0}},
    {"plant.temperature",    "PL", 40,     90,    1,     6,    0.5,   3,   0.5,  0.8,  30 * one_min, 0.1,   25,   5,   -inf, inf, 0.1,    {one_s, 10 * one_s, one_min, 0}},
    {"plant.flow",           "PL", 50,     500,   5,     60,   2,     20,  3,    5,    20 * one_min, 1,     200,  40,  0,    inf, 0.1,    {10 * one_s, one_min, 0, 0}},
    {"plant.vibration",      "PL", 1,      6,     0.1,   0.5,  0,     0,   0.3,  0.2,  one_h,        0.05,  10,   1,   0,    inf, 0.01,   {one_s, 10 * one_s, one_min, 0}},
}};

constexpr std::array<const char*, 6> regions{"north", "south", "east", "west", "central", "alpine"};

// Longer spans than this make a series pick a faster sampling period, so a long series is a
// high-rate sensor rather than one running for centuries.
constexpr std::int64_t max_nominal_span_ms = 20 * ms_per_year;
// One outage per this much sensor time on average, and one level step per this much.
constexpr double mean_time_between_outages_ms = 20.0 * one_d;
constexpr double mean_time_between_steps_ms = 2.0 * ms_per_year;
constexpr double nan_run_per_point = 1.0 / 2500;
constexpr double spike_per_point = 1.0 / 4000;
constexpr double max_outage_ms = 7.0 * one_d;
constexpr std::int64_t max_start_offset_ms = 30 * one_d;
// Rotating a (cos, sin) pair accumulates rounding; recomputing it this often keeps the error
// near 1e-13 at the cost of one sin/cos per thousand points.
constexpr std::uint64_t resync_every = 1024;

// Phase in [0, 2 pi) of time t in a cycle of `cycle_ms`, exact in integers first so that
// timestamps around 1e12 keep their sub-second precision.
double phase_of(std::int64_t t, std::int64_t cycle_ms) noexcept {
    const std::int64_t r = t - floor_div(t, cycle_ms) * cycle_ms;
    return 2 * std::numbers::pi * static_cast<double>(r) / static_cast<double>(cycle_ms);
}

// cos/sin of a phase advancing by a fixed step, by rotation instead of a sin() per point.
class oscillator {
public:
    oscillator(std::int64_t cycle_ms, std::int64_t step_ms, double phase0)
        : cycle_ms_(cycle_ms), phase0_(phase0) {
        const double d = phase_of(step_ms, cycle_ms);
        cos_step_ = std::cos(d);
        sin_step_ = std::sin(d);
    }
    void reset(std::int64_t t) noexcept {
        const double p = phase_of(t, cycle_ms_) + phase0_;
        cos_ = std::cos(p);
        sin_ = std::sin(p);
    }
    void advance() noexcept {
        const double c = cos_ * cos_step_ - sin_ * sin_step_;
        sin_ = sin_ * cos_step_ + cos_ * sin_step_;
        cos_ = c;
    }
    double sin() const noexcept { return sin_; }

private:
    std::int64_t cycle_ms_;
    double phase0_;
    double cos_step_ = 1, sin_step_ = 0;
    double cos_ = 1, sin_ = 0;
};

std::uint64_t total_points(const generate_options& opt) {
    std::uint64_t total = 0;
    if (__builtin_mul_overflow(opt.series, opt.mean_points, &total))
        throw std::invalid_argument("generate: series * mean_points overflows 64 bits");
    return total;
}

}  // namespace

std::vector<std::uint64_t> plan_series_lengths(const generate_options& opt) {
    const std::uint64_t n = opt.series;
    const std::uint64_t total = total_points(opt);
    std::vector<std::uint64_t> len(n, 0);
    if (n == 0 || total == 0) return len;

    // Every series gets one point; the rest is shared in proportion to log-normal weights
    // (sigma 1.5): the median series is a third of the mean, the longest of a thousand is
    // about thirty times the mean, like real collections where a few loggers run at high rate.
    const std::uint64_t rest = total - n;
    std::vector<double> weight(n);
    const std::uint64_t heavy = std::min(opt.heavy_series, n);
    for (std::uint64_t i = 0; i < n; ++i) {
        if (heavy > 0) {
            weight[i] = i < heavy ? opt.heavy_factor : 1.0;
            continue;
        }
        xoshiro256ss rng(key_of(opt.seed, i, stream::length));
        weight[i] = std::exp(1.5 * std::clamp(rng.normal(), -4.0, 4.0));
    }
    // Summed in index order: the same on every rank.
    const double weight_sum = std::accumulate(weight.begin(), weight.end(), 0.0);
    const auto rest_d = static_cast<double>(rest);

    auto& frac = weight;  // reused: the weights are not needed any more
    std::uint64_t assigned = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        const double share = rest_d * (weight[i] / weight_sum);  // before frac[i] overwrites it
        const double whole = std::floor(share);
        frac[i] = share - whole;
        // Double rounding can hand out a little more than `rest` in total (only beyond 2^53
        // points); clamping keeps the sum exact, the largest-remainder pass fills the rest.
        const std::uint64_t room = rest - assigned;
        len[i] = whole >= static_cast<double>(room) ? room : static_cast<std::uint64_t>(whole);
        assigned += len[i];
    }

    // Largest remainder: the series with the largest fractional share get one more point,
    // ties broken by index, so the plan is exact and deterministic.
    std::vector<std::uint64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::uint64_t a, std::uint64_t b) {
        return frac[a] != frac[b] ? frac[a] > frac[b] : a < b;
    });
    // Normally fewer than n points are missing; the outer loop covers rounding that lost more.
    for (std::uint64_t missing = rest - assigned; missing > 0;) {
        for (std::uint64_t k = 0; k < n && missing > 0; ++k, --missing) ++len[order[k]];
    }
    for (auto& q : len) ++q;
    return len;
}

series_meta generated_meta(const generate_options& opt, std::uint64_t index) {
    const auto& p = profiles[index % profiles.size()];
    // All metrics of one site share its number, so the (metric, site) pair is unique per index.
    const std::uint64_t site = index / profiles.size();
    // The region belongs to the site, not to the series: hash the site number.
    const auto region = regions[key_of(opt.seed, site, stream::meta) % regions.size()];

    char site_text[32];
    std::snprintf(site_text, sizeof site_text, "%s%05llu", p.site_prefix, static_cast<unsigned long long>(site));

    series_meta m;
    m.metric = p.name;
    // Canonical form: keys sorted ("region" < "site").
    m.tags = std::string("region=") + region + ",site=" + site_text;
    m.id = m.metric + "{" + m.tags + "}";
    m.source_index = index;
    return m;
}

void generate_series(const generate_options& opt, std::uint64_t index, std::uint64_t length, series_batch& out) {
    const auto& p = profiles[index % profiles.size()];
    xoshiro256ss rng(key_of(opt.seed, index, stream::values));

    // ---- per-series parameters (drawn in a fixed order: any change alters every series)
    std::size_t n_periods = 0;
    while (n_periods < p.periods.size() && p.periods[n_periods] > 0) ++n_periods;
    std::size_t choice = rng.below(n_periods);
    const double len_d = static_cast<double>(length);
    while (choice > 0 && len_d * static_cast<double>(p.periods[choice]) > static_cast<double>(max_nominal_span_ms)) --choice;
    const std::int64_t period = p.periods[choice];
    const auto period_d = static_cast<double>(period);
    // Timing jitter of a few ms, always below half a period so the order never changes.
    const std::int64_t jitter_max = std::min<std::int64_t>(3, (period - 1) / 4);
    const auto jitter_span = static_cast<std::uint64_t>(2 * jitter_max + 1);

    // Loggers sample on the clock grid (:00, :15, ...): the first nominal time is the first
    // multiple of the period after a random offset, late enough that jitter stays >= start_ms.
    // The offset belongs to the site, so the sensors of one site record over the same
    // period (what group-wise operators such as cut_by_reference need). The value stream
    // still makes its draw here, which keeps every value as it was before.
    (void)rng.below(static_cast<std::uint64_t>(max_start_offset_ms));
    const std::uint64_t site = index / profiles.size();
    const auto site_offset = static_cast<std::int64_t>(key_of(opt.seed, site, stream::site_start) %
                                                       static_cast<std::uint64_t>(max_start_offset_ms));
    const std::int64_t earliest = opt.start_ms + jitter_max + site_offset;
    const std::int64_t t0 = -floor_div(-earliest, period) * period;

    double level = rng.uniform(p.level_lo, p.level_hi);
    const double daily_amp = rng.uniform(p.daily_lo, p.daily_hi);
    const double yearly_amp = rng.uniform(p.yearly_lo, p.yearly_hi);
    const double trend_per_ms = rng.uniform(-p.trend_max, p.trend_max) / static_cast<double>(ms_per_year);
    oscillator daily(ms_per_day, period, rng.uniform(0, 2 * std::numbers::pi));
    oscillator yearly(ms_per_year, period, rng.uniform(0, 2 * std::numbers::pi));
    // AR(1) with correlation time tau: x <- rho x + sqrt(1 - rho^2) sigma z keeps variance sigma^2.
    const double rho = std::exp(-period_d / static_cast<double>(p.ar_tau_ms));
    const double ar_innov = p.ar_sigma * std::sqrt(std::max(0.0, 1 - rho * rho));
    double ar = p.ar_sigma * rng.normal();
    const double inv_res = 1.0 / p.resolution;

    const double p_gap = std::clamp(period_d / mean_time_between_outages_ms, 1e-7, 0.01);
    const double p_step = p.step > 0 ? std::clamp(period_d / mean_time_between_steps_ms, 1e-8, 1e-3) : 0.0;
    // Outage lengths are log-uniform: many short dropouts, a few of days.
    const double log_gap_lo = std::log(5 * period_d);
    const double log_gap_hi = std::log(std::max(50 * period_d, max_outage_ms));

    // Rare events are scheduled by point number rather than tested per point.
    std::uint64_t next_gap = rng.geometric(p_gap);
    std::uint64_t next_step = rng.geometric(p_step);
    std::uint64_t next_nan = rng.geometric(nan_run_per_point);
    std::uint64_t next_spike = rng.geometric(spike_per_point);
    std::uint64_t nan_left = 0;

    // ---- points
    // Not series_sink::reserve_more: it reserves exactly, so appending series after series
    // would reallocate the whole batch each time (quadratic). Grow geometrically instead.
    const auto grow = [length](auto& v) {
        const std::size_t need = v.size() + length;
        if (v.capacity() < need) v.reserve(std::max(need, 2 * v.capacity()));
    };
    grow(out.time);
    grow(out.value);
    auto sink = out.open_series(generated_meta(opt, index));
    std::int64_t nominal = t0;
    std::int64_t prev = std::numeric_limits<std::int64_t>::min();
    std::uint64_t since_sync = resync_every;
    for (std::uint64_t i = 0; i < length; ++i) {
        if (i == next_gap) {
            const double gap = std::exp(rng.uniform(log_gap_lo, log_gap_hi));
            nominal += static_cast<std::int64_t>(gap / period_d) * period;
            since_sync = resync_every;
            next_gap = i + rng.geometric(p_gap);
        }
        if (since_sync >= resync_every) {
            daily.reset(nominal);
            yearly.reset(nominal);
            since_sync = 0;
        }
        const std::uint64_t r = rng.next();
        // Multiply-shift instead of %: no integer division in the hot loop.
        const std::int64_t jitter = static_cast<std::int64_t>(((r >> 32) * jitter_span) >> 32) - jitter_max;
        const std::int64_t t = std::max(nominal + jitter, prev + 1);

        ar = rho * ar + ar_innov * rng.normal_fast();
        if (i == next_step) {
            level += p.step * (rng.uniform() < 0.5 ? -1 : 1) * rng.uniform(0.5, 2.0);
            next_step = i + rng.geometric(p_step);
        }
        double v = level + trend_per_ms * static_cast<double>(nominal - t0) + daily_amp * daily.sin() +
                   yearly_amp * yearly.sin() + ar + p.white_sigma * rng.normal_fast();
        if (i == next_spike) {
            v += p.spike * (rng.uniform() < 0.5 ? -1 : 1) * rng.uniform(0.5, 1.5);
            next_spike = i + rng.geometric(spike_per_point);
        }
        v = std::clamp(std::nearbyint(v * inv_res) * p.resolution, p.lo_clamp, p.hi_clamp);
        if (i == next_nan) {
            // Mostly short dropouts; one run in ten is long (a sensor failing for a while).
            nan_left = rng.uniform() < 0.1 ? 1 + rng.below(200) : rng.geometric(0.2);
            next_nan = i + nan_left + rng.geometric(nan_run_per_point);
        }
        if (nan_left > 0) {
            v = std::numeric_limits<double>::quiet_NaN();
            --nan_left;
        }
        sink.push(t, v);

        prev = t;
        nominal += period;
        daily.advance();
        yearly.advance();
        ++since_sync;
    }
    out.close_series();
}

}  // namespace tsbatch
