#include "pipeline/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "algo/operator.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "fixtures_dir.hpp"

namespace tsbatch {
namespace {

namespace fs = std::filesystem;

const fs::path& configs_dir() {
    static const fs::path dir = test::fixtures_dir() / "configs";
    return dir;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

run_config load(const std::string& name, const std::vector<std::string>& overrides = {}) {
    return parse_run_config(slurp(configs_dir() / name), name, overrides);
}

// The message of the config_error that parsing throws, or "" (and a failure) when none is.
std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {},
                     const std::string& file = "t.yaml") {
    try {
        parse_run_config(text, file, overrides);
    } catch (const config_error& e) {
        EXPECT_EQ(e.code(), exit_code::usage);
        return e.what();
    }
    ADD_FAILURE() << "no config_error for:\n" << text;
    return "";
}

std::string fixture_error(const std::string& name, const std::vector<std::string>& overrides = {}) {
    return error_of(slurp(configs_dir() / name), overrides, name);
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string kind(const param_value& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, bool>)
                return "bool";
            else if constexpr (std::is_same_v<T, std::int64_t>)
                return "int64";
            else if constexpr (std::is_same_v<T, double>)
                return "double";
            else
                return "string";
        },
        v);
}

// Every field of two configurations but the source locations (which differ between a
// file and its to_yaml text by design).
void expect_same(const run_config& a, const run_config& b) {
    EXPECT_EQ(a.input.path, b.input.path);
    EXPECT_EQ(a.input.group, b.input.group);
    EXPECT_EQ(a.input.select.metric, b.input.select.metric);
    EXPECT_EQ(a.input.select.tags, b.input.select.tags);
    EXPECT_EQ(a.input.select.time_from, b.input.select.time_from);
    EXPECT_EQ(a.input.select.time_to, b.input.select.time_to);
    ASSERT_EQ(a.steps.size(), b.steps.size());
    for (std::size_t i = 0; i < a.steps.size(); ++i) {
        SCOPED_TRACE("step " + a.steps[i].name);
        EXPECT_EQ(a.steps[i].name, b.steps[i].name);
        EXPECT_EQ(a.steps[i].op, b.steps[i].op);
        EXPECT_EQ(a.steps[i].input, b.steps[i].input);
        EXPECT_EQ(a.steps[i].params.all(), b.steps[i].params.all());
    }
    EXPECT_EQ(a.output.path, b.output.path);
    EXPECT_EQ(a.output.keep, b.output.keep);
    EXPECT_EQ(a.output.compression, b.output.compression);
    EXPECT_EQ(a.output.deflate_level, b.output.deflate_level);
    EXPECT_EQ(a.run.balance, b.run.balance);
    EXPECT_EQ(a.run.on_series_error, b.run.on_series_error);
    EXPECT_EQ(a.run.progress_interval_ms, b.run.progress_interval_ms);
}

// ---------------------------------------------------------------------------------------
// Valid configurations

