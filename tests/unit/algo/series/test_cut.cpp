// cut: numpy fixtures (timestamps given as a config writes them), hand-worked cases (empty,
// one point, NaN kept, ranges on, between and outside points, pre-1970), the timestamp
// parameter type, registry schema, parameter errors, config round trip and empty results
// kept by the pipeline.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "algo/series/cut.hpp"
#include "algo/operator.hpp"
#include "core/time.hpp"
#include "fixture_io.hpp"
#include "pipeline/config.hpp"
#include "pipeline/executor.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t t2015 = 1'420'070'400'000;  // 2015-01-01T00:00:00Z

// Parameters from their config text, through parse_param as the config layer reads them
// (fixture_io's typed reader has no timestamps).
param_values params_from_text(const operator_def& def, const YAML::Node& params) {
    param_values out;
    for (const auto& spec : def.params)
        if (spec.default_value) out.set(spec.name, *spec.default_value);
    for (const auto& kv : params) {
        const std::string name = kv.first.as<std::string>();
        const param_spec* spec = def.find_param(name);
        if (spec == nullptr) throw std::runtime_error("parameter '" + name + "' is not in the schema");
        out.set(name, parse_param(*spec, kv.second.as<std::string>()));
    }
    return out;
}

param_values params_from_text(const char* yaml) {
    return params_from_text(*find_operator("cut"), YAML::Load(yaml));
}

struct output {
    std::vector<std::int64_t> time;
    std::vector<double> value;
};

output run(const std::vector<std::int64_t>& t, const std::vector<double>& v, const cut_params& p) {
    output o;
    series_sink sink(o.time, o.value);
    cut(series_view{t, v}, p, sink);
    return o;
}

cut_params range(std::int64_t from, std::int64_t to) {
    return {from, to, std::nullopt};
}
cut_params count(std::int64_t from, std::int64_t n) {
    return {from, std::nullopt, n};
}

void expect_values(const std::vector<double>& want, const std::vector<double>& got) {
    ASSERT_EQ(want.size(), got.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_TRUE(test::fixture_near(want[i], got[i], 0.0))
            << "at " << i << ": expected " << want[i] << ", got " << got[i];
}

TEST(Cut, Fixtures) {
    const auto f = test::load_operator_fixture("cut");
    const operator_def* def = find_operator("cut");
    ASSERT_NE(def, nullptr);
    ASSERT_GE(f.cases.size(), 100u);
    const auto empty = test::check_series_fixture(f, *def, [def](const YAML::Node& p) { return params_from_text(*def, p); });
    EXPECT_GT(empty, 10u);  // the fixtures do exercise empty results
}

TEST(Cut, HandWorkedRange) {
    const std::vector<std::int64_t> t{-2000, -1000, 0, 1000, 2000};
    const std::vector<double> v{1.0, nan_v, 3.0, 4.0, 5.0};
    auto o = run(t, v, range(-1000, 1000));  // half-open: 1000 left out
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{-1000, 0}));
    expect_values({nan_v, 3.0}, o.value);  // NaN kept: cut is about time
    o = run(t, v, range(-1500, 1001));
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{-1000, 0, 1000}));
    o = run(t, v, range(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()));
    EXPECT_EQ(o.time, t);
    expect_values(v, o.value);
    EXPECT_TRUE(run(t, v, range(-999, 0)).time.empty());       // between points
    EXPECT_TRUE(run(t, v, range(-9000, -2000)).time.empty());  // before
    EXPECT_TRUE(run(t, v, range(2001, 9000)).time.empty());    // after
    o = run(t, v, range(2000, 2001));
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{2000}));
}

TEST(Cut, HandWorkedNbPoints) {
    const std::vector<std::int64_t> t{-2000, -1000, 0, 1000, 2000};
    const std::vector<double> v{1.0, nan_v, 3.0, 4.0, 5.0};
    auto o = run(t, v, count(-1500, 2));
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{-1000, 0}));
    expect_values({nan_v, 3.0}, o.value);
    o = run(t, v, count(-1000, 1));  // from is inclusive
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{-1000}));
    o = run(t, v, count(1000, 10));  // fewer: the series ends first
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{1000, 2000}));
    o = run(t, v, count(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()));
    EXPECT_EQ(o.time, t);
    EXPECT_TRUE(run(t, v, count(2001, 3)).time.empty());
}

