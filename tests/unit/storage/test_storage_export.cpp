// OpenTSDB's rules (reference/opentsdb.md 1.4), the `tsdb import` and CSV text of
// `tsbatch export` and the gzip file it goes to. Expected lines and messages are written by
// hand; gzip files are read back through zlib's own gzread.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/temp_file.hpp"
#include "ended_process.hpp"
#include "storage/export_format.hpp"
#include "storage/opentsdb_rules.hpp"

using namespace tsbatch;
using namespace tsbatch::storage;

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();
constexpr std::int64_t t2023 = 1'700'000'000'000;  // 2023-11-14T22:13:20.000Z

struct points {
    std::vector<std::int64_t> time;
    std::vector<double> value;
    series_view view() const { return {time, value}; }
};

check_options ms_options() { return {}; }
check_options seconds_options() {
    check_options o;
    o.time.whole_seconds = true;
    return o;
}

series_check check(std::string_view metric, std::string_view tags, const points& p,
                   const check_options& opt = ms_options()) {
    return check_series("s1", metric, tags, p.view(), opt);
}

/// The single violation of `c`, which must have exactly one (a copy: `c` is often a temporary).
violation only(const series_check& c) {
    EXPECT_EQ(c.violations.size(), 1U);
    if (c.violations.empty()) throw std::runtime_error("no violation");
    return c.violations.front();
}

std::string fmt(double v) {
    char buf[max_value_chars];
    return {buf, format_value(v, buf)};
}

/// A fresh directory under /tmp, removed at the end of the test.
class temp_dir {
public:
    temp_dir() {
        char templ[] = "/tmp/tsbatch-export-test-XXXXXX";
        if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = templ;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (const auto& e : std::filesystem::directory_iterator(path_)) names.push_back(e.path().filename().string());
        return names;
    }

private:
    std::filesystem::path path_;
};