TEST(Config, DesignExample) {
    const run_config cfg = load("good_full.yaml");
    EXPECT_EQ(cfg.file, "good_full.yaml");
    EXPECT_EQ(cfg.input.path, "data/sensors.h5");
    EXPECT_EQ(cfg.input.group, "/");
    EXPECT_EQ(cfg.input.select.metric, "gw.level*");
    EXPECT_EQ(cfg.input.select.tags, (std::map<std::string, std::string>{{"site", "BH*"}}));
    EXPECT_EQ(cfg.input.select.time_from, parse_iso8601("2015-01-01T00:00:00Z"));
    EXPECT_EQ(cfg.input.select.time_to, parse_iso8601("2020-01-01T00:00:00Z"));
    EXPECT_TRUE(cfg.input.select.selects_series());
    EXPECT_TRUE(cfg.input.select.selects_time());

    ASSERT_EQ(cfg.steps.size(), 4u);
    const step_config& q = cfg.steps[0];
    EXPECT_EQ(q.name, "q");
    EXPECT_EQ(q.op, "quality_stats");
    EXPECT_EQ(q.input, "source");
    EXPECT_EQ(q.params.number("gap_factor"), 3.0);  // default filled in
    EXPECT_EQ(q.where.file, "good_full.yaml");
    EXPECT_EQ(q.where.line, 11);
    EXPECT_EQ(q.where.column, 5);

    const step_config& hourly = cfg.steps[1];
    EXPECT_EQ(hourly.op, "resample");
    EXPECT_EQ(hourly.input, "source");
    EXPECT_EQ(hourly.params.duration("period"), ms_per_hour);
    EXPECT_EQ(hourly.params.text("aggregation"), "mean");
    EXPECT_EQ(hourly.params.text("label"), "start");
    EXPECT_EQ(hourly.params.text("fill"), "none");
    EXPECT_EQ(hourly.params.text("origin"), "epoch");
    EXPECT_FALSE(hourly.params.has("max_gap"));  // derived default: left to the operator

    const step_config& z = cfg.steps[2];
    EXPECT_EQ(z.input, "hourly");  // q produces a table, so the default is hourly
    EXPECT_EQ(z.params.text("method"), "zscore");
    EXPECT_EQ(z.params.integer("ddof"), 1);

    EXPECT_EQ(cfg.steps[3].input, "z");
    EXPECT_TRUE(cfg.steps[3].params.all().empty());

    EXPECT_EQ(cfg.output.path, "results/run.h5");
    ASSERT_TRUE(cfg.output.keep.has_value());
    EXPECT_EQ(*cfg.output.keep, (std::vector<std::string>{"q", "hourly", "copy"}));
    EXPECT_TRUE(cfg.keeps("q"));
    EXPECT_TRUE(cfg.keeps("copy"));
    EXPECT_FALSE(cfg.keeps("z"));
    EXPECT_EQ(cfg.output.compression, "none");
    EXPECT_EQ(cfg.output.deflate_level, 4);
    EXPECT_EQ(cfg.run.balance, "cost");
    EXPECT_EQ(cfg.run.on_series_error, "skip");
    EXPECT_EQ(cfg.run.progress_interval_ms, 5000);

    ASSERT_NE(cfg.find_step("z"), nullptr);
    EXPECT_EQ(cfg.find_step("z")->op, "scale");
    EXPECT_EQ(cfg.find_step("words"), nullptr);
    EXPECT_EQ(cfg.find_step("source"), nullptr);
}

TEST(Config, DefaultsFilled) {
    const run_config cfg = load("good_minimal.yaml");
    EXPECT_EQ(cfg.input.path, "in.h5");
    EXPECT_EQ(cfg.input.group, "/");
    EXPECT_FALSE(cfg.input.select.selects_series());
    EXPECT_FALSE(cfg.input.select.selects_time());
    EXPECT_TRUE(cfg.steps.empty());
    EXPECT_EQ(cfg.output.path, "out.h5");
    EXPECT_FALSE(cfg.output.keep.has_value());
    EXPECT_TRUE(cfg.keeps("anything"));  // absent keep = every step
    EXPECT_EQ(cfg.output.compression, "none");
    EXPECT_EQ(cfg.output.deflate_level, 4);
    EXPECT_EQ(cfg.run.balance, "cost");
    EXPECT_EQ(cfg.run.on_series_error, "fail");
    EXPECT_EQ(cfg.run.progress_interval_ms, 5 * ms_per_second);
}

TEST(Config, EmptySectionsReadAsEmpty) {
    // `run:` or `params:` with every child commented out is an empty map, `steps:` an empty list.
    const run_config cfg = parse_run_config(
        "input: {path: in.h5, select: }\nsteps:\n  - {name: a, op: identity, params: }\noutput: {path: o.h5}\nrun:\n",
        "t.yaml");
    ASSERT_EQ(cfg.steps.size(), 1u);
    EXPECT_EQ(cfg.run.balance, "cost");
    const run_config none = parse_run_config("input: {path: in.h5}\nsteps:\noutput: {path: o.h5}\n", "t.yaml");
    EXPECT_TRUE(none.steps.empty());
}

TEST(Config, DefaultInputResolution) {
    const run_config cfg = load("good_default_inputs.yaml");
    ASSERT_EQ(cfg.steps.size(), 5u);
    EXPECT_EQ(cfg.steps[0].input, "source");  // first step
    EXPECT_EQ(cfg.steps[1].input, "source");  // only a table step before it
    EXPECT_EQ(cfg.steps[2].input, "source");  // explicit
    EXPECT_EQ(cfg.steps[3].input, "hourly");  // previous step produces series
    EXPECT_EQ(cfg.steps[4].input, "hourly");  // skips the table step stats2
    EXPECT_EQ(cfg.steps[4].params.text("method"), "robust");
    EXPECT_EQ(cfg.steps[4].params.integer("ddof"), 0);
    EXPECT_EQ(cfg.steps[2].where.line, 8);
}

