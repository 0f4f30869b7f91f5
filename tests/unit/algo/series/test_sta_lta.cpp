// sta_lta: numpy fixtures (both outputs), hand-worked traces for both methods (warm-up,
// trigger on/off, a trigger cut by a gap or by the end of the data), NaN and silent input,
// agreement with a brute-force per-point window computation on long random series (drift after
// a loud event included), registry schema and parameter errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "algo/operator.hpp"
#include "algo/series/sta_lta.hpp"
#include "fixture_io.hpp"
#include "pipeline/config.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

struct result {
    std::vector<std::int64_t> time;
    std::vector<double> ratio;
    std::vector<sta_lta_trigger> triggers;
};

result run(const std::vector<std::int64_t>& t, const std::vector<double>& v, const sta_lta_params& p) {
    result r;
    series_sink sink(r.time, r.ratio);
    sta_lta(series_view{t, v}, p, sink, r.triggers);
    return r;
}

std::vector<std::int64_t> seconds(std::size_t n, std::int64_t from = 0) {
    std::vector<std::int64_t> t(n);
    for (std::size_t i = 0; i < n; ++i) t[i] = from + 1000 * static_cast<std::int64_t>(i);
    return t;
}

sta_lta_params params(std::int64_t sta, std::int64_t lta, double on, double off,
                      sta_lta_method m = sta_lta_method::classic) {
    return sta_lta_params{sta, lta, on, off, m};
}

