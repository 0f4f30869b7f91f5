// core/format: counts for people.
#include "core/format.hpp"

#include <gtest/gtest.h>

namespace tsbatch {
namespace {

TEST(Format, GroupedCountSeparatesThousands) {
    EXPECT_EQ(format_grouped_count(0), "0");
    EXPECT_EQ(format_grouped_count(999), "999");
    EXPECT_EQ(format_grouped_count(1000), "1,000");
    EXPECT_EQ(format_grouped_count(12345678), "12,345,678");
    EXPECT_EQ(format_grouped_count(18446744073709551615ULL), "18,446,744,073,709,551,615");
}

TEST(Format, PluralPicksTheWordByCount) {
    EXPECT_EQ(plural(1, "tag", "tags"), "1 tag");
    EXPECT_EQ(plural(0, "tag", "tags"), "0 tags");
    EXPECT_EQ(plural(2, "point falls", "points fall"), "2 points fall");
    EXPECT_EQ(plural(12345, "point", "points"), "12345 points");
    EXPECT_EQ(plural(12345, "point", "points", true), "12,345 points");
    EXPECT_EQ(plural(1, "rank", "ranks", true), "1 rank");
}

}  // namespace
}  // namespace tsbatch