TEST(Config, EveryKey) {
    const run_config cfg = load("good_all_keys.yaml");
    EXPECT_EQ(cfg.input.path, "data/with space.h5");
    EXPECT_EQ(cfg.input.group, "/site/raw");
    EXPECT_EQ(cfg.input.select.metric, "gw.[a-c]?level*");
    EXPECT_EQ(cfg.input.select.tags, (std::map<std::string, std::string>{{"sensor", "*"}, {"site", "BH[!0]*"}}));
    EXPECT_EQ(cfg.input.select.time_from, 1420070400000);  // an integer is epoch ms
    EXPECT_EQ(cfg.input.select.time_to, parse_iso8601("2016-06-01T10:30:00Z"));

    ASSERT_EQ(cfg.steps.size(), 4u);
    const step_config& r = cfg.steps[0];
    EXPECT_EQ(r.name, "hourly.v2");
    EXPECT_EQ(r.params.duration("period"), 30 * ms_per_minute);
    EXPECT_EQ(r.params.text("aggregation"), "median");
    EXPECT_EQ(r.params.text("label"), "mid");
    EXPECT_EQ(r.params.text("fill"), "linear");
    EXPECT_EQ(r.params.duration("max_gap"), 6 * ms_per_hour);
    EXPECT_EQ(r.params.text("origin"), "first");
    EXPECT_EQ(cfg.steps[1].name, "z-1");
    EXPECT_EQ(cfg.steps[1].input, "hourly.v2");
    EXPECT_EQ(cfg.steps[1].params.text("method"), "minmax");
    EXPECT_EQ(cfg.steps[2].input, "z-1");
    EXPECT_EQ(cfg.steps[2].params.number("gap_factor"), 2.5);
    EXPECT_EQ(cfg.steps[3].input, "source");

    ASSERT_TRUE(cfg.output.keep.has_value());
    EXPECT_TRUE(cfg.output.keep->empty());  // `keep: []` keeps nothing, unlike no keep
    EXPECT_FALSE(cfg.keeps("copy"));
    EXPECT_EQ(cfg.output.compression, "deflate");
    EXPECT_EQ(cfg.output.deflate_level, 9);
    EXPECT_EQ(cfg.run.balance, "points");
    EXPECT_EQ(cfg.run.on_series_error, "fail");
    EXPECT_EQ(cfg.run.progress_interval_ms, 90 * ms_per_second);
}

TEST(Config, ParamValueTypes) {
    const run_config cfg = load("good_all_keys.yaml");
    EXPECT_EQ(kind(cfg.steps[0].params.all().at("period")), "int64");
    EXPECT_EQ(kind(cfg.steps[0].params.all().at("aggregation")), "string");
    EXPECT_EQ(kind(cfg.steps[1].params.all().at("ddof")), "int64");
    EXPECT_EQ(kind(cfg.steps[2].params.all().at("gap_factor")), "double");
}

// ---------------------------------------------------------------------------------------
// Invalid configurations: each tests/fixtures/configs/bad_*.yaml starts with
//   # expect-at: LINE:COL
//   # expect-key: KEY.PATH          (empty for YAML syntax errors)
//   # expect-text: part of the explanation
// and the message must read `bad_x.yaml:LINE:COL: KEY.PATH: ...explanation...`.

struct expectation {
    std::string at;
    std::string key;
    std::string text;
};

expectation read_expectation(const std::string& content) {
    expectation e;
    std::istringstream in(content);
    std::string line;
    auto take = [&](const std::string& tag, std::string& out) {
        if (starts_with(line, tag)) out = line.substr(tag.size());
    };
    while (std::getline(in, line) && starts_with(line, "#")) {
        take("# expect-at: ", e.at);
        take("# expect-key: ", e.key);
        take("# expect-text: ", e.text);
        if (line == "# expect-key:") e.key.clear();
    }
    return e;
}