void expect_values(const std::vector<double>& want, std::span<const double> got, double tol = 1e-13) {
    ASSERT_EQ(want.size(), got.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_TRUE(test::fixture_near(want[i], got[i], tol))
            << "at " << i << ": expected " << want[i] << ", got " << got[i];
}

void expect_trigger(const sta_lta_trigger& tr, std::int64_t on, std::int64_t off, double peak, bool closed) {
    EXPECT_EQ(tr.on_time, on);
    EXPECT_EQ(tr.off_time, off);
    EXPECT_NEAR(tr.peak_ratio, peak, 1e-14);
    EXPECT_EQ(tr.closed, closed);
}

TEST(StaLta, Fixtures) {
    const auto f = test::load_operator_fixture("sta_lta");
    const operator_def* def = find_operator("sta_lta");
    ASSERT_NE(def, nullptr);
    ASSERT_GE(f.cases.size(), 40u);
    std::size_t triggers = 0;
    std::size_t cut = 0;
    for (const auto& c : f.cases) {
        SCOPED_TRACE("case " + c.name);
        const bound_operator op = def->bind(test::fixture_params(*def, c.params));
        const test::multi_result r = test::run_multi(*def, op, f.input(c).view());
        const series_view s = r.series_out(1);
        const auto& er = c.expected["ratio"];
        EXPECT_EQ(std::vector<std::int64_t>(s.time.begin(), s.time.end()), test::fixture_ints(er["time"]));
        expect_values(test::fixture_doubles(er["value"]), s.value, c.abs_tol);
        const auto& et = c.expected["triggers"];
        const auto on = test::fixture_ints(et["on_time"]);
        ASSERT_EQ(r.tables[0].size(), on.size());
        EXPECT_EQ(r.column(0, "on_time").ints, on);
        EXPECT_EQ(r.column(0, "off_time").ints, test::fixture_ints(et["off_time"]));
        expect_values(test::fixture_doubles(et["peak_ratio"]), r.column(0, "peak_ratio").floats, c.abs_tol);
        const auto closed = test::fixture_ints(et["closed"]);
        EXPECT_EQ(r.column(0, "closed").ints, closed);
        triggers += on.size();
        cut += static_cast<std::size_t>(std::count(closed.begin(), closed.end(), 0));
    }
    EXPECT_GT(triggers, 50u);
    EXPECT_GT(cut, 3u);  // triggers cut by a gap or by the end of the data
}

// Regular 1 s sampling, sta 2 s (2 points), lta 4 s (4 points); energies 1 1 1 1 1 9 9 1 1 1.
const std::vector<double> pulse{1, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1};

TEST(StaLta, ClassicHandWorked) {
    // First ratio at t = 4 s (a full lta of data). At 5 s: STA (1+9)/2 = 5, LTA (1+1+1+9)/4 = 3;
    // at 6 s: 9 / 5; at 7 s: 5 / 5; at 8 s: 1 / 5; at 9 s: 1 / 3; then 1.
    const auto r = run(seconds(12), pulse, params(2000, 4000, 1.6, 1.1));
    EXPECT_EQ(r.time, seconds(8, 4000));
    expect_values({1.0, 5.0 / 3, 9.0 / 5, 1.0, 0.2, 1.0 / 3, 1.0, 1.0}, r.ratio);
    ASSERT_EQ(r.triggers.size(), 1u);
    expect_trigger(r.triggers[0], 5000, 7000, 1.8, true);
    // A trigger still on at the end: off_time is the last ratio point, closed = 0.
    const auto end = run(seconds(8), {1, 1, 1, 1, 1, 3, 3, 3}, params(2000, 4000, 1.6, 1.1));
    ASSERT_EQ(end.triggers.size(), 1u);
    // At 7 s: STA 9, LTA (1+9+9+9)/4 = 7: ratio 9/7 (not below 1.1); the peak 1.8 was at 6 s.
    expect_values({1.0, 5.0 / 3, 9.0 / 5, 9.0 / 7}, end.ratio);
    expect_trigger(end.triggers[0], 5000, 7000, 1.8, false);
}

TEST(StaLta, RecursiveHandWorked) {
    // c_sta = 1 s / 2 s = 0.5, c_lta = 0.25; both start at the first energy (1).
    // 5 s: STA 0.5*9 + 0.5*1 = 5, LTA 0.25*9 + 0.75*1 = 3 -> 5/3.
    // 6 s: STA 0.5*9 + 0.5*5 = 7, LTA 0.25*9 + 0.75*3 = 4.5 -> 14/9.
    // 7 s: STA 0.5 + 3.5 = 4, LTA 0.25 + 3.375 = 3.625 -> 4/3.625.
    // 8 s: STA 0.5 + 2 = 2.5, LTA 0.25 + 2.71875 = 2.96875 -> 2.5/2.96875.
    const auto r = run(seconds(12), pulse, params(2000, 4000, 1.6, 1.1, sta_lta_method::recursive));
    EXPECT_EQ(r.time, seconds(8, 4000));
    expect_values({1.0, 5.0 / 3, 14.0 / 9, 4.0 / 3.625, 2.5 / 2.96875}, std::span<const double>(r.ratio).first(5));
    ASSERT_EQ(r.triggers.size(), 1u);
    expect_trigger(r.triggers[0], 5000, 8000, 5.0 / 3, true);
    // Irregular steps: dt 3 s > sta gives c_sta = 1 (STA = the new energy).
    const auto g = run({0, 1000, 2000, 5000}, {1, 1, 1, 2}, params(2000, 4000, 10.0, 1.0, sta_lta_method::recursive));
    // At 5 s: STA 4; LTA 0.75*4 + 0.25*1 = 3.25.
    EXPECT_EQ(g.time, (std::vector<std::int64_t>{5000}));
    expect_values({4.0 / 3.25}, g.ratio);
}

TEST(StaLta, GapsRestartTheWarmUp) {
    // 0..5 s, then a 10 s hole (> lta 4 s), then 15..20 s. The trigger set off at 5 s is cut
    // by the hole (off_time 5 s, closed 0); after it the ratio starts again at 19 s.
    std::vector<std::int64_t> t = seconds(6);
    const auto after = seconds(6, 15000);
    t.insert(t.end(), after.begin(), after.end());
    const std::vector<double> v{1, 1, 1, 1, 1, 3, 1, 1, 1, 1, 1, 1};
    for (const auto m : {sta_lta_method::classic, sta_lta_method::recursive}) {
        const auto r = run(t, v, params(2000, 4000, 1.6, 1.1, m));
        EXPECT_EQ(r.time, (std::vector<std::int64_t>{4000, 5000, 19000, 20000}));
        expect_values({1.0, 5.0 / 3, 1.0, 1.0}, r.ratio);
        ASSERT_EQ(r.triggers.size(), 1u);
        expect_trigger(r.triggers[0], 5000, 5000, 5.0 / 3, false);
    }
    // A hole of exactly lta does not restart: at 8 s the LTA window (4 s, 8 s] holds 8 s only.
    const auto r = run({0, 1000, 2000, 3000, 4000, 8000}, {1, 1, 1, 1, 1, 2}, params(2000, 4000, 10.0, 1.0));
    EXPECT_EQ(r.time, (std::vector<std::int64_t>{4000, 8000}));
    expect_values({1.0, 1.0}, r.ratio);
}

TEST(StaLta, NanSilenceAndEdgeCases) {
    // NaN and infinite points are absent: no ratio there, not in any average.
    std::vector<double> v = pulse;
    v[2] = nan_v;
    v[8] = inf_v;
    const auto r = run(seconds(12), v, params(2000, 4000, 1.6, 1.1));
    EXPECT_EQ(r.time, (std::vector<std::int64_t>{4000, 5000, 6000, 7000, 9000, 10000, 11000}));
    // At 5 s the LTA window (1 s, 5 s] holds 1, 1, 9 (2 s is NaN): 5 / (11/3).
    // At 9 s: STA (7 s, 9 s] holds 1 (8 s is infinite), LTA (5 s, 9 s] holds 9, 1, 1: 3/11.
    expect_values({1.0, 5.0 / (11.0 / 3), 9.0 / 5, 1.0, 3.0 / 11, 1.0, 1.0}, r.ratio);
    // A NaN run longer than lta is a gap: 4 s to 12 s, so the warm-up restarts at 12 s.
    std::vector<double> w(20, 1.0);
    for (std::size_t i = 5; i < 12; ++i) w[i] = nan_v;
    EXPECT_EQ(run(seconds(20), w, params(2000, 4000, 2.0, 1.0)).time,
              (std::vector<std::int64_t>{4000, 16000, 17000, 18000, 19000}));
    // Silence: 0 / 0 is NaN, and NaN sets nothing off.
    const auto z = run(seconds(8), std::vector<double>(8, 0.0), params(2000, 4000, 2.0, 1.0));
    ASSERT_EQ(z.ratio.size(), 4u);
    for (const double x : z.ratio) EXPECT_TRUE(std::isnan(x));
    EXPECT_TRUE(z.triggers.empty());
    // One loud point after silence: at 6 s and 7 s STA = 4/2 and LTA = 4/4, ratio 2.
    const auto s = run(seconds(8), {0, 0, 0, 0, 0, 0, 2, 0}, params(2000, 4000, 1.5, 1.0));
    expect_values({nan_v, nan_v, 2.0, 2.0}, s.ratio);
    ASSERT_EQ(s.triggers.size(), 1u);
    expect_trigger(s.triggers[0], 6000, 7000, 2.0, false);  // never below 1: cut by the end
    // Empty, one point, all NaN, shorter than lta: nothing.
    for (const auto m : {sta_lta_method::classic, sta_lta_method::recursive}) {
        EXPECT_TRUE(run({}, {}, params(1000, 5000, 2.0, 1.0, m)).time.empty());
        EXPECT_TRUE(run({3}, {2.0}, params(1000, 5000, 2.0, 1.0, m)).time.empty());
        EXPECT_TRUE(run(seconds(9), std::vector<double>(9, nan_v), params(1000, 5000, 2.0, 1.0, m)).time.empty());
        EXPECT_TRUE(run(seconds(5), {1, 2, 3, 4, 5}, params(1000, 5000, 2.0, 1.0, m)).time.empty());
    }
    // Constant: ratio 1.
    const auto c = run(seconds(30), std::vector<double>(30, 0.1), params(3000, 10000, 2.0, 1.0));
    ASSERT_EQ(c.ratio.size(), 20u);
    for (const double x : c.ratio) EXPECT_NEAR(x, 1.0, 1e-14);
}

// Per-point brute force in long double over the finite points (stretches split at gaps
// longer than lta), and the trigger rule applied to the operator's own ratios.
TEST(StaLta, MatchesBruteForceOnLongSeries) {
    std::mt19937_64 rng(1906);
    std::normal_distribution<double> noise(0.0, 1.0);
    const std::size_t n = 6000;
    std::vector<std::int64_t> t(n);
    std::vector<double> v(n);
    std::int64_t at = -3'000'000;
    for (std::size_t i = 0; i < n; ++i) {
        at += 20 + static_cast<std::int64_t>(rng() % 40);
        if (i % 1500 == 700) at += 25'000;  // longer than lta for some settings
        t[i] = at;
        // Loud events (1e6 amplitude: running sums must not keep their rounding), NaN runs.
        const double amp = (i % 1000 >= 300 && i % 1000 < 340) ? 1e6 : (i % 500 < 60 ? 6.0 : 1.0);
        v[i] = (i % 211 < 3) ? nan_v : amp * noise(rng);
    }
    for (const auto m : {sta_lta_method::classic, sta_lta_method::recursive}) {
        for (const auto& [sta, lta] : {std::pair<std::int64_t, std::int64_t>{500, 5000}, {1000, 30000}, {77, 1201}}) {
            SCOPED_TRACE(std::to_string(sta) + "/" + std::to_string(lta) +
                         (m == sta_lta_method::classic ? " classic" : " recursive"));
            const sta_lta_params p = params(sta, lta, 3.0, 1.2, m);
            const auto r = run(t, v, p);
            std::vector<std::int64_t> want_t;
            std::vector<double> want_r;
            std::vector<int> want_stretch;  // the stretch of each ratio point
            int stretch = -1;
            std::int64_t start = 0, prev = 0;
            bool started = false;
            long double s_avg = 0, l_avg = 0;
            std::size_t first = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (!std::isfinite(v[i])) continue;
                const long double e = static_cast<long double>(v[i]) * v[i];
                if (!started || t[i] - prev > lta) {
                    started = true;
                    ++stretch;
                    start = t[i];
                    first = i;
                    s_avg = l_avg = e;
                } else if (m == sta_lta_method::recursive) {
                    const long double dt = static_cast<long double>(t[i] - prev);
                    const long double cs = std::min<long double>(1, dt / sta), cl = std::min<long double>(1, dt / lta);
                    s_avg = cs * e + (1 - cs) * s_avg;
                    l_avg = cl * e + (1 - cl) * l_avg;
                }
                prev = t[i];
                if (m == sta_lta_method::classic) {
                    long double ss = 0, sc = 0, ls = 0, lc = 0;
                    for (std::size_t j = first; j <= i; ++j) {
                        if (!std::isfinite(v[j])) continue;
                        const long double ej = static_cast<long double>(v[j]) * v[j];
                        if (t[j] > t[i] - sta) ss += ej, sc += 1;
                        if (t[j] > t[i] - lta) ls += ej, lc += 1;
                    }
                    s_avg = ss / sc;
                    l_avg = ls / lc;
                }
                if (t[i] - start < lta) continue;
                want_t.push_back(t[i]);
                want_stretch.push_back(stretch);
                want_r.push_back(static_cast<double>(s_avg / l_avg));
            }
            ASSERT_EQ(r.time, want_t);
            // Seen here: classic within 5e-16 (compensated, refreshed sums, even after the loud
            // events left the windows), recursive within 2e-14 (its rounding accumulates over
            // the points).
            const double rel = m == sta_lta_method::classic ? 1e-14 : 1e-12;
            for (std::size_t k = 0; k < want_r.size(); ++k)
                ASSERT_TRUE(test::fixture_near(want_r[k], r.ratio[k], 0.0, rel))
                    << "t=" << want_t[k] << ": " << want_r[k] << " vs " << r.ratio[k];
            // Triggers from the operator's ratios by the rule, cut where a stretch ends.
            std::vector<sta_lta_trigger> want;
            bool on = false;
            sta_lta_trigger cur;
            std::int64_t last = 0;
            for (std::size_t k = 0; k < r.time.size(); ++k) {
                if (k > 0 && want_stretch[k] != want_stretch[k - 1] && on) {
                    cur.off_time = last;
                    cur.closed = false;
                    want.push_back(cur);
                    on = false;
                }
                const double x = r.ratio[k];
                last = r.time[k];
                if (!on) {
                    if (x >= p.on) on = true, cur = {r.time[k], r.time[k], x, false};
                    continue;
                }
                cur.peak_ratio = std::max(cur.peak_ratio, x);
                if (x < p.off) {
                    cur.off_time = r.time[k];
                    cur.closed = true;
                    want.push_back(cur);
                    on = false;
                }
            }
            if (on) cur.off_time = last, cur.closed = false, want.push_back(cur);
            ASSERT_EQ(r.triggers.size(), want.size());
            EXPECT_GT(want.size(), 2u);
            for (std::size_t k = 0; k < want.size(); ++k) {
                EXPECT_EQ(r.triggers[k].on_time, want[k].on_time) << k;
                EXPECT_EQ(r.triggers[k].off_time, want[k].off_time) << k;
                EXPECT_EQ(r.triggers[k].peak_ratio, want[k].peak_ratio) << k;
                EXPECT_EQ(r.triggers[k].closed, want[k].closed) << k;
            }
        }
    }
}

