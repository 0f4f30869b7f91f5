// PostgreSQL's binary COPY encoding, against bytes written out by hand from the format's
// description (the COPY reference page: signature, flags, header extension, per row a field
// count and per field a length and big-endian bytes, -1 for NULL, a -1 field count at the end).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "storage/pg_copy.hpp"
#include "text/json_writer.hpp"

using namespace tsbatch::storage;

namespace {

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (const int x : b) s += static_cast<char>(x);
    return s;
}

const std::string header = std::string("PGCOPY\n\377\r\n\0", 11) + bytes({0, 0, 0, 0, 0, 0, 0, 0});

}  // namespace

TEST(PgCopy, HeaderRowsAndTrailer) {
    pg_copy_writer w;
    w.begin_row(3);
    w.int8(-2);
    w.null();
    w.text("é");
    w.finish();
    EXPECT_EQ(w.bytes(), header + bytes({0, 3}) +                                  // 3 fields
                             bytes({0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE}) +  // int8 -2
                             bytes({0xFF, 0xFF, 0xFF, 0xFF}) +                      // NULL
                             bytes({0, 0, 0, 2, 0xC3, 0xA9}) +                      // "é" in UTF-8
                             bytes({0xFF, 0xFF}));                                  // end of data
}

TEST(PgCopy, Float8KeepsEveryBit) {
    pg_copy_writer w;
    w.take();  // drop the header
    w.float8(1.0);
    w.float8(-0.0);
    w.float8(std::numeric_limits<double>::infinity());
    EXPECT_EQ(w.bytes(), bytes({0, 0, 0, 8, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0}) + bytes({0, 0, 0, 8, 0x80, 0, 0, 0, 0, 0, 0, 0}) +
                             bytes({0, 0, 0, 8, 0x7F, 0xF0, 0, 0, 0, 0, 0, 0}));
}

TEST(PgCopy, TimestamptzIsMicrosecondsSince2000) {
    pg_copy_writer w;
    w.take();
    EXPECT_TRUE(w.timestamptz_ms(946'684'800'001));  // 2000-01-01T00:00:00.001Z: 1000 us
    EXPECT_TRUE(w.timestamptz_ms(946'684'799'999));  // one ms before: -1000 us
    EXPECT_EQ(w.bytes(), bytes({0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0x03, 0xE8}) +
                             bytes({0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFC, 0x18}));
    const auto before = w.bytes();
    EXPECT_FALSE(w.timestamptz_ms(std::numeric_limits<std::int64_t>::max()));
    EXPECT_FALSE(w.timestamptz_ms(std::numeric_limits<std::int64_t>::min()));
    EXPECT_EQ(w.bytes(), before) << "an out-of-range instant writes nothing";
}

TEST(PgCopy, JsonbIsVersionOneAndTheText) {
    pg_copy_writer w;
    w.take();
    w.jsonb("{}");
    EXPECT_EQ(w.bytes(), bytes({0, 0, 0, 3, 1, '{', '}'}));
}

TEST(PgCopy, TakeHandsOverTheBytesOnce) {
    pg_copy_writer w;
    EXPECT_EQ(w.take(), header);
    w.begin_row(0);
    EXPECT_EQ(w.take(), bytes({0, 0}));
    EXPECT_EQ(w.take(), "");
}

TEST(PgCopy, TagsAsJsonObjects) {
    auto tags_json = [](std::string_view tags) {
        std::string out;
        tsbatch::text::append_json_tags(out, tags);
        return out;
    };
    auto json_string = [](std::string_view s) {
        std::string out;
        tsbatch::text::append_json_string(out, s);
        return out;
    };
    EXPECT_EQ(tags_json(""), "{}");
    EXPECT_EQ(tags_json("site=BH01"), R"({"site":"BH01"})");
    EXPECT_EQ(tags_json("région=Île,z=a\"b\\c"), R"({"région":"Île","z":"a\"b\\c"})");
    EXPECT_EQ(json_string(std::string("a\nb\x01", 4)), R"("a\nb\u0001")");
}

TEST(PgCopy, SeriesIdSplitsIntoMetricAndTags) {
    EXPECT_EQ(split_series_id("gw.level{site=A,x=1}").metric, "gw.level");
    EXPECT_EQ(split_series_id("gw.level{site=A,x=1}").tags, "site=A,x=1");
    EXPECT_EQ(split_series_id("plain").metric, "plain");
    EXPECT_EQ(split_series_id("plain").tags, "");
    EXPECT_EQ(split_series_id("odd{").metric, "odd{");
}
