// OpenTSDB `tsdb import` text, /api/query JSON, the JSON reader under them, and the name
// rules (reference/opentsdb.md 1.3-1.5). Expected values are worked out by hand.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "text/byte_source.hpp"
#include "text/json_reader.hpp"
#include "text/names.hpp"
#include "ingest/opentsdb_json.hpp"
#include "ingest/opentsdb_text.hpp"
#include "text/unicode_letters.hpp"

using namespace tsbatch;
using namespace tsbatch::ingest;
using namespace tsbatch::text;

namespace {

constexpr std::int64_t t2012 = 1'346'846'400'000;  // 2012-09-05T12:00:00Z, OpenTSDB's doc example

std::string gzip(std::string_view text) {
    z_stream zs{};
    EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
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

std::string rec(const std::string& id, std::int64_t t, double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return id + " " + std::to_string(t) + " " + (std::isnan(v) ? std::string("nan") : std::string(buf));
}

struct parsed {
    std::vector<std::string> records;
    std::vector<std::string> reports;
    std::vector<diagnostic_kind> kinds;
};

enum class format { text, json };

parsed run(format f, std::string_view input, name_mode mode = name_mode::check,
           std::size_t block = default_block_size) {
    parsed p;
    callback_sink sink([&](const series_key& k, std::int64_t t, double v) { p.records.push_back(rec(k.id(), t, v)); });
    parse_context ctx(
        [&](const diagnostic& d) {
            p.reports.push_back(d.to_string());
            p.kinds.push_back(d.kind);
        },
        mode);
    auto src = open_memory(f == format::text ? "in.txt" : "in.json", input, block);
    if (f == format::text)
        read_opentsdb_text(*src, {}, sink, ctx);
    else
        read_opentsdb_json(*src, {}, sink, ctx);
    return p;
}

parsed parse_text(std::string_view input, name_mode mode = name_mode::check) {
    return run(format::text, input, mode);
}
parsed json(std::string_view input, std::size_t block = default_block_size) {
    return run(format::json, input, name_mode::check, block);
}

std::string json_error(std::string_view input, json_limits limits = {}) {
    auto src = open_memory("in.json", input, 3);
    json_reader r(*src, limits);
    try {
        for (json_token t = r.next(); t != json_token::end_of_input; t = r.next()) {
        }
    } catch (const input_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

// ---- names -----------------------------------------------------------------------------

TEST(ingest_names, opentsdb_characters_and_structural_ones) {
    std::string why;
    EXPECT_EQ(classify_name("gw.level-2_a/b", &why), name_class::ok);
    EXPECT_EQ(classify_name("température", &why), name_class::ok);
    EXPECT_EQ(classify_name("Ωμέγα", &why), name_class::ok);
    EXPECT_EQ(classify_name("水位", &why), name_class::ok);
    EXPECT_EQ(classify_name("a b", &why), name_class::refused);
    EXPECT_EQ(why, "' ' (U+0020) at byte 2");
    EXPECT_EQ(classify_name("x:y", &why), name_class::refused);
    EXPECT_EQ(classify_name("5°C", &why), name_class::refused);
    EXPECT_EQ(why, "'°' (U+00B0) at byte 2");
    EXPECT_EQ(classify_name("a😀", &why), name_class::refused);  // beyond the BMP: two surrogates in Java
    EXPECT_EQ(classify_name("", &why), name_class::structural);
    EXPECT_EQ(why, "it is empty");
    for (const char* s : {"a,b", "a=b", "a{b", "a}b", "a\tb", "a\x7F"})
        EXPECT_EQ(classify_name(s), name_class::structural) << s;
    EXPECT_EQ(classify_name("a b,c", &why), name_class::structural);
    EXPECT_EQ(why, "',' (U+002C) at byte 4");
    EXPECT_EQ(classify_name("ab\xC3", &why), name_class::structural);
    EXPECT_EQ(why, "invalid UTF-8 byte 0xC3 at byte 3");
    EXPECT_EQ(classify_name("\xC0\xAF"), name_class::structural);      // overlong '/'
    EXPECT_EQ(classify_name("\xED\xA0\x80"), name_class::structural);  // encoded surrogate
    EXPECT_EQ(sanitise_name("a b,c=d{e}"), "a_b_c_d_e_");
    EXPECT_EQ(sanitise_name("5°C"), "5_C");
    EXPECT_EQ(sanitise_name("x\xC3y"), "x_y");
    EXPECT_EQ(sanitise_name("température"), "température");
    EXPECT_TRUE(is_unicode_letter(U'é'));
    EXPECT_TRUE(is_unicode_letter(U'ß'));
    EXPECT_FALSE(is_unicode_letter(U'°'));
    EXPECT_FALSE(is_unicode_letter(U'5'));
    EXPECT_FALSE(is_unicode_letter(U'١'));  // Arabic-Indic digit one: a digit, not a letter
}

// ---- tsdb import text -------------------------------------------------------------------------

TEST(ingest_opentsdb_text, points_tags_and_timestamp_units) {
    const auto p = parse_text(
        "sys.cpu.user 1346846400 50 host=web01 cpu=0\n"
        "sys.cpu.user 1346846400500 51.5 cpu=0 host=web01\r\n"
        "\n"
        "  sys.cpu.nice\t4294967295   -2e3  \n"
        "sys.cpu.nice 4294967296 NaN\n"
        "sys.cpu.nice 9999999999999 +7\n");
    EXPECT_EQ(p.records, (std::vector<std::string>{
                             rec("sys.cpu.user{cpu=0,host=web01}", t2012, 50),
                             rec("sys.cpu.user{cpu=0,host=web01}", t2012 + 500, 51.5),
                             rec("sys.cpu.nice", 4'294'967'295'000, -2000),  // below 2^32: seconds
                             rec("sys.cpu.nice", 4'294'967'296, NAN),        // from 2^32: ms
                             rec("sys.cpu.nice", 9'999'999'999'999, 7),
                         }));
    EXPECT_TRUE(p.reports.empty());
}

TEST(ingest_opentsdb_text, gzip_input) {
    std::string plain;
    for (int i = 0; i < 1000; ++i) plain += "m " + std::to_string(1346846400 + i) + " " + std::to_string(i) + " a=b\n";
    const auto p = run(format::text, gzip(plain), name_mode::check, 100);
    ASSERT_EQ(p.records.size(), 1000U);
    EXPECT_EQ(p.records[999], rec("m{a=b}", t2012 + 999'000, 999));
}

TEST(ingest_opentsdb_text, every_bad_line_is_reported_with_its_place) {
    const auto p = parse_text(
        "m 1346846400 1 a=b\n"            // 1 ok
        "m 1346846400\n"                  // 2 too few
        "m 1346846400.5 1 a=b\n"          // 3 not an integer
        "m abc 1 a=b\n"                   // 4
        "m 0 1 a=b\n"                     // 5
        "m -5 1 a=b\n"                    // 6
        "m 10000000000000 1 a=b\n"        // 7 beyond 13 digits
        "m 1346846400 x1 a=b\n"           // 8 bad value
        "m 1346846400 inf a=b\n"          // 9
        "m 1346846400 1 a\n"              // 10 no '='
        "m 1346846400 1 a=b a=c\n"        // 11 duplicate key
        "m 1346846400 1 a=\n"             // 12 empty tag value
        "m 1346846400 1 =b\n"             // 13 empty tag key
        "m 1346846400 1 a=b,c\n"          // 14 structural
        "m 99999999999999999999 1 a=b\n"  // 15 beyond int64
        "m 1346846401 2 a=b\n");          // 16 ok
    EXPECT_EQ(p.records, (std::vector<std::string>{rec("m{a=b}", t2012, 1), rec("m{a=b}", t2012 + 1000, 2)}));
    EXPECT_EQ(p.reports,
              (std::vector<std::string>{
                  "in.txt:2:1: expected 'metric timestamp value [tagk=tagv ...]' (text: 'm 1346846400')",
                  "in.txt:3:3: timestamp must be an integer (seconds or milliseconds) (text: '1346846400.5')",
                  "in.txt:4:3: timestamp is not an integer (text: 'abc')",
                  "in.txt:5:3: timestamp must be > 0 (text: '0')",
                  "in.txt:6:3: timestamp must be > 0 (text: '-5')",
                  "in.txt:7:3: timestamp is beyond 9999999999999 ms (text: '10000000000000')",
                  "in.txt:8:14: value is not a number (text: 'x1')",
                  "in.txt:9:14: value is infinite (text: 'inf')",
                  "in.txt:10:16: tag must be written tagk=tagv (text: 'a')",
                  "in.txt:11:20: tag key 'a' appears twice (text: 'a')",
                  "in.txt:12:18: empty tag value",
                  "in.txt:13:16: empty tag key",
                  "in.txt:14:18: tag value has ',' (U+002C) at byte 2, which cannot be stored (use the sanitise "
                  "option to replace it by '_') (text: 'b,c')",
                  "in.txt:15:3: timestamp is beyond 9999999999999 ms (text: '99999999999999999999')",
              }));
}

TEST(ingest_opentsdb_text, refused_names_are_kept_and_reported_once_or_sanitised) {
    const std::string input =
        "cpu:load 1346846400 1 host=web#1\n"
        "cpu:load 1346846401 2 host=web#1\n"
        "cpu:load 1346846402 3 host=web#2\n";
    const auto check = parse_text(input);
    EXPECT_EQ(check.records, (std::vector<std::string>{rec("cpu:load{host=web#1}", t2012, 1),
                                                       rec("cpu:load{host=web#1}", t2012 + 1000, 2),
                                                       rec("cpu:load{host=web#2}", t2012 + 2000, 3)}));
    EXPECT_EQ(check.reports,
              (std::vector<std::string>{
                  "in.txt:1:1: metric has ':' (U+003A) at byte 4: OpenTSDB refuses it (it allows a-z A-Z 0-9 - _ . / "
                  "and Unicode letters) (text: 'cpu:load')",
                  "in.txt:1:28: tag value has '#' (U+0023) at byte 4: OpenTSDB refuses it (it allows a-z A-Z 0-9 - _ "
                  ". / and Unicode letters) (text: 'web#1')",
                  "in.txt:3:28: tag value has '#' (U+0023) at byte 4: OpenTSDB refuses it (it allows a-z A-Z 0-9 - _ "
                  ". / and Unicode letters) (text: 'web#2')"}));
    EXPECT_EQ(check.kinds, std::vector<diagnostic_kind>(3, diagnostic_kind::invalid_name));

    const auto fixed = parse_text(input, name_mode::sanitise);
    EXPECT_EQ(fixed.records, (std::vector<std::string>{rec("cpu_load{host=web_1}", t2012, 1),
                                                       rec("cpu_load{host=web_1}", t2012 + 1000, 2),
                                                       rec("cpu_load{host=web_2}", t2012 + 2000, 3)}));
    EXPECT_EQ(fixed.kinds, std::vector<diagnostic_kind>(3, diagnostic_kind::renamed));
    EXPECT_EQ(fixed.reports[0],
              "in.txt:1:1: metric renamed 'cpu_load': ':' (U+003A) at byte 4 (OpenTSDB allows a-z A-Z 0-9 - _ . / and "
              "Unicode letters) (text: 'cpu:load')");
}

TEST(ingest_opentsdb_text, long_lines_are_reported_and_skipped) {
    parsed p;
    callback_sink sink([&](const series_key& k, std::int64_t t, double v) { p.records.push_back(rec(k.id(), t, v)); });
    parse_context ctx([&](const diagnostic& d) { p.reports.push_back(d.to_string()); });
    const std::string input = "m 1346846400 1 a=" + std::string(100, 'x') + "\nm 1346846400 2\n";
    auto src = open_memory("in.txt", input, 16);
    read_opentsdb_text(*src, {50}, sink, ctx);
    EXPECT_EQ(p.records, std::vector<std::string>{rec("m", t2012, 2)});
    ASSERT_EQ(p.reports.size(), 1U);
    EXPECT_EQ(p.reports[0].substr(0, 70), "in.txt:1:1: line of 117 bytes is longer than the limit of 50; skipped ");
}

// ---- the JSON reader ------------------------------------------------------------------------

TEST(ingest_json_reader, tokens_positions_and_escapes) {
    const std::string input =
        "\xEF\xBB\xBF[{\"a\\\"b\": [1, -2.5e3, true, false, null, NaN],\n"
        "  \"s\": \"\\n\\t\\\\\\/\\b\\f\\r\\u00e9\\u6c34\\ud83d\\ude00\"}, {}, []] 7";
    for (std::size_t block : {1, 2, 5, 1 << 20}) {
        auto src = open_memory("in.json", input, block);
        json_reader r(*src);
        std::vector<std::string> got;
        for (json_token t = r.next(); t != json_token::end_of_input; t = r.next())
            got.push_back(std::to_string(static_cast<int>(t)) + "@" + std::to_string(r.line()) + ":" +
                          std::to_string(r.column()) +
                          (t == json_token::key || t == json_token::string || t == json_token::number
                               ? "=" + std::string(r.text())
                               : ""));
        const std::vector<std::string> want = {"2@1:1",
                                               "0@1:2",
                                               "4@1:3=a\"b",
                                               "2@1:11",
                                               "6@1:12=1",
                                               "6@1:15=-2.5e3",
                                               "7@1:23",
                                               "8@1:29",
                                               "9@1:36",
                                               "10@1:42",
                                               "3@1:45",
                                               "4@2:3=s",
                                               "5@2:8=\n\t\\/\b\f\ré水😀",
                                               "1@2:48",
                                               "0@2:51",
                                               "1@2:52",
                                               "2@2:55",
                                               "3@2:56",
                                               "3@2:57",
                                               "6@2:59=7"};
        EXPECT_EQ(got, want) << block;
    }
}

TEST(ingest_json_reader, syntax_errors_name_line_and_column) {
    EXPECT_EQ(json_error("[1, 2"), "in.json:1:6: expected ',' or ']' in an array, found the end of the input");
    EXPECT_EQ(json_error("[1,]"), "in.json:1:4: expected a value, found ']'");
    EXPECT_EQ(json_error("{\"a\" 1}"), "in.json:1:6: expected ':' after a member name, found '1'");
    EXPECT_EQ(json_error("{\"a\":1,}"), "in.json:1:8: expected a member name in double quotes, found '}'");
    EXPECT_EQ(json_error("{a:1}"), "in.json:1:2: expected a member name in double quotes, found 'a'");
    EXPECT_EQ(json_error("[\"abc"), "in.json:1:2: string is not closed");
    EXPECT_EQ(json_error("[\n\"a\nb\"]"),
              "in.json:2:3: control character byte 0x0A in a string (write it as an escape)");
    EXPECT_EQ(json_error("[\"\\x\"]"), "in.json:1:5: invalid escape \\'x' in a string");
    EXPECT_EQ(json_error("[\"\\u12G4\"]"), "in.json:1:7: \\u must be followed by four hex digits, found 'G'");
    EXPECT_EQ(json_error("[\"\\udc00\"]"), "in.json:1:9: \\u escape holds a low surrogate without a high one");
    EXPECT_EQ(json_error("[\"\\ud800x\"]"), "in.json:1:10: \\u escape holds a high surrogate without a low one");
    EXPECT_EQ(json_error("[\"\\ud800\\u0041\"]"), "in.json:1:15: \\u escape holds a high surrogate without a low one");
    EXPECT_EQ(json_error("[01]"), "in.json:1:3: a number must not start with 0");
    EXPECT_EQ(json_error("[-]"), "in.json:1:3: expected a digit in a number, found ']'");
    EXPECT_EQ(json_error("[1.]"), "in.json:1:4: expected a digit in a number, found ']'");
    EXPECT_EQ(json_error("[1e+]"), "in.json:1:5: expected a digit in a number, found ']'");
    EXPECT_EQ(json_error("[tru]"), "in.json:1:2: invalid literal (expected true)");
    EXPECT_EQ(json_error("[nulls]"), "in.json:1:2: invalid literal (expected null)");
    EXPECT_EQ(json_error("[Infinity]"), "in.json:1:2: expected a value, found 'I'");
    EXPECT_EQ(json_error("\n\n  @"), "in.json:3:3: expected a value, found '@'");
    EXPECT_EQ(json_error("[1]]"), "in.json:1:4: expected a value, found ']'");
    EXPECT_EQ(json_error("[[[[1]]]]", {3, 100}), "in.json:1:4: nesting deeper than 3 levels");
    EXPECT_EQ(json_error("[\"" + std::string(20, 'x') + "\"]", {64, 10}), "in.json:1:2: string longer than 10 bytes");
    EXPECT_EQ(json_error("[" + std::string(70, '1') + "]"), "in.json:1:2: number longer than 64 characters");
    EXPECT_EQ(json_error("[1] [2] {}"), "no error");
    EXPECT_EQ(json_error(""), "no error");
}

// ---- /api/query JSON -------------------------------------------------------------------------

TEST(ingest_opentsdb_json, dps_as_object_and_as_arrays) {
    const std::string input = R"([
  {"metric": "sys.cpu.nice", "tags": {"host": "web01", "dc": "lga"}, "aggregateTags": [],
   "dps": {"1346846400": 18, "1346846460": 9.5, "1346846520": null, "1346846580": NaN}},
  {"metric": "sys.cpu.nice", "tags": {"host": "web02", "dc": "lga"}, "aggregateTags": ["cpu"],
   "annotations": [{"description": "x", "custom": {"a": [1, {"b": 2}]}}],
   "dps": [[1346846400000, 1.5], [1346846400250, -2e-3]]},
  {"metric": "untagged", "tags": {}, "dps": {}}
])";
    for (std::size_t block : {1, 7, 1 << 20}) {
        const auto p = json(input, block);
        EXPECT_EQ(p.records, (std::vector<std::string>{
                                 rec("sys.cpu.nice{dc=lga,host=web01}", t2012, 18),
                                 rec("sys.cpu.nice{dc=lga,host=web01}", t2012 + 60'000, 9.5),
                                 rec("sys.cpu.nice{dc=lga,host=web01}", t2012 + 120'000, NAN),
                                 rec("sys.cpu.nice{dc=lga,host=web01}", t2012 + 180'000, NAN),
                                 rec("sys.cpu.nice{dc=lga,host=web02}", t2012, 1.5),
                                 rec("sys.cpu.nice{dc=lga,host=web02}", t2012 + 250, -0.002),
                             }))
            << block;
        EXPECT_TRUE(p.reports.empty()) << p.reports.front();
    }
}

TEST(ingest_opentsdb_json, member_order_single_objects_concatenation_and_gzip) {
    const std::string input = R"({"dps": {"1346846400": 1}, "tags": {"a": "b"}, "metric": "late"})"
                              "\n"
                              R"([{"metric": "no_tags", "dps": [[1346846400, 2]]}])"
                              R"([{"metric": "m", "dps": {"1346846400": 3}, "tags": {"k": "v"}}])";
    const std::vector<std::string> want = {rec("late{a=b}", t2012, 1), rec("no_tags", t2012, 2),
                                           rec("m{k=v}", t2012, 3)};
    EXPECT_EQ(json(input).records, want);
    EXPECT_EQ(json(gzip(input), 5).records, want);
    EXPECT_TRUE(json("[]").records.empty());
    EXPECT_TRUE(json("").records.empty());
}

TEST(ingest_opentsdb_json, bad_points_and_series_are_reported_and_skipped) {
    const std::string input =
        "[{\"metric\": \"m\", \"tags\": {\"a\": \"b\"}, \"dps\": {\n"
        "  \"1346846400\": 1,\n"
        "  \"soon\": 2,\n"
        "  \"1346846460\": \"3\",\n"
        "  \"0\": 4,\n"
        "  \"1346846520\": [5],\n"
        "  \"1346846580\": 1e999,\n"
        "  \"1346846640\": 6}},\n"
        " {\"metric\": \"n\", \"dps\": [[1346846400, 1], [1346846400.5, 2], [\"1346846460\", 3], [1346846520],\n"
        "   [], 7, [1346846580, 8, 9, [10]], [1346846640, true], [1346846700, 11]]},\n"
        " {\"tags\": {\"a\": \"b\"}, \"dps\": {\"1346846400\": 1}},\n"
        " {\"metric\": 5, \"tags\": {\"a\": 1, \"b\": \"c\"}, \"dps\": \"none\"},\n"
        " {\"metric\": \"p\", \"tags\": [\"a\"], \"dps\": {\"1346846400\": 12}},\n"
        " {\"metric\": \"q q\", \"tags\": {\"x\": \"y,z\"}, \"dps\": {\"1346846400\": 13}},\n"
        " 42]";
    const auto p = json(input);
    EXPECT_EQ(p.records,
              (std::vector<std::string>{rec("m{a=b}", t2012, 1), rec("m{a=b}", t2012 + 240'000, 6), rec("n", t2012, 1),
                                        rec("n", t2012 + 300'000, 11), rec("p", t2012, 12)}));
    EXPECT_EQ(p.reports,
              (std::vector<std::string>{
                  "in.json:3:3: timestamp is not an integer (text: 'soon')",
                  "in.json:4:17: point value must be a number, null or NaN (text: '3')",
                  "in.json:5:3: timestamp must be > 0 (text: '0')",
                  "in.json:6:17: point value must be a number, null or NaN",
                  "in.json:7:17: point value is out of range (text: '1e999')",
                  "in.json:9:44: timestamp must be an integer (seconds or milliseconds) (text: '1346846400.5')",
                  "in.json:9:63: point timestamp must be a number (text: '1346846460')",
                  "in.json:9:81: point has no value",
                  "in.json:10:4: empty point []",
                  "in.json:10:8: each point of \"dps\" must be an array [timestamp, value] (text: '7')",
                  "in.json:10:27: a point has two elements, [timestamp, value]",
                  "in.json:10:50: point value must be a number, null or NaN",
                  "in.json:11:2: series object has no \"metric\"; its 1 points are skipped",
                  "in.json:12:13: \"metric\" must be a string (text: '5')",
                  "in.json:12:30: tag 'a' must have a string value (text: '1')",
                  "in.json:12:51: \"dps\" must be an object {\"timestamp\": value} or an array of [timestamp, value] "
                  "(text: 'none')",
                  "in.json:13:26: \"tags\" must be an object of strings",
                  "in.json:14:13: metric has ' ' (U+0020) at byte 2: OpenTSDB refuses it (it allows a-z A-Z 0-9 - _ "
                  ". / and Unicode letters) (text: 'q q')",
                  "in.json:14:34: tag value has ',' (U+002C) at byte 2, which cannot be stored (use the sanitise "
                  "option to replace it by '_') (text: 'y,z')",
                  "in.json:15:2: array element is not a series object (text: '42')",
              }));
}

TEST(ingest_opentsdb_json, error_responses_and_syntax_errors_throw) {
    try {
        json(R"({"error": {"code": 400, "message": "No such name for 'metrics': 'x'", "trace": "..."}})");
        FAIL() << "no error";
    } catch (const input_error& e) {
        EXPECT_STREQ(e.what(), "in.json:1:2: the input is an OpenTSDB error response: No such name for 'metrics': 'x'");
    }
    EXPECT_THROW(json("[{\"metric\": \"m\", \"dps\": {\"1\": 1}"), input_error);
    EXPECT_THROW(json("{\"metric\": \"m\"} x"), input_error);
    try {
        json("[{\"metric\": \"m\",\n \"dps\": {1346846400: 1}}]");
        FAIL() << "no error";
    } catch (const input_error& e) {
        EXPECT_STREQ(e.what(), "in.json:2:10: expected a member name in double quotes, found '1'");
    }
}