TEST(StaLta, RegistrySchema) {
    const operator_def* def = find_operator("sta_lta");
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->input, data_kind::series);
    ASSERT_EQ(def->outputs.size(), 2u);
    EXPECT_EQ(def->outputs[0].name, "triggers");
    EXPECT_EQ(def->outputs[0].kind, data_kind::table);
    EXPECT_EQ(def->outputs[1].name, "ratio");
    EXPECT_EQ(def->outputs[1].kind, data_kind::series);
    EXPECT_EQ(def->default_series_output(), 1);
    ASSERT_EQ(def->params.size(), 5u);
    for (const char* name : {"sta", "lta"}) {
        const param_spec* s = def->find_param(name);
        ASSERT_NE(s, nullptr);
        EXPECT_EQ(s->type, param_type::duration);
        EXPECT_TRUE(s->required());
        EXPECT_TRUE(s->min_exclusive);
    }
    EXPECT_EQ(std::get<double>(*def->find_param("on")->default_value), 3.5);
    EXPECT_EQ(std::get<double>(*def->find_param("off")->default_value), 1.5);
    EXPECT_EQ(def->find_param("method")->choices, (std::vector<std::string>{"classic", "recursive"}));
    EXPECT_EQ(std::get<std::string>(*def->find_param("method")->default_value), "classic");
    const bound_operator op = def->bind(test::fixture_params(*def, YAML::Load("{sta: 1000, lta: 10000}")));
    ASSERT_TRUE(op.multi);
    const auto cols = op.multi->columns(0);
    ASSERT_EQ(cols.size(), 4u);
    EXPECT_EQ(cols[0].name, "on_time");
    EXPECT_EQ(cols[0].type, column_type::int64);
    EXPECT_EQ(cols[1].name, "off_time");
    EXPECT_EQ(cols[2].name, "peak_ratio");
    EXPECT_EQ(cols[2].type, column_type::float64);
    EXPECT_EQ(cols[3].name, "closed");
    EXPECT_EQ(cols[3].type, column_type::int64);
}