// `from` alone keeps every point from `from` on ("from 1980 onwards").
TEST(Cut, FromAloneRunsToTheEnd) {
    const std::vector<std::int64_t> t{-2000, -1000, 0, 1000, 2000};
    const std::vector<double> v{1.0, nan_v, 3.0, 4.0, 5.0};
    cut_params p;
    p.from = -1000;  // inclusive
    auto o = run(t, v, p);
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{-1000, 0, 1000, 2000}));
    expect_values({nan_v, 3.0, 4.0, 5.0}, o.value);
    p.from = -1500;  // between points
    EXPECT_EQ(run(t, v, p).time, (std::vector<std::int64_t>{-1000, 0, 1000, 2000}));
    p.from = std::numeric_limits<std::int64_t>::min();
    EXPECT_EQ(run(t, v, p).time, t);
    p.from = 2001;
    EXPECT_TRUE(run(t, v, p).time.empty());
    // Bound from a config: the same as a to past every point.
    const operator_def* def = find_operator("cut");
    ASSERT_NE(def, nullptr);
    const auto bound = cut_params::fields().read(params_from_text(*def, YAML::Load("{from: 1970-01-01T00:00:00.001Z}")));
    EXPECT_EQ(bound.from, 1);
    EXPECT_FALSE(bound.to);
    EXPECT_FALSE(bound.nb_points);
    EXPECT_EQ(run(t, v, bound).time, (std::vector<std::int64_t>{1000, 2000}));
}

TEST(Cut, EmptyOnePointAllNan) {
    EXPECT_TRUE(run({}, {}, range(0, 10)).time.empty());
    EXPECT_TRUE(run({}, {}, count(0, 10)).time.empty());
    auto o = run({5}, {nan_v}, range(5, 6));
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{5}));
    EXPECT_TRUE(std::isnan(o.value[0]));
    EXPECT_TRUE(run({5}, {1.0}, range(0, 5)).time.empty());
    o = run({1, 2, 3}, {nan_v, nan_v, nan_v}, count(2, 5));
    EXPECT_EQ(o.time, (std::vector<std::int64_t>{2, 3}));
    expect_values({nan_v, nan_v}, o.value);
    const cut_range r = cut_indices(std::vector<std::int64_t>{10, 20, 30, 40}, range(15, 35));
    EXPECT_EQ(r.first, 1u);
    EXPECT_EQ(r.last, 3u);
}

TEST(Cut, AppendsAfterEarlierSeries) {
    std::vector<std::int64_t> ot{-5};
    std::vector<double> ov{42.0};
    series_sink sink(ot, ov);
    const std::vector<std::int64_t> t{0, 10, 20};
    const std::vector<double> v{1.0, 2.0, 3.0};
    cut(series_view{t, v}, range(5, 100), sink);
    cut(series_view{t, v}, range(50, 100), sink);  // nothing
    EXPECT_EQ(ot, (std::vector<std::int64_t>{-5, 10, 20}));
    expect_values({42.0, 2.0, 3.0}, ov);
}

TEST(Cut, TimestampParameters) {
    const operator_def* def = find_operator("cut");
    ASSERT_NE(def, nullptr);
    const param_spec& from = *def->find_param("from");
    EXPECT_EQ(from.type, param_type::timestamp);
    EXPECT_STREQ(to_string(param_type::timestamp), "timestamp");
    auto ms = [&](const char* text) { return std::get<std::int64_t>(parse_param(from, text)); };
    EXPECT_EQ(ms("2015-01-01"), t2015);
    EXPECT_EQ(ms("2015-01-01T00:00:00Z"), t2015);
    EXPECT_EQ(ms("2015-01-01T00:00:00.250"), t2015 + 250);  // no zone: UTC
    EXPECT_EQ(ms(" 2015-01-01 01:00:00+01:00 "), t2015);
    EXPECT_EQ(ms("1420070400000"), t2015);  // a plain integer: epoch ms
    EXPECT_EQ(ms("-1"), -1);
    EXPECT_EQ(ms("1969-12-31T23:59:59.999Z"), -1);
    EXPECT_EQ(ms("1900-01-01T00:00:00Z"), -2'208'988'800'000);
    // Rendered as ISO 8601, which reads back as the same instant.
    for (const std::int64_t t : {t2015 + 250, std::int64_t{-1}, std::int64_t{-2'208'988'800'000}, std::int64_t{0}}) {
        const std::string text = format_param(from, t);
        EXPECT_EQ(std::get<std::int64_t>(parse_param(from, text)), t) << text;
    }
    EXPECT_EQ(format_param(from, t2015), "2015-01-01T00:00:00.000Z");
    EXPECT_EQ(format_param(from, std::int64_t{-62'167'219'200'000}), "0000-01-01T00:00:00.000Z");
    EXPECT_EQ(format_param(from, std::int64_t{253'402'300'799'999}), "9999-12-31T23:59:59.999Z");
    // Beyond four-digit years ISO 8601 (as tsbatch reads it) cannot say it: epoch ms.
    for (const std::int64_t t : {std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min(),
                                 std::int64_t{-62'167'219'200'001}}) {
        const std::string text = format_param(from, t);
        EXPECT_EQ(text, std::to_string(t));
        EXPECT_EQ(std::get<std::int64_t>(parse_param(from, text)), t) << text;
    }
    for (const char* bad : {"", "yesterday", "2015-13-01", "2015-02-30", "2015-01-01T25:00", "2015/01/01", "1.5e12",
                            "2015-01-01T00:00:00+1", "0x10"}) {
        try {
            (void)parse_param(from, bad);
            ADD_FAILURE() << bad;
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), "from") << bad;
            EXPECT_NE(std::string(e.what()).find("epoch milliseconds"), std::string::npos) << e.what();
        }
    }
    // Bounds on a timestamp parameter read as timestamps.
    param_spec bounded = from;
    bounded.min = static_cast<double>(t2015);
    try {
        (void)parse_param(bounded, "2014-12-31");
        ADD_FAILURE();
    } catch (const param_error& e) {
        EXPECT_NE(std::string(e.what()).find(">= 2015-01-01T00:00:00.000Z"), std::string::npos) << e.what();
    }
}