/// The decompressed content of a gzip file, read with zlib's gzread (independent of the
/// deflate stream code under test).
std::string gunzip_file(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr) throw std::runtime_error("gzopen failed: " + path);
    std::string text;
    char buf[65536];
    int n = 0;
    while ((n = gzread(f, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
    int err = Z_OK;
    const char* msg = gzerror(f, &err);
    const bool ok = n == 0 && (err == Z_OK || err == Z_STREAM_END);
    gzclose(f);
    if (!ok) throw std::runtime_error(std::string("gzread failed: ") + msg);
    return text;
}

/// The first `n` bytes of a file, as they are on disk.
std::string read_head(const std::string& path, std::size_t n) {
    std::string bytes(n, '\0');
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) throw std::runtime_error("cannot open " + path);
    bytes.resize(std::fread(bytes.data(), 1, n, f));
    std::fclose(f);
    return bytes;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Rules

TEST(StorageRules, GoodSeriesPassesAndCountsNaN) {
    const points p{{t2023, t2023 + 250, t2023 + 1000}, {1.0, nan_v, -2.5}};
    const auto c = check("gw.level", "site=BH01,unit=m", p);
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(c.nan_points, 1U);
    EXPECT_EQ(c.writable_points, 2U);
}

TEST(StorageRules, UnicodeLettersAndAllAllowedCharactersPass) {
    const points p{{t2023}, {1.0}};
    EXPECT_TRUE(check("température.Wasserstand-a_b/c", "Ort=Zürich", p).ok());
}

TEST(StorageRules, MetricWithSpace) {
    const points p{{t2023, t2023 + 1}, {1.0, 2.0}};
    const auto c = check("gw level", "site=BH01", p);
    const auto& v = only(c);
    EXPECT_EQ(v.broken, rule::metric_name);
    EXPECT_EQ(v.series_id, "s1");
    EXPECT_EQ(v.points, 0U);
    EXPECT_NE(v.detail.find("'gw level'"), std::string::npos) << v.detail;
    EXPECT_NE(v.detail.find("' ' (U+0020) at byte 3"), std::string::npos) << v.detail;
    EXPECT_EQ(v.to_string().rfind("series s1: ", 0), 0U) << v.to_string();
    EXPECT_EQ(c.writable_points, 0U);
}

TEST(StorageRules, RefusedSymbolInMetric) {
    const points p{{t2023}, {1.0}};
    const auto& v = only(check("temp°C", "site=a", p));
    EXPECT_EQ(v.broken, rule::metric_name);
    EXPECT_NE(v.detail.find("U+00B0"), std::string::npos) << v.detail;
}

TEST(StorageRules, EmptyMetric) {
    const points p{{t2023}, {1.0}};
    const auto& v = only(check("", "site=a", p));
    EXPECT_EQ(v.broken, rule::metric_name);
    EXPECT_NE(v.detail.find("empty"), std::string::npos) << v.detail;
}

TEST(StorageRules, TagValueWithSpaceAndEmptyTagValue) {
    const points p{{t2023}, {1.0}};
    const auto& v = only(check("gw.level", "site=BH 01", p));
    EXPECT_EQ(v.broken, rule::tag_value_name);
    EXPECT_EQ(v.to_string(),
              "series s1: tag value 'BH 01' of key 'site' has a character OpenTSDB refuses: ' ' (U+0020) at byte 3");

    const auto& e = only(check("gw.level", "site=", p));
    EXPECT_EQ(e.broken, rule::tag_value_name);
    EXPECT_EQ(e.detail, "tag value of key 'site' is empty");
}

TEST(StorageRules, TagKeyRuleReportedOnceWithCount) {
    const points p{{t2023}, {1.0}};
    const auto& v = only(check("m", "a b=1,c d=2,e f=3,ok=4", p));
    EXPECT_EQ(v.broken, rule::tag_key_name);
    EXPECT_NE(v.detail.find("'a b'"), std::string::npos) << v.detail;
    EXPECT_NE(v.detail.find("(and 2 more tag keys)"), std::string::npos) << v.detail;
}

TEST(StorageRules, NoTags) {
    const points p{{t2023}, {1.0}};
    const auto& v = only(check("gw.level", "", p));
    EXPECT_EQ(v.broken, rule::no_tags);
}

TEST(StorageRules, NineTagsAreTooMany) {
    const points p{{t2023}, {1.0}};
    const std::string nine = "a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9";
    const auto& v = only(check("gw.level", nine, p));
    EXPECT_EQ(v.broken, rule::too_many_tags);
    EXPECT_NE(v.detail.find("9 tags"), std::string::npos) << v.detail;
    EXPECT_NE(v.detail.find("at most 8"), std::string::npos) << v.detail;

    EXPECT_TRUE(check("gw.level", "a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8", p).ok());
    check_options nine_allowed;
    nine_allowed.max_tags = 9;
    EXPECT_TRUE(check("gw.level", nine, p, nine_allowed).ok());
}

TEST(StorageRules, TimeOf1000MsIsTooEarlyAsMs) {
    const points p{{1000, 2000, 4'294'967'295, 4'294'967'296}, {1.0, 2.0, 3.0, 4.0}};
    const auto& v = only(check("m", "k=v", p));
    EXPECT_EQ(v.broken, rule::time_too_early);
    EXPECT_EQ(v.points, 3U);
    EXPECT_NE(v.detail.find("1970-01-01T00:00:01.000Z (1000 ms)"), std::string::npos) << v.detail;
    EXPECT_NE(v.detail.find("3 points"), std::string::npos) << v.detail;
}

// The hint to use whole seconds is given only for the points they would help: those from
// 1970-01-01T00:00:01Z on.
TEST(StorageRules, WholeSecondsHintOnlyWhereItHelps) {
    const std::string hint = "whole-second timestamps can write";
    const auto& helped = only(check("m", "k=v", points{{1000, 2000}, {1.0, 2.0}}));
    EXPECT_NE(helped.detail.find(hint + " them)"), std::string::npos) << helped.detail;
    const auto& before_1970 = only(check("m", "k=v", points{{-5000, 999}, {1.0, 2.0}}));
    EXPECT_EQ(before_1970.broken, rule::time_too_early);
    EXPECT_EQ(before_1970.detail.find(hint), std::string::npos) << before_1970.detail;
    const auto& some = only(check("m", "k=v", points{{-5000, 1000, 60000}, {1.0, 2.0, 3.0}}));
    EXPECT_NE(some.detail.find(hint + " 2 of them)"), std::string::npos) << some.detail;
}

TEST(StorageRules, WholeSecondsStartAtOneSecond) {
    const points ok{{1000, 2000}, {1.0, 2.0}};
    EXPECT_TRUE(check("m", "k=v", ok, seconds_options()).ok());
    const points early{{-1, 999, 1000}, {1.0, 2.0, 3.0}};
    const auto& v = only(check("m", "k=v", early, seconds_options()));
    EXPECT_EQ(v.broken, rule::time_too_early);
    EXPECT_EQ(v.points, 2U);
    EXPECT_NE(v.detail.find("1969-12-31T23:59:59.999Z (-1 ms)"), std::string::npos) << v.detail;
}

TEST(StorageRules, ThirteenDigitOverflowIsTooLate) {
    const points p{{9'999'999'999'999, 10'000'000'000'000}, {1.0, 2.0}};
    const auto& v = only(check("m", "k=v", p));
    EXPECT_EQ(v.broken, rule::time_too_late);
    EXPECT_EQ(v.points, 1U);
    EXPECT_NE(v.detail.find("(10000000000000 ms)"), std::string::npos) << v.detail;
}

TEST(StorageRules, WholeSecondsAfter2106AreTooLate) {
    // 4294967296 s would be read as ms by OpenTSDB.
    const points p{{4'294'967'295'999, 4'294'967'296'000}, {1.0, 2.0}};
    const auto& v = only(check("m", "k=v", p, seconds_options()));
    EXPECT_EQ(v.broken, rule::time_too_late);
    EXPECT_EQ(v.points, 1U);
}

TEST(StorageRules, WholeSecondsCollision) {
    const points p{{t2023, t2023 + 500, t2023 + 999, t2023 + 1000, t2023 + 3000}, {1, 2, 3, 4, 5}};
    EXPECT_TRUE(check("m", "k=v", p).ok());
    const auto c = check("m", "k=v", p, seconds_options());
    const auto& v = only(c);
    EXPECT_EQ(v.broken, rule::seconds_collide);
    EXPECT_EQ(v.points, 2U);
    EXPECT_NE(v.detail.find("2023-11-14T22:13:20.500Z"), std::string::npos) << v.detail;
    EXPECT_EQ(c.writable_points, 0U);
}

TEST(StorageRules, NaNPointsNeitherCollideNorBreakTimeRules) {
    const points p{{500, t2023, t2023 + 500, 20'000'000'000'000}, {nan_v, 1.0, nan_v, nan_v}};
    const auto c = check("m", "k=v", p, seconds_options());
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(c.nan_points, 3U);
    EXPECT_EQ(c.writable_points, 1U);
}

TEST(StorageRules, InfiniteValuesReportedOnceWithCount) {
    const points p{{t2023, t2023 + 1, t2023 + 2}, {inf_v, 1.0, -inf_v}};
    const auto c = check("m", "k=v", p);
    const auto& v = only(c);
    EXPECT_EQ(v.broken, rule::infinite_value);
    EXPECT_EQ(v.points, 2U);
    EXPECT_NE(v.detail.find("(1700000000000 ms)"), std::string::npos) << v.detail;
    EXPECT_EQ(c.writable_points, 0U);
}

TEST(StorageRules, SeveralRulesInOneSeries) {
    const points p{{1000, t2023}, {inf_v, 1.0}};
    const auto c = check("a b", "", p);
    ASSERT_EQ(c.violations.size(), 4U);
    EXPECT_EQ(c.violations[0].broken, rule::metric_name);
    EXPECT_EQ(c.violations[1].broken, rule::no_tags);
    EXPECT_EQ(c.violations[2].broken, rule::time_too_early);
    EXPECT_EQ(c.violations[3].broken, rule::infinite_value);
}

TEST(StorageRules, EveryRuleHasADescription) {
    for (rule r : {rule::metric_name, rule::tag_key_name, rule::tag_value_name, rule::no_tags, rule::too_many_tags,
                   rule::time_too_early, rule::time_too_late, rule::seconds_collide, rule::infinite_value})
        EXPECT_FALSE(describe(r).empty());
}

TEST(StorageRules, SplitTags) {
    EXPECT_TRUE(split_tags("").empty());
    const auto t = split_tags("a=1,bb=x=y,c=");
    ASSERT_EQ(t.size(), 3U);
    EXPECT_EQ(t[0].first, "a");
    EXPECT_EQ(t[0].second, "1");
    EXPECT_EQ(t[1].first, "bb");
    EXPECT_EQ(t[1].second, "x=y");
    EXPECT_EQ(t[2].first, "c");
    EXPECT_EQ(t[2].second, "");
    // A malformed canonical string must not pass the checks silently.
    const points p{{t2023}, {1.0}};
    EXPECT_FALSE(check("m", "a=1,", p).ok());
    EXPECT_FALSE(check("m", "a", p).ok());
    EXPECT_FALSE(check("m", "a=x=y", p).ok());
}

TEST(StorageRules, OpenTsdbTimestampFloorsToSeconds) {
    const time_encoding ms{false};
    const time_encoding s{true};
    EXPECT_EQ(opentsdb_timestamp(t2023 + 999, ms), t2023 + 999);
    EXPECT_EQ(opentsdb_timestamp(t2023 + 999, s), 1'700'000'000);
    EXPECT_EQ(opentsdb_timestamp(1999, s), 1);
    EXPECT_EQ(opentsdb_timestamp(0, s), 0);
    EXPECT_EQ(opentsdb_timestamp(-1, s), -1);
    EXPECT_EQ(opentsdb_timestamp(-1000, s), -1);
    EXPECT_EQ(opentsdb_timestamp(-1001, s), -2);
}

// ---------------------------------------------------------------------------------------
// format_value

TEST(StorageFormatValue, Table) {
    const std::vector<std::pair<double, std::string>> cases = {
        {0.0, "0"},
        {-0.0, "0"},
        {42.0, "42"},
        {-3.0, "-3"},
        {1e6, "1000000"},
        {1e15, "1000000000000000"},
        {9007199254740991.0, "9007199254740991"},    // 2^53 - 1
        {-9007199254740991.0, "-9007199254740991"},
        {9007199254740992.0, "9007199254740992"},    // 2^53
        {18014398509481984.0, "18014398509481984"},  // 2^54: exact int64 digits, not 1.8014398509481984e+16
        {1e16, "10000000000000000"},
        {9223372036854774784.0, "9223372036854774784"},  // the largest double below 2^63
        {9223372036854775808.0, "9.223372036854776e+18"},  // 2^63 does not fit an int64
        {-9223372036854775808.0, "-9.223372036854776e+18"},
        {1e19, "1e+19"},
        {0.1, "0.1"},
        {0.5, "0.5"},
        {-1.5, "-1.5"},
        {100.25, "100.25"},
        {123456.789, "123456.789"},
        {0.30000000000000004, "0.30000000000000004"},
        {1e-7, "1e-07"},
        {1.5e-5, "1.5e-05"},
        {1e300, "1e+300"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {5e-324, "5e-324"},
        {-2.2250738585072014e-308, "-2.2250738585072014e-308"},
    };
    for (const auto& [v, want] : cases) EXPECT_EQ(fmt(v), want) << "value " << v;
}

TEST(StorageFormatValue, NonFiniteDoesNotCrash) {
    EXPECT_EQ(fmt(nan_v), "nan");
    EXPECT_EQ(fmt(inf_v), "inf");
    EXPECT_EQ(fmt(-inf_v), "-inf");
}

TEST(StorageFormatValue, RandomDoublesRoundTripThroughStrtod) {
    std::mt19937_64 rng(20240611);
    std::uniform_int_distribution<std::int64_t> ints(-(std::int64_t{1} << 53) + 1, (std::int64_t{1} << 53) - 1);
    std::uniform_real_distribution<double> uniform(-1e6, 1e6);
    for (int i = 0; i < 200'000; ++i) {
        double v = 0;
        switch (i % 3) {
            case 0: {  // any bit pattern: every exponent, subnormals included
                const std::uint64_t bits = rng();
                std::memcpy(&v, &bits, sizeof v);
                if (!std::isfinite(v)) continue;
                break;
            }
            case 1: v = uniform(rng); break;
            default: v = static_cast<double>(ints(rng)); break;
        }
        const std::string s = fmt(v);
        ASSERT_LE(s.size(), max_value_chars);
        const double back = std::strtod(s.c_str(), nullptr);
        ASSERT_EQ(std::memcmp(&back, &v, sizeof v), 0) << s << " != " << v;
        const bool integer_text = s.find_first_of(".eE") == std::string::npos;
        // OpenTSDB reads text without . or e as an int64: exactly the integers that fit one.
        ASSERT_EQ(integer_text, v == std::trunc(v) && std::fabs(v) < 9223372036854775808.0) << s;
    }
}

// ---------------------------------------------------------------------------------------
// metric_template

TEST(StorageTemplate, Fields) {
    EXPECT_EQ(metric_template("{metric}").apply("gw.level", "hourly", "match"), "gw.level");
    EXPECT_EQ(metric_template("{metric}.{step}").apply("gw.level", "hourly", ""), "gw.level.hourly");
    EXPECT_EQ(metric_template("{metric}.{step}.{output}").apply("gw.level", "cut", "match"), "gw.level.cut.match");
    EXPECT_EQ(metric_template("tsb/{step}-{metric}").apply("gw", "z", ""), "tsb/z-gw");
    EXPECT_EQ(metric_template("fixed").apply("gw", "z", ""), "fixed");
    EXPECT_EQ(metric_template("{metric}{metric}").apply("a", "", ""), "aa");
}

TEST(StorageTemplate, EscapedBraces) {
    EXPECT_EQ(metric_template("{{{metric}}}").apply("m", "", ""), "{m}");
    EXPECT_EQ(metric_template("a}}b{{c").apply("m", "", ""), "a}b{c");
    EXPECT_EQ(metric_template("{{metric}}").apply("m", "", ""), "{metric}");
}

TEST(StorageTemplate, SeparatorBeforeEmptyFieldIsDropped) {
    const metric_template t("{metric}.{step}");
    EXPECT_EQ(t.apply("gw.level", "", ""), "gw.level");
    const metric_template t3("{metric}.{step}.{output}");
    EXPECT_EQ(t3.apply("m", "s", ""), "m.s");
    EXPECT_EQ(t3.apply("m", "", "o"), "m.o");
    EXPECT_EQ(t3.apply("m", "", ""), "m");
    EXPECT_EQ(metric_template("{metric}_{step}-x").apply("m", "", ""), "m-x");
    EXPECT_EQ(metric_template("{metric}/{output}").apply("m", "", ""), "m");
    // Only template text is dropped, never a character of a field's value.
    EXPECT_EQ(metric_template("{metric}{step}").apply("m.", "", ""), "m.");
    // Not a separator: kept.
    EXPECT_EQ(metric_template("{metric}x{step}").apply("m", "", ""), "mx");
}

TEST(StorageTemplate, SeparatorAfterLeadingEmptyFieldIsDropped) {
    EXPECT_EQ(metric_template("{step}_{metric}").apply("m", "", ""), "m");
    EXPECT_EQ(metric_template("{step}.{output}.{metric}").apply("m", "", ""), "m");
    EXPECT_EQ(metric_template("{step}.{output}.{metric}").apply("m", "", "o"), "o.m");
    EXPECT_EQ(metric_template("{step}_{metric}").apply("m", "s", ""), "s_m");
}

TEST(StorageTemplate, BadTemplatesAreUsageErrorsNamingTheTemplate) {
    for (const std::string bad : {"{metric}.{stpe}", "{metric", "metric}", "{}", "{met{ric}", "{metric}}", ""}) {
        try {
            metric_template t(bad);
            ADD_FAILURE() << "accepted " << bad;
        } catch (const usage_error& e) {
            EXPECT_NE(std::string(e.what()).find("\"" + bad + "\""), std::string::npos) << e.what();
        }
    }
    try {
        metric_template t("{metric}.{stpe}");
    } catch (const usage_error& e) {
        EXPECT_NE(std::string(e.what()).find("unknown field {stpe}"), std::string::npos) << e.what();
    }
}

// ---------------------------------------------------------------------------------------
// `tsdb import` lines

TEST(StorageImportLines, HandWrittenLines) {
    const points p{{t2023, t2023 + 250, t2023 + 1000, t2023 + 2500}, {42.0, nan_v, -1.5, 0.125}};
    std::string out = "previous\n";
    const auto n = append_import_lines(out, "gw.level", "site=BH01,unit=m", p.view(), {});
    EXPECT_EQ(n, 3U);
    EXPECT_EQ(out,
              "previous\n"
              "gw.level 1700000000000 42 site=BH01 unit=m\n"
              "gw.level 1700000001000 -1.5 site=BH01 unit=m\n"
              "gw.level 1700000002500 0.125 site=BH01 unit=m\n");
}

TEST(StorageImportLines, WholeSeconds) {
    const points p{{t2023 + 999, t2023 + 1000, 1500}, {1e-7, 1e6, 2.5}};
    std::string out;
    EXPECT_EQ(append_import_lines(out, "m", "k=v", p.view(), time_encoding{true}), 3U);
    EXPECT_EQ(out,
              "m 1700000000 1e-07 k=v\n"
              "m 1700000001 1000000 k=v\n"
              "m 1 2.5 k=v\n");
}

TEST(StorageImportLines, AllNaNAndEmptySeriesWriteNothing) {
    const points nan_only{{t2023, t2023 + 1}, {nan_v, nan_v}};
    const points empty;
    std::string out;
    EXPECT_EQ(append_import_lines(out, "m", "k=v", nan_only.view(), {}), 0U);
    EXPECT_EQ(append_import_lines(out, "m", "k=v", empty.view(), {}), 0U);
    EXPECT_EQ(out, "");
}

TEST(StorageImportLines, LongSeriesAcrossBlocksMatchesSimpleFormatting) {
    points p;
    std::string want;
    std::uint64_t want_lines = 0;
    for (std::int64_t i = 0; i < 20'000; ++i) {
        const std::int64_t t = t2023 + i * 1000;
        const double v = i % 7 == 3 ? nan_v : static_cast<double>(i - 5000);
        p.time.push_back(t);
        p.value.push_back(v);
        if (std::isnan(v)) continue;
        want += "a.b " + std::to_string(t) + " " + std::to_string(i - 5000) + " host=h1 rack=r2\n";
        ++want_lines;
    }
    std::string out;
    EXPECT_EQ(append_import_lines(out, "a.b", "host=h1,rack=r2", p.view(), {}), want_lines);
    EXPECT_EQ(out, want);
}

// ---------------------------------------------------------------------------------------
// CSV

TEST(StorageCsvExport, HeaderQuotesOnlyWhenNeeded) {
    EXPECT_EQ(csv_header({}), "time,value,metric\n");
    EXPECT_EQ(csv_header({"site", "unit"}), "time,value,metric,site,unit\n");
    EXPECT_EQ(csv_header({"a\"b", "c d"}), "time,value,metric,\"a\"\"b\",c d\n");
}

TEST(StorageCsvExport, RowsWithNaNMissingTagsAndQuoting) {
    const std::vector<std::string> keys = {"site", "unit"};
    const points p{{t2023, t2023 + 250, -1}, {42.0, nan_v, 0.1}};
    std::string out = csv_header(keys);
    EXPECT_EQ(append_csv_rows(out, "gw,level", "site=B\"H", p.view(), keys), 3U);
    EXPECT_EQ(out,
              "time,value,metric,site,unit\n"
              "2023-11-14T22:13:20.000Z,42,\"gw,level\",\"B\"\"H\",\n"
              "2023-11-14T22:13:20.250Z,,\"gw,level\",\"B\"\"H\",\n"
              "1969-12-31T23:59:59.999Z,0.1,\"gw,level\",\"B\"\"H\",\n");
}

TEST(StorageCsvExport, TagKeysInHeaderOrder) {
    const std::vector<std::string> keys = {"a", "b", "c"};
    const points p{{t2023}, {-3.0}};
    std::string out;
    EXPECT_EQ(append_csv_rows(out, "m", "a=1,c=3", p.view(), keys), 1U);
    EXPECT_EQ(out, "2023-11-14T22:13:20.000Z,-3,m,1,,3\n");
}

TEST(StorageTableCsv, TimestampColumnsGetAnIsoAndAnMsColumn) {
    const std::vector<column_spec> cols = {{"series_index", column_type::int64, "", ""},
                                           {"id", column_type::string, "", ""},
                                           {"start", column_type::int64, unit_epoch_ms, ""},
                                           {"gap", column_type::int64, unit_ms, ""},
                                           {"mean", column_type::float64, "", ""},
                                           {"a,b", column_type::float64, "", ""}};
    EXPECT_EQ(table_csv_header(cols), "series_index,id,start,start_ms,gap,mean,\"a,b\"\n");
}

TEST(StorageTableCsv, RowsWithNaNInfinitiesQuotesAndTimestamps) {
    const std::vector<column_spec> cols = {{"id", column_type::string, "", ""},
                                           {"at", column_type::int64, unit_epoch_ms, ""},
                                           {"n", column_type::int64, "", ""},
                                           {"x", column_type::float64, "", ""}};
    table_batch t(cols);
    t.columns[0].strings = {"gw.level{site=A}", "say \"hi\"", "line\nbreak", ""};
    t.columns[1].ints = {t2023, -1, 0, t2023 + 5};
    t.columns[2].ints = {std::numeric_limits<std::int64_t>::min(), 0, 7, -3};
    t.columns[3].floats = {0.1, nan_v, inf_v, -inf_v};
    std::string out;
    append_table_csv_rows(out, t);
    EXPECT_EQ(out,
              "gw.level{site=A},2023-11-14T22:13:20.000Z,1700000000000,-9223372036854775808,0.1\n"
              "\"say \"\"hi\"\"\",1969-12-31T23:59:59.999Z,-1,0,\n"
              "\"line\nbreak\",1970-01-01T00:00:00.000Z,0,7,inf\n"
              ",2023-11-14T22:13:20.005Z,1700000000005,-3,-inf\n");
}

TEST(StorageTableCsv, EmptyTableWritesNoRows) {
    table_batch t({{"x", column_type::float64, "", ""}});
    std::string out;
    append_table_csv_rows(out, t);
    EXPECT_EQ(out, "");
}

TEST(StorageMatrixCsv, LabelsFirstThenValuesThatReadBackExactly) {
    EXPECT_EQ(matrix_csv_header("series\\series", {"a", "b,c"}), "series\\series,a,\"b,c\"\n");
    std::string out;
    const std::vector<double> row = {1.0, nan_v, 0.30000000000000004, -2.5e-300, -0.0};
    append_matrix_csv_row(out, "gw{site=A,x=1}", row);
    EXPECT_EQ(out, "\"gw{site=A,x=1}\",1,,0.30000000000000004,-2.5e-300,-0\n");
    for (const char* text : {"0.30000000000000004", "-2.5e-300"}) EXPECT_NE(out.find(text), std::string::npos);
    EXPECT_EQ(std::strtod("0.30000000000000004", nullptr), row[2]);
}

// ---------------------------------------------------------------------------------------
// export_file

TEST(StorageExportFile, RoundTripThroughGzread) {
    temp_dir dir;
    const std::string path = dir.file("rank-0.txt.gz");
    std::string want;
    std::mt19937_64 rng(7);
    {
        export_file f(path);
        // Small writes, then one bigger than the 1 MiB block, then small ones again.
        for (int i = 0; i < 1000; ++i) {
            const std::string line = "gw.level " + std::to_string(t2023 + i) + " " + std::to_string(rng() % 1000) +
                                     " site=BH01\n";
            f.write(line);
            want += line;
        }
        std::string big(3 * (1 << 20) + 12345, '\0');
        for (auto& c : big) c = static_cast<char>('a' + rng() % 26);
        f.write(big);
        want += big;
        f.write("");
        f.write("tail\n");
        want += "tail\n";
        EXPECT_EQ(f.bytes_in(), want.size());
        f.commit();
    }
    EXPECT_EQ(gunzip_file(path), want);
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"rank-0.txt.gz"});
    // RFC 1952 magic, as `tsdb import` (GZIPInputStream) expects.
    const std::string raw = read_head(path, 2);
    ASSERT_EQ(raw.size(), 2U);
    EXPECT_EQ(static_cast<unsigned char>(raw[0]), 0x1FU);
    EXPECT_EQ(static_cast<unsigned char>(raw[1]), 0x8BU);
}

TEST(StorageExportFile, EmptyFileIsAValidGzip) {
    temp_dir dir;
    const std::string path = dir.file("empty.gz");
    {
        export_file f(path, 9);
        f.commit();
    }
    EXPECT_EQ(gunzip_file(path), "");
}

TEST(StorageExportFile, DestroyedWithoutCommitLeavesNoFile) {
    temp_dir dir;
    const std::string path = dir.file("out.gz");
    {
        export_file f(path);
        f.write("some data\n");
        EXPECT_EQ(dir.entries().size(), 1U);  // the temporary file exists meanwhile
    }
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_TRUE(dir.entries().empty());
}

TEST(StorageExportFile, UncommittedReplacementKeepsTheOldFile) {
    temp_dir dir;
    const std::string path = dir.file("out.gz");
    {
        export_file f(path);
        f.write("first\n");
        f.commit();
    }
    {
        export_file f(path);
        f.write("second\n");
    }
    EXPECT_EQ(gunzip_file(path), "first\n");
    {
        export_file f(path);
        f.write("third\n");
        f.commit();
    }
    EXPECT_EQ(gunzip_file(path), "third\n");
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.gz"});
}

TEST(StorageExportFile, UnwritableDirectoryThrowsOutputErrorNamingThePath) {
    temp_dir dir;
    // A missing directory, and a "directory" that is a regular file: unwritable even as root.
    const std::string missing = dir.file("no-such-dir") + "/out.gz";
    const std::string blocker = dir.file("plain-file");
    { std::ofstream(blocker) << "x"; }
    for (const std::string& path : {missing, blocker + "/out.gz"}) {
        try {
            export_file f(path);
            ADD_FAILURE() << "opened " << path;
        } catch (const output_error& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find(path), std::string::npos) << what;
            EXPECT_TRUE(what.find("No such file or directory") != std::string::npos ||
                        what.find("Not a directory") != std::string::npos)
                << what;
        }
    }
}

TEST(StorageExportFile, FailedRenameThrowsAndCleansUp) {
    temp_dir dir;
    // The target is a non-empty directory: rename(2) cannot replace it.
    const std::string path = dir.file("taken");
    std::filesystem::create_directory(path);
    { std::ofstream(path + "/inside") << "x"; }
    {
        export_file f(path);
        f.write("data\n");
        try {
            f.commit();
            ADD_FAILURE() << "commit over a directory succeeded";
        } catch (const output_error& e) {
            EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        }
        EXPECT_THROW(f.write("more"), output_error);
    }
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"taken"});
}

