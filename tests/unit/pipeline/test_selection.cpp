#include <gtest/gtest.h>

#include "pipeline/selection.hpp"

using namespace tsbatch;

TEST(tags_match, every_wanted_key_must_exist_and_match) {
    EXPECT_TRUE(tags_match("region=north,site=BH01", {}));
    EXPECT_TRUE(tags_match("region=north,site=BH01", {{"site", "BH*"}}));
    EXPECT_TRUE(tags_match("region=north,site=BH01", {{"site", "BH0?"}, {"region", "n*"}}));
    EXPECT_FALSE(tags_match("region=north,site=BH01", {{"site", "SM*"}}));
    EXPECT_FALSE(tags_match("region=north", {{"site", "*"}}));  // a missing key never matches
    EXPECT_FALSE(tags_match("", {{"site", "*"}}));
    EXPECT_TRUE(tags_match("site=", {{"site", "*"}}));
    // Keys match whole, not by prefix.
    EXPECT_FALSE(tags_match("sites=BH01", {{"site", "*"}}));
    EXPECT_TRUE(tags_match("a=1,sites=x,site=BH01", {{"site", "BH01"}}));
}

TEST(select_rows, metric_and_tags_together) {
    const std::vector<std::string> metrics = {"gw.level", "gw.temperature", "water.ph", "gw.level"};
    const std::vector<std::string> tags = {"site=BH01", "site=BH01", "site=BH01", "site=SM02"};
    select_config sel;
    EXPECT_EQ(select_rows(metrics, tags, sel), (std::vector<std::uint64_t>{0, 1, 2, 3}));
    sel.metric = "gw.*";
    EXPECT_EQ(select_rows(metrics, tags, sel), (std::vector<std::uint64_t>{0, 1, 3}));
    sel.tags = {{"site", "BH*"}};
    EXPECT_EQ(select_rows(metrics, tags, sel), (std::vector<std::uint64_t>{0, 1}));
    sel.metric = "nothing";
    EXPECT_TRUE(select_rows(metrics, tags, sel).empty());
}