TEST(Cut, RegistrySchema) {
    const operator_def* def = find_operator("cut");
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->input, data_kind::series);
    ASSERT_EQ(def->outputs.size(), 1u);
    EXPECT_EQ(def->outputs[0].kind, data_kind::series);
    EXPECT_FALSE(def->summary.empty());
    ASSERT_EQ(def->params.size(), 3u);
    EXPECT_EQ(def->params[0].name, "from");
    EXPECT_TRUE(def->params[0].required());
    EXPECT_EQ(def->params[1].name, "to");
    EXPECT_EQ(def->params[1].type, param_type::timestamp);
    EXPECT_FALSE(def->params[1].required());
    EXPECT_FALSE(def->params[1].default_value.has_value());
    EXPECT_EQ(def->params[2].name, "nb_points");
    EXPECT_EQ(def->params[2].type, param_type::integer);
    EXPECT_FALSE(def->params[2].required());
    EXPECT_EQ(def->params[2].min.value_or(-1), 1.0);
    // The catalogue order: scale, slope, unwrap, cut.
    const auto& cat = operator_catalogue();
    std::vector<std::string> names;
    for (const auto& d : cat) names.push_back(d.name);
    const auto at = std::find(names.begin(), names.end(), "scale");
    ASSERT_NE(at, names.end());
    ASSERT_GE(names.end() - at, 4);
    EXPECT_EQ(*(at + 1), "slope");
    EXPECT_EQ(*(at + 2), "unwrap");
    EXPECT_EQ(*(at + 3), "cut");

    cut_params p = cut_params::fields().read(params_from_text("{from: 2015-01-01, to: '2015-01-02T00:00:00Z'}"));
    EXPECT_EQ(p.from, t2015);
    EXPECT_EQ(p.to, t2015 + ms_per_day);
    EXPECT_FALSE(p.nb_points);
    p = cut_params::fields().read(params_from_text("{from: -5000, nb_points: 7}"));
    EXPECT_EQ(p.from, -5000);
    EXPECT_FALSE(p.to);
    EXPECT_EQ(p.nb_points, 7);
}

TEST(Cut, BadParametersThrowNamingThem) {
    const operator_def* def = find_operator("cut");
    ASSERT_NE(def, nullptr);
    auto expect_error = [&](const char* yaml, const char* param) {
        SCOPED_TRACE(yaml);
        try {
            (void)def->bind(params_from_text(*def, YAML::Load(yaml)));
            ADD_FAILURE() << "no param_error";
        } catch (const param_error& e) {
            EXPECT_EQ(e.param(), param) << e.what();
        }
    };
    expect_error("{from: 2015-01-01, to: 2015-01-02, nb_points: 3}", "nb_points");  // both
    expect_error("{from: 2015-01-01, to: 2015-01-01}", "to");                       // to == from
    expect_error("{from: 2015-01-02, to: 2015-01-01}", "to");                       // to < from
    expect_error("{from: 0, to: -1}", "to");
    expect_error("{to: 2015-01-01}", "from");  // from is required
    expect_error("{from: 2015-01-01, nb_points: 0}", "nb_points");
    expect_error("{from: 2015-01-01, nb_points: -3}", "nb_points");
    expect_error("{from: 2015-01-01, nb_points: 1.5}", "nb_points");
    expect_error("{from: 2015-00-01, to: 2015-01-02}", "from");
    expect_error("{from: 2015-01-01, to: tomorrow}", "to");
    // Values set directly (no parse_param) are checked by bind too.
    param_values pv;
    pv.set("from", std::int64_t{0});
    pv.set("nb_points", std::int64_t{0});
    try {
        (void)def->bind(pv);
        ADD_FAILURE();
    } catch (const param_error& e) {
        EXPECT_EQ(e.param(), "nb_points");
    }
    std::vector<std::int64_t> ot;
    std::vector<double> ov;
    series_sink sink(ot, ov);
    EXPECT_THROW(cut(series_view{}, range(5, 5), sink), param_error);
    cut_params both = range(0, 5);
    both.nb_points = 3;
    EXPECT_THROW(cut(series_view{}, both, sink), param_error);
    EXPECT_NO_THROW(cut(series_view{}, cut_params{}, sink));  // from alone (here 0) is valid
    EXPECT_TRUE(ot.empty());
}