std::vector<std::string> bad_fixtures() {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(configs_dir())) {
        const std::string name = entry.path().filename().string();
        if (starts_with(name, "bad_") && entry.path().extension() == ".yaml") names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

class BadConfig : public ::testing::TestWithParam<std::string> {};

TEST_P(BadConfig, ReportsLocationKeyAndReason) {
    const std::string name = GetParam();
    const std::string content = slurp(configs_dir() / name);
    const expectation want = read_expectation(content);
    ASSERT_FALSE(want.at.empty()) << name << " lacks '# expect-at:'";
    ASSERT_FALSE(want.text.empty()) << name << " lacks '# expect-text:'";
    const std::string msg = error_of(content, {}, name);
    const std::string prefix = name + ":" + want.at + ": " + (want.key.empty() ? "" : want.key + ": ");
    EXPECT_TRUE(starts_with(msg, prefix)) << "message: " << msg << "\nexpected prefix: " << prefix;
    EXPECT_NE(msg.find(want.text), std::string::npos) << "message: " << msg << "\nexpected to contain: " << want.text;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BadConfig, ::testing::ValuesIn(bad_fixtures()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                             return param_info.param.substr(0, param_info.param.size() - 5);  // drop ".yaml"
                         });

TEST(Config, EveryBadFixtureIsFound) {
    // Guards against the directory scan silently finding nothing.
    EXPECT_GE(bad_fixtures().size(), 50u);
}

TEST(Config, UnknownKeyListsAllowedKeys) {
    const std::string msg = fixture_error("bad_unknown_top_key.yaml");
    EXPECT_NE(msg.find("input, steps, output, run"), std::string::npos) << msg;
}

TEST(Config, PlannedKeysAreNotReportedAsUnknown) {
    EXPECT_EQ(fixture_error("bad_checkpoint.yaml").find("unknown key"), std::string::npos);
    EXPECT_EQ(fixture_error("bad_opentsdb.yaml").find("unknown key"), std::string::npos);
}

TEST(Config, YamlSyntaxErrorIncludesParserMessage) {
    const std::string msg = error_of("input: {path: in.h5\nsteps: []\n", {}, "s.yaml");
    EXPECT_TRUE(starts_with(msg, "s.yaml:")) << msg;
    EXPECT_NE(msg.find("flow"), std::string::npos) << msg;
}

TEST(Config, NonTextKey) {
    const std::string msg = error_of("input: {path: in.h5}\nsteps: []\noutput: {path: o.h5}\n? [a, b]\n: 1\n");
    EXPECT_TRUE(starts_with(msg, "t.yaml:4:3: a key must be plain text")) << msg;
}

TEST(Config, DuplicateTagKey) {
    const std::string msg =
        error_of("input:\n  path: in.h5\n  select:\n    tags: {site: a, site: b}\nsteps: []\noutput: {path: o.h5}\n");
    EXPECT_TRUE(starts_with(msg, "t.yaml:4:21: input.select.tags.site: duplicate key")) << msg;
}

TEST(Config, AliasExplosionIsRefused) {
    // Ten levels of ten aliases: 10^10 nodes when expanded.
    std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i <= 10; ++i) {
        const std::string level = std::to_string(i);
        const std::string prev = std::to_string(i - 1);
        text += "l" + level + ": &l" + level + " [*l" + prev;
        for (int k = 1; k < 10; ++k) text += ", *l" + prev;
        text += "]\n";
    }
    const std::string msg = error_of(text);
    EXPECT_NE(msg.find("more than"), std::string::npos) << msg;
}

// ---------------------------------------------------------------------------------------
// A bind() that rejects a combination of parameters: no real operator can be relied on to
// have one, so a test catalogue provides it.

std::vector<operator_def> test_catalogue() {
    operator_def band;
    band.name = "band";
    param_spec lo;
    lo.name = "lo";
    lo.type = param_type::number;
    lo.default_value = 0.0;
    lo.default_text = "0";
    param_spec hi = lo;
    hi.name = "hi";
    hi.default_value = 1.0;
    hi.default_text = "1";
    band.params = {lo, hi};
    band.bind = [](const param_values& v) {
        if (v.number("hi") <= v.number("lo")) throw param_error("hi", "must be greater than lo");
        return bound_operator{};
    };
    operator_def table;
    table.name = "table";
    table.outputs = {{"", data_kind::table, ""}};
    table.bind = [](const param_values&) { return bound_operator{}; };
    operator_def never;
    never.name = "never";
    never.outputs = {{"", data_kind::table, ""}};
    never.bind = [](const param_values&) -> bound_operator { throw param_error("", "cannot run on this data"); };
    operator_def split;
    split.name = "split";
    split.outputs = {{"flags", data_kind::table, ""}, {"match", data_kind::series, ""}, {"rest", data_kind::series, ""}};
    split.bind = [](const param_values&) { return bound_operator{}; };
    return {band, table, never, split};
}