TEST(StorageExportFile, RemovesWhatAWriterKilledOnThisHostLeftBehind) {
    temp_dir dir;
    const std::string path = dir.file("part-00000.csv.gz");
    const std::string mine = temp_path_for(path);
    const pid_t killed = tsbatch::testing::ended_process_pid();
    ASSERT_GT(killed, 0);
    std::ofstream(mine.substr(0, mine.rfind('.') + 1) + std::to_string(killed)) << "half";
    {
        export_file f(path);
        f.write("a,b\n");
        f.commit();
    }
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"part-00000.csv.gz"});
}

TEST(StorageExportFile, BadLevelIsAUsageError) {
    temp_dir dir;
    EXPECT_THROW(export_file(dir.file("x.gz"), 10), usage_error);
    EXPECT_TRUE(dir.entries().empty());
}

TEST(StorageExportFile, PlainFileIsWrittenAsItIsAndOnlyOnCommit) {
    temp_dir dir;
    const std::string path = dir.file("q.csv");
    std::string want;
    {
        export_file f(path, export_file::plain);
        for (int i = 0; i < 100000; ++i) {  // past the 1 MiB block
            const std::string line = std::to_string(i) + ",x\n";
            f.write(line);
            want += line;
        }
        EXPECT_FALSE(std::filesystem::exists(path));
        f.commit();
    }
    std::ifstream in(path, std::ios::binary);
    const std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(got, want);
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"q.csv"});
    {
        export_file f(dir.file("gone.csv"), export_file::plain);
        f.write("partial\n");
    }
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"q.csv"});
}