const char* cut_yaml = R"(
input: {path: in.h5}
steps:
  - {name: window, op: cut, params: {from: 2015-01-01T00:00:01.500, to: 1420070403000}}
  - {name: head,   op: cut, input: source, params: {from: '1969-12-31T23:00:00-01:00', nb_points: 2}}
  - {name: later,  op: cut, input: source, params: {from: 2030-01-01, nb_points: 2}}
output: {path: out.h5}
)";

TEST(Cut, ConfigRoundTrip) {
    const run_config cfg = parse_run_config(cut_yaml, "cut.yaml");
    ASSERT_EQ(cfg.steps.size(), 3u);
    EXPECT_EQ(cfg.steps[0].params.timestamp("from"), t2015 + 1500);
    EXPECT_EQ(cfg.steps[0].params.timestamp("to"), t2015 + 3000);
    EXPECT_EQ(cfg.steps[1].params.timestamp("from"), 0);
    const std::string text = to_yaml(cfg);
    SCOPED_TRACE(text);
    EXPECT_NE(text.find("from: 2015-01-01T00:00:01.500Z"), std::string::npos);
    EXPECT_NE(text.find("to: 2015-01-01T00:00:03.000Z"), std::string::npos);
    const run_config again = parse_run_config(text, "effective.yaml");
    ASSERT_EQ(again.steps.size(), 3u);
    for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(again.steps[k].params.all(), cfg.steps[k].params.all()) << k;
    EXPECT_EQ(to_yaml(again), text);
}

TEST(Cut, ConfigErrorsNameTheParameter) {
    auto error_of = [](const std::string& params) {
        try {
            (void)parse_run_config("input: {path: in.h5}\nsteps:\n  - {name: c, op: cut, params: " + params +
                                       "}\noutput: {path: out.h5}\n",
                                   "c.yaml");
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(error_of("{from: 2015-99-01, to: 2016-01-01}").find("steps.c.params.from"), std::string::npos)
        << error_of("{from: 2015-99-01, to: 2016-01-01}");
    EXPECT_EQ(error_of("{from: 2015-01-01}"), "");  // from alone: to the end of the series
    EXPECT_NE(error_of("{from: 2016-01-01, to: 2015-01-01}").find("params.to"), std::string::npos);
    EXPECT_NE(error_of("{from: 2015-01-01, to: 2016-01-01, nb_points: 4}").find("params.nb_points"), std::string::npos);
    EXPECT_NE(error_of("{to: 2016-01-01}").find("params.from"), std::string::npos) << error_of("{to: 2016-01-01}");
}

TEST(Cut, PipelineKeepsEmptyResults) {
    const run_config cfg = parse_run_config(cut_yaml, "cut.yaml");
    const step_pipeline p(cfg);
    series_batch in;
    const std::vector<std::int64_t> t{t2015, t2015 + 1000, t2015 + 2000, t2015 + 3000};
    const std::vector<double> v{1.0, 3.0, nan_v, 4.0};
    const std::vector<std::int64_t> t_old{-5000, -4000};
    const std::vector<double> v_old{7.0, 8.0};
    in.append(series_meta{"a", "m", "", 0}, series_view{t, v});
    in.append(series_meta{"b", "m", "", 1}, series_view{t_old, v_old});
    const execution ex = p.run(in, "in.h5", false);
    ASSERT_EQ(ex.steps.size(), 3u);
    for (const auto& s : ex.steps) ASSERT_EQ(s.outputs[0].series.size(), 2u) << s.name;  // never dropped
    const auto& w = ex.steps[0].outputs[0].series;
    ASSERT_EQ(w.count(0), 1u);  // [1.5 s, 3 s) holds the NaN at 2 s, which is kept
    EXPECT_EQ(w.time[0], t2015 + 2000);
    EXPECT_TRUE(std::isnan(w.value[0]));
    EXPECT_EQ(w.count(1), 0u);
    EXPECT_EQ(ex.steps[1].outputs[0].series.count(0), 2u);
    EXPECT_EQ(ex.steps[1].outputs[0].series.count(1), 0u);  // all before 1970
    EXPECT_EQ(ex.steps[2].outputs[0].series.count(0), 0u);
    EXPECT_EQ(ex.steps[2].outputs[0].series.count(1), 0u);
    EXPECT_EQ(ex.steps[2].outputs[0].series.meta[1].id, "b");
}

}  // namespace
}  // namespace tsbatch