std::string bind_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
    const auto catalogue = test_catalogue();
    try {
        detail::parse_run_config_with(text, "b.yaml", overrides, catalogue);
    } catch (const config_error& e) {
        return e.what();
    }
    ADD_FAILURE() << "no config_error";
    return "";
}

TEST(Config, BindErrorIsReportedAtTheParams) {
    const std::string head = "input: {path: in.h5}\nsteps:\n  - name: b\n    op: band\n";
    const auto catalogue = test_catalogue();
    EXPECT_NO_THROW(detail::parse_run_config_with(head + "    params: {lo: 1, hi: 2}\noutput: {path: o.h5}\n", "b.yaml",
                                                  {}, catalogue));
    EXPECT_EQ(bind_error(head + "    params:\n      lo: 5\noutput: {path: o.h5}\n"),
              "b.yaml:6:7: steps.b.params.hi: must be greater than lo");
    // Without a params map, the step is the place.
    EXPECT_EQ(bind_error("input: {path: in.h5}\nsteps:\n  - {name: n, op: never}\noutput: {path: o.h5}\n"),
              "b.yaml:3:5: steps.n.params: cannot run on this data");
    // The params map that --set creates is the override's.
    EXPECT_EQ(bind_error(head + "output: {path: o.h5}\n", {"steps.b.params.lo=3"}),
              "--set steps.b.params.lo=3: steps.b.params.hi: must be greater than lo");
    EXPECT_EQ(bind_error(head + "    params: {hi: 2}\noutput: {path: o.h5}\n", {"steps.b.params.lo=3"}),
              "b.yaml:5:13: steps.b.params.hi: must be greater than lo");
}

TEST(Config, UnknownOpListsTheCatalogue) {
    const auto catalogue = test_catalogue();
    try {
        detail::parse_run_config_with("input: {path: in.h5}\nsteps: [{name: a, op: identity}]\noutput: {path: o.h5}\n",
                                      "b.yaml", {}, catalogue);
        ADD_FAILURE() << "identity is not in the test catalogue";
    } catch (const config_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "b.yaml:2:23: steps.a.op: unknown operator 'identity'; known operators: band, table, never, split");
    }
}

TEST(Config, DefaultInputSkipsTableSteps) {
    const auto catalogue = test_catalogue();
    const run_config cfg = detail::parse_run_config_with(
        "input: {path: in.h5}\nsteps:\n  - {name: a, op: band}\n  - {name: t, op: table}\n  - {name: c, op: "
        "band}\noutput: {path: o.h5}\n",
        "b.yaml", {}, catalogue);
    EXPECT_EQ(cfg.steps[1].input, "a");
    EXPECT_EQ(cfg.steps[2].input, "a");
}

TEST(Config, MultiOutputStepsAreReadThroughANamedSeriesOutput) {
    const auto catalogue = test_catalogue();
    const std::string head = "input: {path: in.h5}\nsteps:\n  - {name: s, op: split}\n";
    const run_config cfg = detail::parse_run_config_with(
        head + "  - {name: a, op: band}\n  - {name: b, op: band, input: s/rest}\noutput: {path: o.h5}\n", "b.yaml", {},
        catalogue);
    EXPECT_EQ(cfg.steps[1].input, "s");  // the default: s's first series output, match
    EXPECT_EQ(cfg.steps[2].input, "s/rest");
    EXPECT_EQ(bind_error(head + "  - {name: b, op: band, input: s/flags}\noutput: {path: o.h5}\n"),
              "b.yaml:4:32: steps.b.input: step output 's/flags' (split) is a table, not series; a step reads "
              "'source' or an earlier step's series output (outputs: flags (table), match (series), rest (series))");
    EXPECT_EQ(bind_error(head + "  - {name: b, op: band, input: s/nope}\noutput: {path: o.h5}\n"),
              "b.yaml:4:32: steps.b.input: 's/nope': split has no output 'nope'; its outputs are flags (table), "
              "match (series), rest (series)");
    EXPECT_EQ(bind_error(head + "  - {name: a, op: band}\n  - {name: b, op: band, input: a/x}\noutput: {path: o.h5}\n"),
              "b.yaml:5:32: steps.b.input: 'a/x': band has a single output; write the step name alone");
}

