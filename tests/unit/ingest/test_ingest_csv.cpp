// The CSV reader and what it stands on: byte sources (plain, gzip, memory), lines, time and
// value fields, time zones. Expected values are worked out by hand (times: see the comments;
// zone conversions were checked with Python's zoneinfo on the same TZif files).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"
#include "text/byte_source.hpp"
#include "ingest/csv_reader.hpp"
#include "ingest/line_reader.hpp"
#include "ingest/time_field.hpp"
#include "ingest/time_zone.hpp"
#include "ingest/value_field.hpp"
#include "fixtures_dir.hpp"

using namespace tsbatch;
using namespace tsbatch::ingest;
using namespace tsbatch::text;

namespace {

constexpr std::int64_t t2015 = 1'420'070'400'000;  // 2015-01-01T00:00:00Z

std::string gzip(std::string_view text, int level = 6) {
    z_stream zs{};
    EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&zs, text.size()) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    zs.avail_in = static_cast<uInt>(text.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

std::string format_value(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return std::isnan(v) ? "nan" : buf;
}

// What a parse produced: "id time value" per record, and the reports as text.
struct parsed {
    std::vector<std::string> records;
    std::vector<std::string> reports;
    std::vector<diagnostic_kind> kinds;
};

parsed run_csv(std::string_view text, const csv_options& o, name_mode mode = name_mode::check,
               std::size_t block = default_block_size) {
    parsed p;
    callback_sink sink([&](const series_key& k, std::int64_t t, double v) {
        p.records.push_back(k.id() + " " + std::to_string(t) + " " + format_value(v));
    });
    parse_context ctx(
        [&](const diagnostic& d) {
            p.reports.push_back(d.to_string());
            p.kinds.push_back(d.kind);
        },
        mode);
    auto src = open_memory("in.csv", text, block);
    read_csv(*src, o, sink, ctx);
    return p;
}

csv_options long_opts() {
    csv_options o;
    o.metric_column = "metric";
    o.tag_columns = {parse_tag_column("site")};
    return o;
}

std::string rec(const std::string& id, std::int64_t t, double v) {
    return id + " " + std::to_string(t) + " " + format_value(v);
}

std::vector<std::string> all_lines(std::string_view text, std::size_t block, std::size_t max_line = 1 << 20) {
    auto src = open_memory("mem", text, block);
    line_reader lines(*src, max_line);
    std::vector<std::string> out;
    line l;
    while (lines.next(l)) out.push_back(std::to_string(l.number) + (l.too_long ? "!" : ":") + std::string(l.text));
    return out;
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

// ---- byte sources and lines ------------------------------------------------------------

TEST(ingest_lines, line_ends_bom_and_block_boundaries) {
    const std::string text = "\xEF\xBB\xBFtime,value\r\n\r\nab\ncd\r\n\nlast";
    const std::vector<std::string> want = {"1:time,value", "2:", "3:ab", "4:cd", "5:", "6:last"};
    for (std::size_t block : {1, 2, 3, 5, 7, 64, 1 << 20}) EXPECT_EQ(all_lines(text, block), want) << block;
    EXPECT_TRUE(all_lines("", 4).empty());
    EXPECT_EQ(all_lines("x\n", 4), std::vector<std::string>{"1:x"});
    EXPECT_EQ(all_lines("\n", 4), std::vector<std::string>{"1:"});
}

TEST(ingest_lines, a_too_long_line_is_cut_and_flagged_once) {
    for (std::size_t block : {1, 4, 100}) {
        const auto got = all_lines("short\n0123456789abc\nok", block, 8);
        EXPECT_EQ(got, (std::vector<std::string>{"1:short", "2!01234567", "3:ok"})) << block;
    }
    auto src = open_memory("mem", "0123456789\n", 4);
    line_reader lines(*src, 8);
    line l;
    ASSERT_TRUE(lines.next(l));
    EXPECT_TRUE(l.too_long);
    EXPECT_EQ(l.length, 10U);
}

TEST(ingest_gzip, inflates_in_any_block_size_and_multi_member) {
    std::string big;
    for (int i = 0; i < 5000; ++i) big += "line " + std::to_string(i) + "\n";
    const std::string gz = gzip(big);
    for (std::size_t block : {1, 3, 1000, 1 << 20}) {
        auto lines = all_lines(gz, block);
        ASSERT_EQ(lines.size(), 5000U) << block;
        EXPECT_EQ(lines[4999], "5000:line 4999");
    }
    const std::string two = gzip("a\nb\n") + gzip("c\n") + gzip("");
    EXPECT_EQ(all_lines(two, 5), (std::vector<std::string>{"1:a", "2:b", "3:c"}));
}

TEST(ingest_gzip, truncated_corrupt_and_trailing_data_are_errors) {
    std::string big;
    for (int i = 0; i < 20000; ++i) big += std::to_string(i * 7919 % 10007) + "\n";
    const std::string gz = gzip(big);
    const std::string truncated = gz.substr(0, gz.size() / 2);
    const std::string msg = error_of([&] { all_lines(truncated, 4096); });
    EXPECT_NE(msg.find("mem: truncated gzip data (the input ends inside a gzip member) at compressed byte " +
                       std::to_string(truncated.size()) + ", after line "),
              std::string::npos)
        << msg;
    // The line reached is the last whole line handed out before the error.
    EXPECT_THROW(all_lines(gz.substr(0, gz.size() - 4), 1 << 20), input_error);  // CRC-32 ok, size missing

    std::string corrupt = gz;
    corrupt[corrupt.size() / 2] ^= 0x55;
    corrupt[corrupt.size() / 2 + 1] ^= 0x55;
    const std::string cmsg = error_of([&] { all_lines(corrupt, 4096); });
    EXPECT_NE(cmsg.find("mem: corrupt gzip data ("), std::string::npos) << cmsg;
    EXPECT_NE(cmsg.find("at compressed byte"), std::string::npos) << cmsg;

    const std::string trailing = gzip("a\n") + "garbage";
    EXPECT_EQ(error_of([&] { all_lines(trailing, 1 << 20); }),
              "mem: unexpected data after the end of a gzip member at compressed byte " +
                  std::to_string(trailing.size() - 7) + ", after line 1");
}

TEST(ingest_files, reads_plain_and_gzip_files_and_names_missing_ones) {
    const auto dir = std::filesystem::temp_directory_path() / ("tsbatch_ingest_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string plain = (dir / "a.txt").string(), gz = (dir / "a.txt.gz").string();
    std::ofstream(plain, std::ios::binary) << "x\ny\n";
    std::ofstream(gz, std::ios::binary) << gzip("x\ny\n");
    for (const std::string& path : {plain, gz}) {
        auto src = open_file(path, 3);
        EXPECT_EQ(src->name(), path);
        line_reader lines(*src);
        line l;
        std::string all;
        while (lines.next(l)) all += std::string(l.text) + ";";
        EXPECT_EQ(all, "x;y;") << path;
    }
    EXPECT_EQ(error_of([&] { open_file((dir / "missing.csv").string()); }),
              (dir / "missing.csv").string() + ": cannot open: No such file or directory");
    EXPECT_EQ(error_of([&] { open_file(dir.string()); }), dir.string() + ": is a directory, not a file");
    std::filesystem::remove_all(dir);
}

// ---- time fields ---------------------------------------------------------------------

TEST(ingest_time, iso_fields_agree_with_core_parse_iso8601) {
    for (const char* s :
         {"2015-01-01", "2015-01-01T12:00", "2015-01-01 12:00:30", "2015-01-01T12:00:00.250", "2015-01-01T12:00:00,5",
          "2015-01-01T12:00:00.123456789", "2015-01-01T00:00:00Z", "2015-01-01T01:00:00+01:00",
          "2015-01-01T01:00:00+0100", "2015-01-01T01:00:00+01", "2014-12-31T19:00:00-05:00", "1969-12-31T23:59:59.999Z",
          "1900-02-28T23:00", "2016-02-29T24:00", "2015-06-30T23:59:60Z", "0001-01-01", "9999-12-31T23:59:59.999"}) {
        std::int64_t ms = 0;
        bool zone = false;
        ASSERT_EQ(parse_iso8601_fields(s, ms, zone), nullptr) << s;
        EXPECT_EQ(ms, parse_iso8601(s)) << s;
    }
    for (const char* s : {"2015-13-01", "2015-02-29", "2015/01/01", "20150101", "2015-01-01T25:00",
                          "2015-01-01T00:00:00Q", "2015-01-01T", "2015-01-01T12", "2015-01-01T12:00:00.",
                          "2015-01-01T12:00+1", "2015-01-01T24:00:01", "2015-1-01", "2015-01-01T12:00:00Z junk"}) {
        std::int64_t ms = 0;
        bool zone = false;
        EXPECT_NE(parse_iso8601_fields(s, ms, zone), nullptr) << s;
        EXPECT_THROW(parse_iso8601(s), parse_error) << s;
    }
}

TEST(ingest_time, lower_case_t_and_z_are_accepted_an_offset_without_minutes_is_not) {
    std::int64_t ms = 0;
    bool zone = false;
    EXPECT_NE(parse_iso8601_fields("2015-01-01T12:00+01:", ms, zone), nullptr);  // core reads it as +01:00
    ASSERT_EQ(parse_iso8601_fields("2015-01-01t00:00:00z", ms, zone), nullptr);
    EXPECT_EQ(ms, t2015);
    EXPECT_TRUE(zone);
}

TEST(ingest_time, epoch_seconds_and_ms_are_exact) {
    std::int64_t ms = 0;
    auto s = [&](const char* text) {
        ms = -42;
        const char* e = parse_epoch(text, 1000, ms);
        return e == nullptr ? std::to_string(ms) : std::string("error: ") + e;
    };
    EXPECT_EQ(s("1420070400"), "1420070400000");
    EXPECT_EQ(s("1420070400.5"), "1420070400500");
    EXPECT_EQ(s("1420070400.1239"), "1420070400123");  // below 1 ms: floor
    EXPECT_EQ(s("0.001"), "1");
    EXPECT_EQ(s("-1.5"), "-1500");
    EXPECT_EQ(s("-0.0001"), "-1");  // floor, towards the past
    EXPECT_EQ(s("+10"), "10000");
    EXPECT_EQ(s("1.4200704e9"), "1420070400000");
    EXPECT_EQ(s("14200704005E-1"), "1420070400500");
    EXPECT_EQ(s("00001"), "1000");
    EXPECT_EQ(s("4611686018427387.904"), "4611686018427387904");  // exactly 2^62 ms
    EXPECT_EQ(s("4611686018427387.905"), "error: timestamp out of range (beyond ±2^62 ms)");
    EXPECT_EQ(s("1e300"), "error: timestamp out of range (beyond ±2^62 ms)");
    for (const char* bad : {"", "-", ".", "1.2.3", "12a", "1e", "0x10", " 1", "nan"})
        EXPECT_EQ(s(bad), "error: not a number of seconds or milliseconds") << bad;
    ASSERT_EQ(parse_epoch("1420070400123", 1, ms), nullptr);
    EXPECT_EQ(ms, 1'420'070'400'123);
}

TEST(ingest_time, auto_detects_iso_seconds_and_milliseconds) {
    time_parser p(time_format::auto_detect, time_zone());
    std::int64_t ms = 0;
    ASSERT_EQ(p.parse("2015-01-01T00:00:00Z", ms), nullptr);
    EXPECT_EQ(ms, t2015);
    ASSERT_EQ(p.parse("1420070400", ms), nullptr);
    EXPECT_EQ(ms, t2015);
    ASSERT_EQ(p.parse("4294967295", ms), nullptr);  // below 2^32: seconds
    EXPECT_EQ(ms, 4'294'967'295'000);
    ASSERT_EQ(p.parse("4294967296", ms), nullptr);  // from 2^32: milliseconds
    EXPECT_EQ(ms, 4'294'967'296);
    ASSERT_EQ(p.parse("1420070400000", ms), nullptr);
    EXPECT_EQ(ms, t2015);
    ASSERT_EQ(p.parse("1420070400.25", ms), nullptr);
    EXPECT_EQ(ms, t2015 + 250);
    EXPECT_STREQ(p.parse("", ms), "empty timestamp");
    EXPECT_STREQ(p.parse("yesterday", ms), "not a number of seconds or milliseconds");
    time_parser iso(time_format::iso8601, time_zone());
    EXPECT_STREQ(iso.parse("1420070400", ms), "not an ISO 8601 timestamp (e.g. 2015-01-01T12:00:00Z)");
    EXPECT_EQ(time_format_from_name("epoch_ms"), time_format::epoch_ms);
    EXPECT_EQ(time_format_from_name("s"), time_format::epoch_s);
    EXPECT_EQ(time_format_from_name("iso"), time_format::iso8601);
    EXPECT_EQ(time_format_from_name("auto"), time_format::auto_detect);
    EXPECT_FALSE(time_format_from_name("unix"));
}

// ---- time zones ------------------------------------------------------------------------

namespace {
std::int64_t local(const time_zone& z, const char* iso, local_time_kind* kind = nullptr) {
    std::int64_t wall = 0;
    bool has_zone = false;
    EXPECT_EQ(parse_iso8601_fields(iso, wall, has_zone), nullptr) << iso;
    local_time_converter c(z);
    const auto r = c.to_utc(wall);
    if (kind != nullptr) *kind = r.kind;
    return r.utc_ms;
}
}  // namespace

TEST(ingest_time_zone, fixed_offsets_and_utc) {
    EXPECT_TRUE(time_zone().is_utc());
    EXPECT_TRUE(time_zone::from_name("UTC").is_utc());
    EXPECT_EQ(local(time_zone::from_name("+01:00"), "2015-01-01T01:00"), t2015);
    EXPECT_EQ(local(time_zone::from_name("-0530"), "2014-12-31T18:30"), t2015);
    EXPECT_EQ(local(time_zone::from_name("+01"), "2015-01-01T01:00"), t2015);
    EXPECT_EQ(time_zone::from_name("-05:30").name(), "-05:30");
    EXPECT_EQ(time_zone::fixed(90).offset_ms_at(0), 90 * 60'000);
}

TEST(ingest_time_zone, iana_zones_from_the_system_tzif_files) {
    const time_zone paris = time_zone::from_name("Europe/Paris");
    EXPECT_EQ(paris.name(), "Europe/Paris");
    local_time_kind k{};
    EXPECT_EQ(local(paris, "2015-01-15T12:00", &k), 1'421'319'600'000);  // CET, +01:00
    EXPECT_EQ(k, local_time_kind::unique);
    EXPECT_EQ(local(paris, "2015-07-15T12:00"), 1'436'954'400'000);  // CEST, +02:00
    // Spring gap: 02:30 does not exist; read with the offset before (+01:00) = 01:30Z.
    EXPECT_EQ(local(paris, "2015-03-29T02:30", &k), 1'427'592'600'000);
    EXPECT_EQ(k, local_time_kind::skipped);
    // Autumn: 02:30 happens twice; the earlier (CEST) = 00:30Z.
    EXPECT_EQ(local(paris, "2015-10-25T02:30", &k), 1'445'733'000'000);
    EXPECT_EQ(k, local_time_kind::ambiguous);
    // Beyond the table (2037): the footer's POSIX rule.
    EXPECT_EQ(local(paris, "2100-07-01T12:00"), 4'118'119'200'000);
    EXPECT_EQ(local(paris, "2100-12-01T12:00"), 4'131'342'000'000);
    // Before the first transition: local mean time (+00:09:21).
    EXPECT_EQ(local(paris, "1850-01-01"), -3'786'826'161'000);
    EXPECT_EQ(paris.offset_ms_at(1'436'954'400'000), 2 * 3'600'000);

    const time_zone ny = time_zone::from_name("America/New_York");
    EXPECT_EQ(local(ny, "2015-07-04T12:00"), 1'436'025'600'000);
    EXPECT_EQ(local(ny, "2015-03-08T02:30", &k), 1'425'799'800'000);
    EXPECT_EQ(k, local_time_kind::skipped);
    EXPECT_EQ(local(ny, "2015-11-01T01:30", &k), 1'446'355'800'000);
    EXPECT_EQ(k, local_time_kind::ambiguous);
    // Southern hemisphere (DST across the new year) and negative DST (Dublin), by rule.
    const time_zone sydney = time_zone::from_name("Australia/Sydney");
    EXPECT_EQ(local(sydney, "2100-01-01T12:00"), 4'102'448'400'000);
    EXPECT_EQ(local(sydney, "2100-07-01T12:00"), 4'118'090'400'000);
    const time_zone dublin = time_zone::from_name("Europe/Dublin");
    EXPECT_EQ(local(dublin, "2100-07-01T12:00"), 4'118'122'800'000);
    EXPECT_EQ(local(dublin, "2100-01-01T12:00"), 4'102'488'000'000);
    EXPECT_EQ(local(time_zone::from_name("Asia/Kolkata"), "1900-01-01"), -2'209'008'070'000);
}

TEST(ingest_time_zone, the_converter_cache_gives_the_same_answers) {
    const time_zone paris = time_zone::from_name("Europe/Paris");
    local_time_converter cached(paris);
    // Every 20 minutes through both 2015 changes, against a fresh converter each time.
    for (std::int64_t wall = 1'427'500'000'000; wall < 1'427'700'000'000; wall += 1'200'000) {
        local_time_converter fresh(paris);
        EXPECT_EQ(cached.to_utc(wall).utc_ms, fresh.to_utc(wall).utc_ms) << wall;
    }
    for (std::int64_t wall = 1'445'700'000'000; wall < 1'445'800'000'000; wall += 1'200'000) {
        local_time_converter fresh(paris);
        EXPECT_EQ(cached.to_utc(wall).utc_ms, fresh.to_utc(wall).utc_ms) << wall;
    }
}

TEST(ingest_time_zone, unknown_or_unsafe_names_are_usage_errors) {
    EXPECT_THROW(time_zone::from_name("Europe/Pariss"), usage_error);
    EXPECT_THROW(time_zone::from_name("../../etc/passwd"), usage_error);
    EXPECT_THROW(time_zone::from_name("/etc/passwd"), usage_error);
    EXPECT_THROW(time_zone::from_name("+25:00"), usage_error);
    EXPECT_THROW(time_zone::from_name(""), usage_error);
    EXPECT_NE(error_of([] {
                  time_zone::from_name("Europe/Pariss");
              }).find("unknown time zone 'Europe/Pariss': cannot read /usr/share/zoneinfo/Europe/Pariss"),
              std::string::npos);
    EXPECT_NE(error_of([] { time_zone::from_name("leapseconds"); }).find("is unusable: not a TZif file"),
              std::string::npos);
    EXPECT_NE(error_of([] { time_zone::from_name("right/Europe/Paris"); }).find("it counts leap seconds"),
              std::string::npos);
}

TEST(ingest_time_zone, dst_policy_error_reports_instead_of_resolving) {
    time_parser strict(time_format::auto_detect, time_zone::from_name("Europe/Paris"), dst_policy::error);
    std::int64_t ms = 0;
    EXPECT_STREQ(strict.parse("2015-03-29 02:30", ms), "local time does not exist (skipped when DST starts)");
    EXPECT_STREQ(strict.parse("2015-10-25 02:30", ms),
                 "local time occurs twice (DST ends); write it with its UTC offset");
    ASSERT_EQ(strict.parse("2015-10-25 02:30+01:00", ms), nullptr);  // an explicit zone wins
    EXPECT_EQ(ms, 1'445'736'600'000);
}

// ---- value fields ------------------------------------------------------------------------

TEST(ingest_values, numbers_markers_and_decimal_comma) {
    const value_parser p(false, {"-9999", "n/a"});
    auto v = [&](const char* text) {
        double x = 0;
        const char* e = p.parse(text, x);
        return e != nullptr ? std::string("error: ") + e : format_value(x);
    };
    EXPECT_EQ(v("1.5"), "1.5");
    EXPECT_EQ(v("+1.5"), "1.5");
    EXPECT_EQ(v("-2e3"), "-2000");
    EXPECT_EQ(v(".5"), "0.5");
    EXPECT_EQ(v("0.1"), "0.10000000000000001");
    for (const char* nan : {"", "NaN", "NA", "nan", "null", "-nan", "NAN", "-9999", "-9999.0", "-9999e0", "n/a"})
        EXPECT_EQ(v(nan), "nan") << nan;
    EXPECT_EQ(v("-9999.5"), "-9999.5");
    EXPECT_EQ(v("N/A"), "error: not a number");  // text markers are compared exactly
    EXPECT_EQ(v("1,5"), "error: not a number");
    EXPECT_EQ(v("abc"), "error: not a number");
    EXPECT_EQ(v("++1"), "error: not a number");
    EXPECT_EQ(v("inf"), "error: value is infinite");
    EXPECT_EQ(v("1e999"), "error: value is infinite");
    EXPECT_EQ(v("1e-999"), "0");

    const value_parser comma(true, {"-9999,0"});
    double x = 0;
    ASSERT_EQ(comma.parse("1,5", x), nullptr);
    EXPECT_EQ(x, 1.5);
    ASSERT_EQ(comma.parse("-0,25", x), nullptr);
    EXPECT_EQ(x, -0.25);
    ASSERT_EQ(comma.parse("2.5", x), nullptr);
    EXPECT_EQ(x, 2.5);
    ASSERT_EQ(comma.parse("-9999", x), nullptr);
    EXPECT_TRUE(std::isnan(x));
    EXPECT_STREQ(comma.parse("1.234,5", x), "number has both ',' and '.' (a thousands separator?)");
}

// ---- CSV long form -------------------------------------------------------------------------

TEST(ingest_csv_long, metric_and_tag_columns) {
    const auto p = run_csv(
        "time,metric,site,value\n"
        "2015-01-01T00:00:00Z,gw.level,BH01,1.5\n"
        "2015-01-01T01:00:00Z,gw.level,BH02,2\n"
        "1420070400,water.ph,BH01,7.25\n",
        long_opts());
    EXPECT_EQ(p.records, (std::vector<std::string>{rec("gw.level{site=BH01}", t2015, 1.5),
                                                   rec("gw.level{site=BH02}", t2015 + 3'600'000, 2),
                                                   rec("water.ph{site=BH01}", t2015, 7.25)}));
    EXPECT_TRUE(p.reports.empty());
}

TEST(ingest_csv_long, fixed_metric_renamed_tags_sorted_and_empty_tags_left_out) {
    csv_options o;
    o.metric = "gw.level";
    o.time_column = "Date";
    o.value_column = "Level (m)";
    o.tag_columns = {parse_tag_column("site=Station"), parse_tag_column("depth")};
    const auto p = run_csv(
        "Date,Station,depth,Level (m)\n"
        "2015-01-01,BH01,10,1\n"
        "2015-01-02,BH01,,2\n",
        o);
    EXPECT_EQ(p.records, (std::vector<std::string>{rec("gw.level{depth=10,site=BH01}", t2015, 1),
                                                   rec("gw.level{site=BH01}", t2015 + 86'400'000, 2)}));
    EXPECT_TRUE(p.reports.empty());
}

TEST(ingest_csv_long, separators_are_detected_or_given) {
    for (const std::string sep : {",", ";", "\t"}) {
        const std::string text =
            "time" + sep + "metric" + sep + "site" + sep + "value\n1420070400" + sep + "m" + sep + "a" + sep + "1\n";
        const auto p = run_csv(text, long_opts());
        EXPECT_EQ(p.records, std::vector<std::string>{rec("m{site=a}", t2015, 1)}) << sep;
        csv_options o = long_opts();
        o.separator = sep[0];
        EXPECT_EQ(run_csv(text, o).records, p.records);
    }
    EXPECT_EQ(error_of([] { run_csv("time value\n", long_opts()); }),
              "in.csv:1: cannot tell the separator from the header (it has no ',', ';' or tab): 'time value'; name "
              "the separator");
}

TEST(ingest_csv_long, decimal_comma_with_semicolons_and_quoted_separators) {
    csv_options o = long_opts();
    o.decimal_comma = true;
    const auto p = run_csv(
        "time;metric;site;value\n"
        "2015-01-01;gw.level;BH01;1,5\n"
        "2015-01-01;gw.level;\"BH;02\";\"-0,25\"\n"
        "\"2015-01-01\";\"gw.\"\"x\"\"\";BH01;3\n",
        o);
    EXPECT_EQ(p.records, (std::vector<std::string>{rec("gw.level{site=BH01}", t2015, 1.5),
                                                   rec("gw.level{site=BH;02}", t2015, -0.25),
                                                   rec("gw.\"x\"{site=BH01}", t2015, 3)}));
    EXPECT_EQ(p.reports,
              (std::vector<std::string>{
                  "in.csv:3:22: tag value has ';' (U+003B) at byte 3: OpenTSDB refuses it (it allows a-z A-Z 0-9 - _ "
                  ". / and Unicode letters) (text: 'BH;02')",
                  "in.csv:4:15: metric has '\"' (U+0022) at byte 4: OpenTSDB refuses it (it allows a-z A-Z 0-9 - _ . "
                  "/ and Unicode letters) (text: 'gw.\"x\"')"}));
    EXPECT_EQ(p.kinds, (std::vector<diagnostic_kind>{diagnostic_kind::invalid_name, diagnostic_kind::invalid_name}));
    // A comma-separated file cannot have a decimal comma.
    EXPECT_EQ(error_of([&] { run_csv("time,metric,site,value\n", o); }),
              "in.csv: the header is separated by ',', which a decimal comma cannot share; use ';'");
}

TEST(ingest_csv_long, crlf_bom_blank_lines_spaces_and_header_only) {
    const auto p = run_csv(
        "\xEF\xBB\xBF\r\n time , metric,site, value \r\n\r\n"
        " 1420070400 , m , a , 1 \r\n   \r\n\t\r\n1420070401,m,a,2",
        long_opts());
    EXPECT_EQ(p.records, (std::vector<std::string>{rec("m{site=a}", t2015, 1), rec("m{site=a}", t2015 + 1000, 2)}));
    EXPECT_TRUE(p.reports.empty());
    const auto header_only = run_csv("time,metric,site,value\r\n", long_opts());
    EXPECT_TRUE(header_only.records.empty());
    EXPECT_TRUE(header_only.reports.empty());
    EXPECT_EQ(error_of([] { run_csv("", long_opts()); }), "in.csv: no header line (the file is empty)");
    EXPECT_EQ(error_of([] { run_csv("\n \n", long_opts()); }), "in.csv: no header line (the file is empty)");
}

TEST(ingest_csv_long, nan_markers_and_user_sentinels) {
    csv_options o = long_opts();
    o.nan_markers = {"-9999", "---"};
    const auto p = run_csv(
        "time,metric,site,value\n"
        "1,m,a,\n2,m,a,NaN\n3,m,a,NA\n4,m,a,nan\n5,m,a,null\n6,m,a,-9999\n7,m,a,-9999.00\n8,m,a,---\n9,m,a,-9998\n",
        o);
    ASSERT_EQ(p.records.size(), 9U);
    for (int i = 0; i < 8; ++i) EXPECT_EQ(p.records[i], rec("m{site=a}", (i + 1) * 1000, NAN)) << i;
    EXPECT_EQ(p.records[8], rec("m{site=a}", 9000, -9998));
}

TEST(ingest_csv_long, time_formats_and_zones) {
    csv_options o = long_opts();
    o.time_format = time_format::epoch_ms;
    EXPECT_EQ(run_csv("time,metric,site,value\n1420070400000,m,a,1\n", o).records,
              std::vector<std::string>{rec("m{site=a}", t2015, 1)});
    o.time_format = time_format::epoch_s;
    EXPECT_EQ(run_csv("time,metric,site,value\n1420070400.5,m,a,1\n", o).records,
              std::vector<std::string>{rec("m{site=a}", t2015 + 500, 1)});
    o.time_format = time_format::iso8601;
    o.zone = time_zone::from_name("Europe/Paris");
    const auto p = run_csv(
        "time,metric,site,value\n"
        "2015-01-01 01:00,m,a,1\n"
        "2015-01-01T00:00:00Z,m,a,2\n"
        "2015-07-01 02:00:00.5,m,a,3\n"
        "2015-03-29 02:30,m,a,4\n"
        "1420070400,m,a,5\n",
        o);
    EXPECT_EQ(p.records, (std::vector<std::string>{rec("m{site=a}", t2015, 1), rec("m{site=a}", t2015, 2),
                                                   rec("m{site=a}", 1'435'708'800'500, 3),
                                                   rec("m{site=a}", 1'427'592'600'000, 4)}));
    EXPECT_EQ(p.reports, std::vector<std::string>{"in.csv:6:1: time: not an ISO 8601 timestamp (e.g. "
                                                  "2015-01-01T12:00:00Z) (text: '1420070400')"});
    o.dst = dst_policy::error;
    EXPECT_EQ(run_csv("time,metric,site,value\n2015-03-29 02:30,m,a,4\n", o).reports,
              std::vector<std::string>{"in.csv:2:1: time: local time does not exist (skipped when DST starts) (text: "
                                       "'2015-03-29 02:30')"});
}

TEST(ingest_csv_long, every_bad_row_is_reported_with_its_place) {
    const std::string long_value(200, '9');
    const auto p = run_csv(
        "time,metric,site,value\n"
        "2015-01-01,m,a,1\n"        // 2 ok
        "2015-02-30,m,a,1\n"        // 3 invalid date
        "2015-01-01,m,a,x1\n"       // 4 bad value
        "2015-01-01,m,a\n"          // 5 too few fields
        "2015-01-01,m,a,1,extra\n"  // 6 too many
        "2015-01-01,m,\"a,1\n"      // 7 unclosed quote
        "2015-01-01,m,\"a\"b,1\n"   // 8 text after quote
        "2015-01-01,,a,1\n"         // 9 empty metric
        "2015-01-01,m,a=b,1\n"      // 10 structural name
        "2015-01-01,m,a,inf\n"      // 11 infinite
        "2015-01-01,m,a," +
            long_value +
            "x\n"                  // 12 long text is cut
            "2015-01-02,m,a,2\n",  // 13 ok
        long_opts());
    EXPECT_EQ(p.records,
              (std::vector<std::string>{rec("m{site=a}", t2015, 1), rec("m{site=a}", t2015 + 86'400'000, 2)}));
    EXPECT_EQ(p.reports,
              (std::vector<std::string>{
                  "in.csv:3:1: time: invalid date (text: '2015-02-30')",
                  "in.csv:4:16: value: not a number (text: 'x1')",
                  "in.csv:5:15: row has 3 fields, the header has 4 (text: '2015-01-01,m,a')",
                  "in.csv:6:18: row has 5 fields, the header has 4 (text: '2015-01-01,m,a,1,extra')",
                  "in.csv:7:14: quoted field is not closed on its line (text: '\"a,1')",
                  "in.csv:8:17: unexpected text after a closing quote (text: 'b,1')",
                  "in.csv:9:12: empty metric",
                  "in.csv:10:14: tag value has '=' (U+003D) at byte 2, which cannot be stored (use the sanitise option "
                  "to replace it by '_') (text: 'a=b')",
                  "in.csv:11:16: value: value is infinite (text: 'inf')",
                  "in.csv:12:16: value: not a number (text: '" + std::string(80, '9') + "...')",
              }));
    for (auto k : p.kinds) EXPECT_EQ(k, diagnostic_kind::malformed);
}

TEST(ingest_csv_long, too_long_lines_are_reported_and_skipped) {
    csv_options o = long_opts();
    o.max_line_bytes = 30;
    const auto p = run_csv("time,metric,site,value\n1,m,a," + std::string(40, '1') + "\n2,m,a,2\n", o);
    EXPECT_EQ(p.records, std::vector<std::string>{rec("m{site=a}", 2000, 2)});
    EXPECT_EQ(p.reports, std::vector<std::string>{"in.csv:2:1: line of 46 bytes is longer than the limit of 30; "
                                                  "skipped (text: '1,m,a,111111111111111111111111')"});
}

TEST(ingest_csv_long, wrong_column_names_list_the_header) {
    csv_options o = long_opts();
    o.value_column = "level";
    EXPECT_EQ(error_of([&] { run_csv("time,metric,site,value\n1,m,a,1\n", o); }),
              "in.csv:1: no column 'level' (value column) in the header; its columns are 'time', 'metric', 'site', "
              "'value'");
    o = long_opts();
    o.tag_columns.push_back(parse_tag_column("depth"));
    EXPECT_EQ(error_of([&] { run_csv("\n\ntime;metric;site;value\n", o); }),
              "in.csv:3: no column 'depth' (tag column) in the header; its columns are 'time', 'metric', 'site', "
              "'value'");
    EXPECT_EQ(error_of([] { run_csv("time,metric,site,value,site\n", long_opts()); }),
              "in.csv:1:24: column 'site' appears twice in the header");
    EXPECT_THROW(run_csv("time,metric,site,value\n", o), input_error);
}

TEST(ingest_csv_long, contradictory_options_are_usage_errors) {
    csv_options o = long_opts();
    o.metric = "m";
    EXPECT_THROW(run_csv("time,metric,site,value\n", o), usage_error);
    o = csv_options{};
    EXPECT_THROW(run_csv("time,value\n", o), usage_error);  // neither metric nor metric column
    o = long_opts();
    o.separator = '|';
    EXPECT_THROW(run_csv("time|value\n", o), usage_error);
    o = long_opts();
    o.separator = ',';
    o.decimal_comma = true;
    EXPECT_THROW(run_csv("time,value\n", o), usage_error);
    o = long_opts();
    o.tag_columns = {parse_tag_column("=site")};
    EXPECT_THROW(run_csv("time,value\n", o), usage_error);
}

TEST(ingest_csv_long, sanitise_mode_renames_once_per_name) {
    const auto p = run_csv(
        "time,metric,site,value\n"
        "1,gw level,BH 01,1\n"
        "2,gw level,BH 01,2\n"
        "3,gw level,a=b,3\n",
        long_opts(), name_mode::sanitise);
    EXPECT_EQ(p.records,
              (std::vector<std::string>{rec("gw_level{site=BH_01}", 1000, 1), rec("gw_level{site=BH_01}", 2000, 2),
                                        rec("gw_level{site=a_b}", 3000, 3)}));
    EXPECT_EQ(p.reports,
              (std::vector<std::string>{
                  "in.csv:2:3: metric renamed 'gw_level': ' ' (U+0020) at byte 3 (OpenTSDB allows a-z A-Z 0-9 - _ . / "
                  "and Unicode letters) (text: 'gw level')",
                  "in.csv:2:12: tag value renamed 'BH_01': ' ' (U+0020) at byte 3 (OpenTSDB allows a-z A-Z 0-9 - _ . / "
                  "and Unicode letters) (text: 'BH 01')",
                  "in.csv:4:12: tag value renamed 'a_b': '=' (U+003D) at byte 2 (OpenTSDB allows a-z A-Z 0-9 - _ . / "
                  "and Unicode letters) (text: 'a=b')"}));
    EXPECT_EQ(p.kinds[0], diagnostic_kind::renamed);
}

TEST(ingest_csv_long, unicode_letters_are_valid_names) {
    const auto p = run_csv("time,metric,site,value\n1,température,Zürich,1\n2,m,a°b,2\n", long_opts());
    EXPECT_EQ(p.records,
              (std::vector<std::string>{rec("température{site=Zürich}", 1000, 1), rec("m{site=a°b}", 2000, 2)}));
    EXPECT_EQ(p.reports, std::vector<std::string>{"in.csv:3:5: tag value has '°' (U+00B0) at byte 2: OpenTSDB refuses "
                                                  "it (it allows a-z A-Z 0-9 - _ . / and Unicode letters) (text: "
                                                  "'a°b')"});
}

TEST(ingest_csv_long, gzip_input_and_tiny_blocks_give_the_same_records) {
    std::string text = "time,metric,site,value\n";
    for (int i = 0; i < 300; ++i)
        text += std::to_string(1420070400 + i) + ",m,s" + std::to_string(i % 3) + "," + std::to_string(i) + ".5\n";
    const auto want = run_csv(text, long_opts()).records;
    ASSERT_EQ(want.size(), 300U);
    for (std::size_t block : {1, 7, 1 << 20}) {
        EXPECT_EQ(run_csv(text, long_opts(), name_mode::check, block).records, want);
        EXPECT_EQ(run_csv(gzip(text), long_opts(), name_mode::check, block).records, want);
    }
}

// ---- CSV wide form -------------------------------------------------------------------------

TEST(ingest_csv_wide, one_column_per_series) {
    csv_options o;
    o.layout = csv_layout::wide_form;
    const auto p = run_csv(
        "time,gw.level{site=BH01},\"gw.level{site=BH02, depth=5}\",ph\n"
        "2015-01-01,1,2,7\n"
        "2015-01-02,,NaN,7.5\n",
        o);
    EXPECT_EQ(p.records, (std::vector<std::string>{rec("gw.level{site=BH01}", t2015, 1),
                                                   rec("gw.level{ depth=5,site=BH02}", t2015, 2), rec("ph", t2015, 7),
                                                   rec("gw.level{ depth=5,site=BH02}", t2015 + 86'400'000, NAN),
                                                   rec("ph", t2015 + 86'400'000, 7.5)}));
    // " depth" keeps its space (names are not trimmed inside braces) and is reported once.
    EXPECT_EQ(p.reports,
              std::vector<std::string>{"in.csv:1:46: tag key has ' ' (U+0020) at byte 1: OpenTSDB refuses it "
                                       "(it allows a-z A-Z 0-9 - _ . / and Unicode letters) (text: ' "
                                       "depth')"});
    o.skip_empty_cells = false;
    EXPECT_EQ(run_csv("time,a\n2015-01-01,\n", o).records, std::vector<std::string>{rec("a", t2015, NAN)});
}

TEST(ingest_csv_wide, series_map_and_ignored_columns) {
    csv_options o;
    o.layout = csv_layout::wide_form;
    o.separator = ';';
    o.decimal_comma = true;
    o.time_column = "Datum";
    o.series_map = {{"Pegel BH01", "gw.level{site=BH01}"}, {"pH", "water.ph{site=BH01,unit=pH}"}};
    o.ignore_columns = {"Bemerkung"};
    const auto p = run_csv(
        "Datum;Pegel BH01;Bemerkung;pH\n"
        "2015-01-01 00:00;1,25;kalibriert;7,5\n",
        o);
    EXPECT_EQ(p.records, (std::vector<std::string>{rec("gw.level{site=BH01}", t2015, 1.25),
                                                   rec("water.ph{site=BH01,unit=pH}", t2015, 7.5)}));
    EXPECT_TRUE(p.reports.empty());
    o.series_map = {{"Pegel BH02", "x"}};
    EXPECT_EQ(error_of([&] { run_csv("Datum;Pegel BH01;Bemerkung;pH\n", o); }),
              "in.csv:1: no column 'Pegel BH02' (series map) in the header; its columns are 'Datum', 'Pegel BH01', "
              "'Bemerkung', 'pH'");
}

TEST(ingest_csv_wide, bad_headers_cells_and_times) {
    csv_options o;
    o.layout = csv_layout::wide_form;
    const auto p = run_csv(
        "time;a{site=1};b{site;c{x=1}y;d\n"
        "2015-01-01;1;2;3;4\n"
        "2015-01-02;x;2;3;6\n"
        "someday;1;2;3;5\n",
        o);
    EXPECT_EQ(p.records, (std::vector<std::string>{rec("a{site=1}", t2015, 1), rec("d", t2015, 4),
                                                   rec("d", t2015 + 86'400'000, 6)}));
    EXPECT_EQ(p.reports,
              (std::vector<std::string>{
                  "in.csv:1:16: series name: a series written metric{k=v,...} must end with '}'; column skipped (text: "
                  "'b{site')",
                  "in.csv:1:23: series name: a series written metric{k=v,...} must end with '}'; column skipped (text: "
                  "'c{x=1}y')",
                  "in.csv:3:12: value of 'a{site=1}': not a number (text: 'x')",
                  "in.csv:4:1: time: not a number of seconds or milliseconds (text: 'someday')"}));
    EXPECT_EQ(error_of([&] { run_csv("time;a{x=1};a{x=1}\n", o); }),
              "in.csv:1:13: columns 'a{x=1}' and 'a{x=1}' name the same series");
    o.time_column = "t";
    EXPECT_EQ(error_of([&] { run_csv("time,a,b\n", o); }),
              "in.csv:1: no column 't' (time column) in the header; its columns are 'time', 'a', 'b'");
}

// ---- the pandas reference fixtures -----------------------------------------------------------

namespace {

csv_options fixture_options(const YAML::Node& n) {
    csv_options o;
    o.layout = n["layout"].as<std::string>() == "wide" ? csv_layout::wide_form : csv_layout::long_form;
    if (n["separator"])
        o.separator = n["separator"].as<std::string>() == "\\t" ? '\t' : n["separator"].as<std::string>()[0];
    if (n["decimal_comma"]) o.decimal_comma = n["decimal_comma"].as<bool>();
    if (n["time_column"]) o.time_column = n["time_column"].as<std::string>();
    if (n["time_format"]) o.time_format = *time_format_from_name(n["time_format"].as<std::string>());
    if (n["timezone"]) o.zone = time_zone::from_name(n["timezone"].as<std::string>());
    if (n["value_column"]) o.value_column = n["value_column"].as<std::string>();
    if (n["metric_column"]) o.metric_column = n["metric_column"].as<std::string>();
    if (n["metric"]) o.metric = n["metric"].as<std::string>();
    for (const auto& t : n["tag_columns"]) o.tag_columns.push_back(parse_tag_column(t.as<std::string>()));
    for (const auto& m : n["nan_markers"]) o.nan_markers.push_back(m.as<std::string>());
    if (n["skip_empty_cells"]) o.skip_empty_cells = n["skip_empty_cells"].as<bool>();
    return o;
}

}  // namespace

TEST(ingest_csv_fixtures, match_pandas_exactly) {
    const std::filesystem::path dir = test::fixtures_dir() / "csv";
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".yaml") continue;
        ++files;
        SCOPED_TRACE(entry.path().filename().string());
        const YAML::Node root = YAML::LoadFile(entry.path().string());
        const std::string csv_path = (dir / root["file"].as<std::string>()).string();
        std::map<std::string, std::pair<std::vector<std::int64_t>, std::vector<double>>> got;
        callback_sink sink([&](const series_key& k, std::int64_t t, double v) {
            got[k.id()].first.push_back(t);
            got[k.id()].second.push_back(v);
        });
        std::vector<std::string> reports;  // names OpenTSDB refuses ("SM 3") are fine here
        parse_context ctx([&](const diagnostic& d) {
            if (d.kind != diagnostic_kind::invalid_name) reports.push_back(d.to_string());
        });
        auto src = open_file(csv_path);
        read_csv(*src, fixture_options(root["options"]), sink, ctx);
        EXPECT_TRUE(reports.empty()) << reports.front();
        const YAML::Node series = root["series"];
        ASSERT_EQ(got.size(), series.size());
        for (const auto& s : series) {
            const std::string id = s["id"].as<std::string>();
            SCOPED_TRACE(id);
            ASSERT_EQ(got.count(id), 1U);
            const auto& [times, values] = got[id];
            std::vector<std::int64_t> want_t;
            for (const auto& t : s["time"]) want_t.push_back(t.as<std::int64_t>());
            EXPECT_EQ(times, want_t);
            ASSERT_EQ(values.size(), s["value"].size());
            for (std::size_t i = 0; i < values.size(); ++i) {
                const double want = s["value"][i].as<double>();
                if (std::isnan(want))
                    EXPECT_TRUE(std::isnan(values[i])) << i;
                else
                    EXPECT_EQ(values[i], want) << i;  // exact: both sides round the same decimal text
            }
        }
    }
    EXPECT_GE(files, 4U);
}