TEST(StaLta, BadParametersThrowNamingThem) {
    const operator_def* def = find_operator("sta_lta");
    ASSERT_NE(def, nullptr);
    const std::pair<const char*, const char*> bad[] = {
        {"{sta: 10000, lta: 10000}", "sta"},
        {"{sta: 20000, lta: 10000}", "sta"},
        {"{sta: -5, lta: 10000}", "sta"},
        {"{sta: 1000, lta: 0}", "lta"},
        {"{lta: 10000}", "sta"},
        {"{sta: 1000}", "lta"},
        {"{sta: 1000, lta: 9000, off: 3.5}", "off"},
        {"{sta: 1000, lta: 9000, on: 1, off: 2}", "off"},
        {"{sta: 1000, lta: 9000, off: 0}", "off"},
        {"{sta: 1000, lta: 9000, on: 0, off: -1}", "on"},
        {"{sta: 1000, lta: 9000, method: sliding}", "method"},
    };
    for (const auto& [yaml, name] : bad) {
        try {
            (void)def->bind(test::fixture_params(*def, YAML::Load(yaml)));
            ADD_FAILURE() << yaml;
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), name) << yaml << ": " << e.what();
        }
    }
    std::vector<std::int64_t> ot;
    std::vector<double> ov;
    series_sink sink(ot, ov);
    std::vector<sta_lta_trigger> tr;
    EXPECT_THROW(sta_lta(series_view{}, sta_lta_params{}, sink, tr), param_error);
    // Through the config layer, before any data is read.
    try {
        (void)parse_run_config(
            "input: {path: in.h5}\nsteps:\n  - {name: q, op: sta_lta, params: {sta: 1min, lta: "
            "30s}}\noutput: {path: o.h5}\n",
            "q.yaml");
        ADD_FAILURE() << "sta >= lta accepted";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("params.sta"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace tsbatch