// ---------------------------------------------------------------------------------------
// --set overrides

TEST(ConfigOverride, Scalar) {
    const run_config cfg = load("good_full.yaml", {"steps.hourly.params.period=30min"});
    EXPECT_EQ(cfg.find_step("hourly")->params.duration("period"), 30 * ms_per_minute);
    EXPECT_EQ(cfg.find_step("hourly")->params.text("aggregation"), "mean");  // the rest stays
}

TEST(ConfigOverride, TopLevelScalars) {
    const run_config cfg = load("good_full.yaml", {"output.path=other.h5", "run.balance=points", "input.group=/x"});
    EXPECT_EQ(cfg.output.path, "other.h5");
    EXPECT_EQ(cfg.run.balance, "points");
    EXPECT_EQ(cfg.input.group, "/x");
}

TEST(ConfigOverride, List) {
    const run_config cfg = load("good_full.yaml", {"output.keep=[q,z]"});
    EXPECT_EQ(*cfg.output.keep, (std::vector<std::string>{"q", "z"}));
    const run_config none = load("good_full.yaml", {"output.keep=[]"});
    EXPECT_TRUE(none.output.keep->empty());
}

TEST(ConfigOverride, Map) {
    const run_config cfg = load("good_minimal.yaml", {"input.select={metric: 'a*', tags: {site: b}}"});
    EXPECT_EQ(cfg.input.select.metric, "a*");
    EXPECT_EQ(cfg.input.select.tags.at("site"), "b");
}

TEST(ConfigOverride, NewKeys) {
    // z has a params map without ddof, q has no params at all, good_minimal has no run.
    const run_config cfg = load("good_full.yaml", {"steps.z.params.ddof=0", "steps.q.params.gap_factor=5",
                                                   "steps.hourly.params.fill=linear", "run.progress_interval=1min"});
    EXPECT_EQ(cfg.find_step("z")->params.integer("ddof"), 0);
    EXPECT_EQ(cfg.find_step("q")->params.number("gap_factor"), 5.0);
    EXPECT_EQ(cfg.find_step("hourly")->params.text("fill"), "linear");
    EXPECT_EQ(cfg.run.progress_interval_ms, ms_per_minute);
    EXPECT_EQ(load("good_minimal.yaml", {"run.on_series_error=skip"}).run.on_series_error, "skip");
    EXPECT_EQ(load("good_minimal.yaml", {"input.select.time.from=2015-01-01"}).input.select.time_from,
              parse_iso8601("2015-01-01"));
}

TEST(ConfigOverride, StepInputAndWholeStep) {
    const run_config a = load("good_full.yaml", {"steps.z.input=source"});
    EXPECT_EQ(a.find_step("z")->input, "source");
    const run_config b = load("good_full.yaml", {"steps.copy={name: copy, op: scale, params: {method: maxabs}}"});
    EXPECT_EQ(b.find_step("copy")->op, "scale");
    EXPECT_EQ(b.find_step("copy")->params.text("method"), "maxabs");
    EXPECT_EQ(b.find_step("copy")->where.line, 0);  // came from --set
    const run_config c = load("good_minimal.yaml", {"steps=[{name: a, op: identity}]"});
    ASSERT_EQ(c.steps.size(), 1u);
    EXPECT_EQ(c.steps[0].input, "source");
}

TEST(ConfigOverride, DottedStepName) {
    const run_config cfg = load("good_all_keys.yaml", {"steps.hourly.v2.params.period=2h", "steps.z-1.params.ddof=1"});
    EXPECT_EQ(cfg.find_step("hourly.v2")->params.duration("period"), 2 * ms_per_hour);
    EXPECT_EQ(cfg.find_step("z-1")->params.integer("ddof"), 1);
}

TEST(ConfigOverride, AppliedInOrderAndValueMayHoldEquals) {
    const run_config cfg = load("good_minimal.yaml", {"output.path=a.h5", "output.path=b.h5", "input.path=x=y.h5"});
    EXPECT_EQ(cfg.output.path, "b.h5");
    EXPECT_EQ(cfg.input.path, "x=y.h5");
}

