// A block of series shipped between ranks (pack_block / unpack_block) comes back as it went:
// on one time axis (held once) and not.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "algo/dataset/dataset_support.hpp"

namespace tsbatch {
namespace {

struct owned_series {
    std::vector<std::int64_t> time;
    std::vector<double> value;
    series_view view() const { return {time, value}; }
};

void expect_block_of(const series_block& b, const std::vector<owned_series>& want, std::uint64_t first_row) {
    EXPECT_EQ(b.first_row, first_row);
    ASSERT_EQ(b.size(), want.size());
    const auto views = b.views();
    for (std::size_t i = 0; i < want.size(); ++i) {
        const series_view got = b.series(i);
        ASSERT_EQ(got.size(), want[i].time.size()) << i;
        EXPECT_TRUE(std::equal(got.time.begin(), got.time.end(), want[i].time.begin())) << i;
        // Bits, NaN included.
        EXPECT_EQ(std::memcmp(got.value.data(), want[i].value.data(), got.size() * sizeof(double)), 0) << i;
        EXPECT_EQ(views[i].time.data(), got.time.data());
        EXPECT_EQ(views[i].value.data(), got.value.data());
    }
}

TEST(series_block, a_block_on_one_time_axis_ships_the_axis_once) {
    std::vector<owned_series> in(5);
    for (std::size_t i = 0; i < in.size(); ++i)
        for (std::int64_t t = 0; t < 300; ++t) {
            in[i].time.push_back(1000 + 60 * t);
            in[i].value.push_back(t % 7 == static_cast<std::int64_t>(i) ? std::nan("") : static_cast<double>(i) * t);
        }
    std::vector<series_view> views;
    for (const auto& s : in) views.push_back(s.view());
    const auto bytes = pack_block(views, 42);
    // Counts and values of every series, one axis: well under the 16 bytes a point of each.
    EXPECT_LT(bytes.size(), 5 * 300 * 8 + 300 * 8 + 200);
    const series_block b = unpack_block(bytes);
    EXPECT_TRUE(b.one_axis);
    EXPECT_EQ(b.time.size(), 300u);
    expect_block_of(b, in, 42);
}

TEST(series_block, series_on_different_axes_ship_their_own) {
    // Same lengths, one timestamp apart; another length; an empty series.
    std::vector<owned_series> in(4);
    for (std::int64_t t = 0; t < 50; ++t) {
        in[0].time.push_back(t), in[0].value.push_back(0.5 * t);
        in[1].time.push_back(t == 30 ? 31000 : t), in[1].value.push_back(-1.0 * t);
    }
    for (std::int64_t t = 0; t < 7; ++t) in[2].time.push_back(t * 3), in[2].value.push_back(t);
    std::vector<series_view> views;
    for (const auto& s : in) views.push_back(s.view());
    const series_block b = unpack_block(pack_block(views, 3));
    EXPECT_FALSE(b.one_axis);
    expect_block_of(b, in, 3);
    // No series at all.
    const series_block none = unpack_block(pack_block({}, 9));
    EXPECT_EQ(none.size(), 0u);
    EXPECT_EQ(none.first_row, 9u);
}

}  // namespace
}  // namespace tsbatch
