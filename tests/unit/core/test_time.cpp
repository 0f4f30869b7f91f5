#include <gtest/gtest.h>

#include <limits>

#include "core/time.hpp"

using namespace tsbatch;

TEST(parse_duration, units) {
    EXPECT_EQ(parse_duration("500ms"), 500);
    EXPECT_EQ(parse_duration("30s"), 30'000);
    EXPECT_EQ(parse_duration("15min"), 900'000);
    EXPECT_EQ(parse_duration("1h"), 3'600'000);
    EXPECT_EQ(parse_duration("1d"), 86'400'000);
    EXPECT_EQ(parse_duration("1w"), 604'800'000);
    EXPECT_EQ(parse_duration("1.5h"), 5'400'000);
    EXPECT_EQ(parse_duration(" 2s "), 2000);
}

TEST(parse_duration, iso8601) {
    EXPECT_EQ(parse_duration("PT15M"), 900'000);
    EXPECT_EQ(parse_duration("P1DT12H"), 129'600'000);
    EXPECT_EQ(parse_duration("P2W"), 1'209'600'000);
    EXPECT_EQ(parse_duration("PT0.5S"), 500);
}

TEST(parse_duration, refuses_bad_text) {
    for (const char* bad : {"", "15", "abc", "5 parsecs", "1M", "P1M", "P1Y", "PT", "P", "1.0005s", "PT5X"})
        EXPECT_THROW(parse_duration(bad), parse_error) << bad;
}

TEST(format_duration, largest_exact_unit) {
    EXPECT_EQ(format_duration(900'000), "15min");
    EXPECT_EQ(format_duration(1500), "1500ms");
    EXPECT_EQ(format_duration(86'400'000), "1d");
    EXPECT_EQ(format_duration(0), "0ms");
}

TEST(iso8601, parses_common_forms) {
    EXPECT_EQ(parse_iso8601("1970-01-01"), 0);
    EXPECT_EQ(parse_iso8601("2015-01-01T00:00:00Z"), 1'420'070'400'000);
    EXPECT_EQ(parse_iso8601("2015-01-01 00:00"), 1'420'070'400'000);
    EXPECT_EQ(parse_iso8601("2015-01-01T01:00:00+01:00"), 1'420'070'400'000);
    EXPECT_EQ(parse_iso8601("2015-01-01T00:00:00.250Z"), 1'420'070'400'250);
    EXPECT_EQ(parse_iso8601("1969-12-31T23:59:59.999Z"), -1);
    EXPECT_EQ(parse_iso8601("2015-01-01T00:00:00", 60), 1'420'070'400'000 - 3'600'000);
    EXPECT_EQ(parse_iso8601("2016-02-29"), parse_iso8601("2016-03-01") - 86'400'000);
}

TEST(iso8601, refuses_invalid) {
    for (const char* bad : {"2015-13-01", "2015-02-30", "2015-02-29", "2015/01/01", "20150101", "2015-01-01T25:00",
                            "2015-01-01T00:00:00Q", "2015-01-01Tab:00"})
        EXPECT_THROW(parse_iso8601(bad), parse_error) << bad;
}

TEST(iso8601, round_trip_including_before_1970) {
    for (std::int64_t t : {0LL, -1LL, 1'420'070'400'250LL, -86'400'001LL, -2'208'988'800'000LL, 253'402'300'799'999LL})
        EXPECT_EQ(parse_iso8601(format_iso8601(t)), t) << format_iso8601(t);
    EXPECT_EQ(format_iso8601(-1), "1969-12-31T23:59:59.999Z");
}

TEST(iso8601, formats_the_extremes_of_int64_without_overflow) {
    EXPECT_FALSE(format_iso8601(std::numeric_limits<std::int64_t>::min()).empty());
    EXPECT_FALSE(format_iso8601(std::numeric_limits<std::int64_t>::max()).empty());
}

TEST(floor_div, negative) {
    EXPECT_EQ(floor_div(-1, 10), -1);
    EXPECT_EQ(floor_div(-10, 10), -1);
    EXPECT_EQ(floor_div(-11, 10), -2);
    EXPECT_EQ(floor_div(9, 10), 0);
}