TEST(ConfigOverride, UnknownStep) {
    EXPECT_EQ(fixture_error("good_full.yaml", {"steps.hourlyy.params.period=1h"}),
              "--set steps.hourlyy.params.period=1h: no step named 'hourlyy'; steps: q, hourly, z, copy");
    EXPECT_EQ(fixture_error("good_minimal.yaml", {"steps.a.op=identity"}),
              "--set steps.a.op=identity: no step named 'a' (there are no steps)");
}

TEST(ConfigOverride, Malformed) {
    EXPECT_EQ(fixture_error("good_minimal.yaml", {"output.path"}), "--set output.path: expected KEY.PATH=VALUE");
    EXPECT_EQ(fixture_error("good_minimal.yaml", {"=x.h5"}), "--set =x.h5: the key before '=' is empty");
    EXPECT_EQ(fixture_error("good_minimal.yaml", {"output..path=x"}),
              "--set output..path=x: empty key inside 'output..path'");
    EXPECT_EQ(fixture_error("good_minimal.yaml", {"output.=x"}), "--set output.=x: empty key inside 'output.'");
    EXPECT_EQ(fixture_error("good_minimal.yaml", {"output.path.name=x"}),
              "--set output.path.name=x: 'output.path' is the value 'out.h5', which has no key 'name'");
    EXPECT_EQ(fixture_error("bad_not_a_map.yaml", {"output.path=x"}),
              "--set output.path=x: the configuration is a list, which has no key 'output'");
    const std::string bad_yaml = fixture_error("good_minimal.yaml", {"output.keep=[a"});
    EXPECT_TRUE(starts_with(bad_yaml, "--set output.keep=[a: the value is not valid YAML: ")) << bad_yaml;
}

TEST(ConfigOverride, BadValuesNameTheOverride) {
    EXPECT_EQ(fixture_error("good_full.yaml", {"steps.hourly.params.period=0s"}),
              "--set steps.hourly.params.period=0s: steps.hourly.params.period: must be > 0ms, got '0s'");
    EXPECT_EQ(fixture_error("good_full.yaml", {"steps.z.params.scale=2"}),
              "--set steps.z.params.scale=2: steps.z.params.scale: unknown parameter of scale; allowed: method, ddof");
    EXPECT_EQ(
        fixture_error("good_full.yaml", {"run.colour=blue"}),
        "--set run.colour=blue: run.colour: unknown key; allowed keys: checkpoint, balance, on_series_error, progress_interval, chunk_points, chunk_series, output_memory_mb");
    EXPECT_EQ(fixture_error("good_full.yaml", {"output.keep=[q, nope]"}),
              "--set output.keep=[q, nope]: output.keep[1]: no step named 'nope'; steps: q, hourly, z, copy");
    EXPECT_EQ(fixture_error("good_full.yaml", {"output.deflate_level="}),
              "--set output.deflate_level=: output.deflate_level: missing value");
    EXPECT_EQ(
        fixture_error("good_full.yaml", {"steps.z.input=copy"}),
        "--set steps.z.input=copy: steps.z.input: step 'copy' comes later; a step reads 'source' or an earlier step");
}

TEST(ConfigOverride, OnAnEmptyFile) {
    // Overrides may build a whole configuration; what is still missing is the file's fault.
    const run_config cfg = parse_run_config("", "e.yaml", {"input.path=a.h5", "steps=[]", "output.path=b.h5"});
    EXPECT_EQ(cfg.input.path, "a.h5");
    EXPECT_EQ(error_of("", {"input.path=a.h5", "steps=[]"}, "e.yaml"), "e.yaml:1:1: output: required key is missing");
}

TEST(ConfigOverride, FileErrorsStillPointIntoTheFile) {
    // An override elsewhere does not move the location of a problem in the file.
    EXPECT_EQ(fixture_error("bad_balance.yaml", {"output.path=x.h5"}).rfind("bad_balance.yaml:8:12: run.balance: ", 0),
              0u);
}

// ---------------------------------------------------------------------------------------
// to_yaml

void expect_round_trip(const run_config& cfg) {
    const std::string text = to_yaml(cfg);
    SCOPED_TRACE(text);
    run_config again;
    ASSERT_NO_THROW(again = parse_run_config(text, "effective.yaml"));
    expect_same(cfg, again);
    EXPECT_EQ(to_yaml(again), text);  // a fixed point
}

