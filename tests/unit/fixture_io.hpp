#pragma once
// Loads the operator fixtures written by tests/fixtures/make_operator_fixtures.py (an
// independent numpy/pandas reference): tests/fixtures/operators/<operator>.yaml holds named
// input series and cases {name, series, params, abs_tol, expected}. See the script for the
// layout.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "algo/operator.hpp"
#include "pipeline/executor.hpp"

#include "fixtures_dir.hpp"

namespace tsbatch::test {

struct fixture_series {
    std::vector<std::int64_t> time;
    std::vector<double> value;

    series_view view() const { return {time, value}; }
};

struct fixture_case {
    std::string name;
    std::string series;
    YAML::Node params;
    double abs_tol = 0.0;
    YAML::Node expected;
};

struct operator_fixture {
    std::string op;
    std::map<std::string, fixture_series> series;
    std::vector<fixture_case> cases;

    const fixture_series& input(const fixture_case& c) const { return series.at(c.series); }
};

inline std::vector<double> fixture_doubles(const YAML::Node& n) {
    std::vector<double> v;
    v.reserve(n.size());
    for (const auto& x : n) v.push_back(x.as<double>());  // yaml-cpp reads .nan / .inf
    return v;
}

inline std::vector<std::int64_t> fixture_ints(const YAML::Node& n) {
    std::vector<std::int64_t> v;
    v.reserve(n.size());
    for (const auto& x : n) v.push_back(x.as<std::int64_t>());
    return v;
}

inline std::string fixture_path(const std::string& op) {
    return fixtures_dir().string() + "/operators/" + op + ".yaml";
}

/// Loads tests/fixtures/operators/<op>.yaml; throws on a missing or malformed file.
inline operator_fixture load_operator_fixture(const std::string& op) {
    const YAML::Node root = YAML::LoadFile(fixture_path(op));
    operator_fixture f;
    f.op = root["operator"].as<std::string>();
    for (const auto& kv : root["series"]) {
        fixture_series s;
        s.time = fixture_ints(kv.second["time"]);
        s.value = fixture_doubles(kv.second["value"]);
        if (s.time.size() != s.value.size())
            throw std::runtime_error(op + ": series " + kv.first.as<std::string>() + " has unequal lengths");
        f.series.emplace(kv.first.as<std::string>(), std::move(s));
    }
    for (const auto& c : root["cases"]) {
        fixture_case fc;
        fc.name = c["name"].as<std::string>();
        fc.series = c["series"].as<std::string>();
        fc.params = c["params"];
        fc.abs_tol = c["abs_tol"].as<double>();
        fc.expected = c["expected"];
        if (f.series.count(fc.series) == 0) throw std::runtime_error(op + ": case " + fc.name + " has no input");
        f.cases.push_back(std::move(fc));
    }
    return f;
}

/// Loads tests/fixtures/dataset/<name>.yaml (written by make_dataset_fixtures.py: the
/// dataset-wide kernels); throws on a missing or malformed file.
inline YAML::Node load_dataset_fixture(const std::string& name) {
    return YAML::LoadFile(fixtures_dir().string() + "/dataset/" + name + ".yaml");
}

/// The named series of a fixture's `series` map ({name: {time: [...], value: [...]}}).
inline std::map<std::string, fixture_series> fixture_series_map(const YAML::Node& series) {
    std::map<std::string, fixture_series> out;
    for (const auto& kv : series) {
        fixture_series s;
        s.time = fixture_ints(kv.second["time"]);
        s.value = fixture_doubles(kv.second["value"]);
        if (s.time.size() != s.value.size())
            throw std::runtime_error("series " + kv.first.as<std::string>() + " has unequal lengths");
        out.emplace(kv.first.as<std::string>(), std::move(s));
    }
    return out;
}

/// Typed parameter values for `def` from a fixture's params map (durations are integer ms),
/// with every schema default filled in, as the config layer hands them to bind().
inline param_values fixture_params(const operator_def& def, const YAML::Node& params) {
    param_values out;
    for (const auto& spec : def.params)
        if (spec.default_value) out.set(spec.name, *spec.default_value);
    for (const auto& kv : params) {
        const std::string name = kv.first.as<std::string>();
        const param_spec* spec = def.find_param(name);
        if (spec == nullptr) throw std::runtime_error("fixture parameter '" + name + "' is not in the schema");
        switch (spec->type) {
            case param_type::integer:
            case param_type::duration:
            case param_type::timestamp:  // epoch ms in fixtures
                out.set(name, kv.second.as<std::int64_t>());
                break;
            case param_type::number:
                out.set(name, kv.second.as<double>());
                break;
            case param_type::boolean:
                out.set(name, kv.second.as<bool>());
                break;
            case param_type::choice:
            case param_type::string:
                out.set(name, kv.second.as<std::string>());
                break;
        }
    }
    return out;
}

/// Fixture comparison: NaN matches NaN, infinities match exactly, otherwise
/// |actual - expected| <= max(rel * |expected|, abs_tol).
inline bool fixture_near(double expected, double actual, double abs_tol, double rel = 1e-12) {
    if (std::isnan(expected) || std::isnan(actual)) return std::isnan(expected) && std::isnan(actual);
    if (expected == actual) return true;
    if (std::isinf(expected) || std::isinf(actual)) return false;
    return std::fabs(actual - expected) <= std::max(rel * std::fabs(expected), abs_tol);
}

/// Runs every case of a series operator's fixture through the registry and compares the
/// output points: `expected.time` when the case has it, else the input's timestamps (one
/// output per input point). Returns how many cases gave an empty series.
inline std::size_t check_series_fixture(const operator_fixture& f, const operator_def& def,
                                        const std::function<param_values(const YAML::Node&)>& params) {
    std::size_t empty = 0;
    for (const auto& c : f.cases) {
        SCOPED_TRACE("case " + c.name);
        const bound_operator op = def.bind(params(c.params));
        if (!op.series) {
            ADD_FAILURE() << def.name << " is not a series operator";
            return empty;
        }
        std::vector<std::int64_t> ot;
        std::vector<double> ov;
        series_sink sink(ot, ov);
        const auto& in = f.input(c);
        op.series->apply(in.view(), sink);
        EXPECT_EQ(ot, c.expected["time"] ? fixture_ints(c.expected["time"]) : in.time);
        const auto want = fixture_doubles(c.expected["value"]);
        EXPECT_EQ(ov.size(), want.size());
        for (std::size_t i = 0; i < std::min(want.size(), ov.size()); ++i)
            EXPECT_TRUE(fixture_near(want[i], ov[i], c.abs_tol))
                << "point " << i << " (t=" << ot[i] << "): expected " << want[i] << ", got " << ov[i];
        empty += ot.empty() ? 1 : 0;
    }
    return empty;
}

/// The same with the parameters read by fixture_params.
inline std::size_t check_series_fixture(const operator_fixture& f, const operator_def& def) {
    return check_series_fixture(f, def, [&def](const YAML::Node& p) { return fixture_params(def, p); });
}

/// What a multi-output operator wrote for one series: outputs[k] is a series_batch (one
/// series) for a series output and a table_batch (any number of rows) for a table output,
/// indexed like operator_def::outputs.
struct multi_result {
    std::vector<series_batch> series;
    std::vector<table_batch> tables;

    series_view series_out(std::size_t k) const { return series[k].series(0); }
    /// Column `name` of table output k; throws when it has no such column.
    const table_column& column(std::size_t k, const std::string& name) const {
        for (const auto& c : tables[k].columns)
            if (c.spec.name == name) return c;
        throw std::runtime_error("no column " + name);
    }
};

/// Runs one series through a bound multi-output operator, with a sink per output.
inline multi_result run_multi(const operator_def& def, const bound_operator& op, series_view in) {
    if (!op.multi) throw std::runtime_error(def.name + " is not a multi-output operator");
    const series_meta meta{"m{k=v}", "m", "k=v", 0};
    std::vector<step_output> outs(def.outputs.size());
    for (std::size_t k = 0; k < outs.size(); ++k) {
        outs[k].kind = def.outputs[k].kind;
        if (outs[k].kind == data_kind::table) outs[k].table = table_batch(op.multi->columns(k));
    }
    apply_multi_output(*op.multi, meta, in, outs);  // exactly as the executor runs it
    multi_result r;
    for (auto& o : outs) {
        r.series.push_back(std::move(o.series));
        r.tables.push_back(std::move(o.table));
    }
    return r;
}

}  // namespace tsbatch::test