TEST(ConfigToYaml, RoundTripsEveryGoodFixture) {
    for (const auto& entry : fs::directory_iterator(configs_dir())) {
        const std::string name = entry.path().filename().string();
        if (!starts_with(name, "good_")) continue;
        SCOPED_TRACE(name);
        expect_round_trip(load(name));
    }
}

TEST(ConfigToYaml, RoundTripsOverridesAndAwkwardText) {
    expect_round_trip(
        load("good_full.yaml",
             {"steps.hourly.params.max_gap=90min", "steps.q.params.gap_factor=0.1", "input.select.metric='*'",
              "input.select.tags={'a b': '[!x]*', c: 'null', d: ''}", "input.path=' lead.h5'", "output.keep=[]"}));
    expect_round_trip(load("good_minimal.yaml", {"input.select.time.to=-1000", "run.progress_interval=1500ms"}));
}

TEST(ConfigToYaml, WritesTheEffectiveConfiguration) {
    const std::string text = to_yaml(load("good_full.yaml", {"steps.z.params.ddof=0"}));
    // Defaults, resolved inputs and overrides are all written out.
    EXPECT_NE(text.find("gap_factor: 3"), std::string::npos) << text;
    EXPECT_NE(text.find("ddof: 0"), std::string::npos) << text;
    EXPECT_NE(text.find("label: start"), std::string::npos) << text;
    EXPECT_NE(text.find("period: 1h"), std::string::npos) << text;
    EXPECT_NE(text.find("input: hourly"), std::string::npos) << text;
    EXPECT_NE(text.find("progress_interval: 5s"), std::string::npos) << text;
    EXPECT_NE(text.find("from: 2015-01-01T00:00:00.000Z"), std::string::npos) << text;
    // A derived default stays unset and is only noted; parameters follow the schema order.
    EXPECT_EQ(text.find("      max_gap:"), std::string::npos) << text;
    EXPECT_NE(text.find("unset, derived: max_gap"), std::string::npos) << text;
    EXPECT_LT(text.find("period: 1h"), text.find("aggregation: mean")) << text;
    const std::string minimal = to_yaml(load("good_minimal.yaml"));
    EXPECT_NE(minimal.find("steps: []"), std::string::npos) << minimal;
    EXPECT_EQ(minimal.find("keep"), std::string::npos) << minimal;  // absent keep stays absent
    EXPECT_EQ(minimal.find("select"), std::string::npos) << minimal;
}

}  // namespace
}  // namespace tsbatch

namespace tsbatch {
namespace {

// kmeans `features: table:<step>` (ALGORITHMS.md's spelling) names the step's input.
TEST(Config, KmeansFeaturesTableNamesTheInput) {
    const auto cfg = parse_run_config(R"(input: {path: in.h5}
steps:
  - {name: q, op: quality_stats}
  - {name: z, op: scale}
  - {name: km, op: kmeans, params: {k: 2, features: "table:q"}}
  - {name: km2, op: kmeans, input: q, params: {k: 2, features: "table:q"}}
output: {path: out.h5}
)",
                                      "t.yaml");
    EXPECT_EQ(cfg.steps[2].input, "q");
    EXPECT_EQ(cfg.steps[3].input, "q");
    EXPECT_EQ(cfg.steps[2].params.text("features"), "table:q");
}

TEST(Config, KmeansFeaturesTableErrors) {
    const std::string head = "input: {path: in.h5}\nsteps:\n  - {name: q, op: quality_stats}\n";
    auto e = error_of(head + "  - {name: km, op: kmeans, input: source, params: {k: 2, features: \"table:q\"}}\n"
                             "output: {path: out.h5}\n");
    EXPECT_NE(e.find("steps.km.params.features: 'table:q' names step 'q', but input is 'source'"), std::string::npos) << e;
    e = error_of(head + "  - {name: km, op: kmeans, params: {k: 2, features: \"table:nope\"}}\noutput: {path: out.h5}\n");
    EXPECT_NE(e.find("steps.km.params.features: no step named 'nope'"), std::string::npos) << e;
    e = error_of(head + "  - {name: km, op: kmeans, params: {k: 2, features: colour}}\noutput: {path: out.h5}\n");
    EXPECT_NE(e.find("must be values, paa, table:<step> or table, got 'colour'"), std::string::npos) << e;
}

}  // namespace
}  // namespace tsbatch
