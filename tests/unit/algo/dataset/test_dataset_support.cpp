// A block of series shipped between ranks (pack_block / unpack_block) comes back as it went:
// on one time axis (held once) and not.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "algo/dataset/dataset_support.hpp"

namespace tsbatch {
namespace {

void expect_block_of(const series_block& b, const series_batch& want, std::uint64_t first_row) {
    EXPECT_EQ(b.first_row, first_row);
    ASSERT_EQ(b.size(), want.size());
    const auto views = b.views();
    for (std::size_t i = 0; i < want.size(); ++i) {
        const series_view got = b.series(i), w = want.series(i);
        ASSERT_EQ(got.size(), w.size()) << i;
        EXPECT_TRUE(std::equal(got.time.begin(), got.time.end(), w.time.begin())) << i;
        // Bits, NaN included.
        EXPECT_EQ(std::memcmp(got.value.data(), w.value.data(), got.size() * sizeof(double)), 0) << i;
        EXPECT_EQ(views[i].time.data(), got.time.data());
        EXPECT_EQ(views[i].value.data(), got.value.data());
    }
}

TEST(series_block, a_block_on_one_time_axis_ships_the_axis_once) {
    series_batch in;
    for (std::uint64_t i = 0; i < 5; ++i) {
        auto sink = in.open_series({"s" + std::to_string(i), "m", "", i});
        for (std::int64_t t = 0; t < 300; ++t)
            sink.push(1000 + 60 * t, t % 7 == static_cast<std::int64_t>(i) ? std::nan("") : static_cast<double>(i) * t);
        in.close_series();
    }
    const auto bytes = pack_block(views_of(in), 42);
    // Counts and values of every series, one axis: well under the 16 bytes a point of each.
    EXPECT_LT(bytes.size(), 5 * 300 * 8 + 300 * 8 + 200);
    const series_block b = unpack_block(bytes);
    EXPECT_TRUE(b.one_axis);
    EXPECT_EQ(b.time.size(), 300u);
    expect_block_of(b, in, 42);
}

TEST(series_block, series_on_different_axes_ship_their_own) {
    // Same lengths, one timestamp apart; another length; an empty series.
    series_batch in;
    for (std::uint64_t i = 0; i < 4; ++i) {
        auto sink = in.open_series({"s" + std::to_string(i), "m", "", i});
        const std::int64_t n = i < 2 ? 50 : i == 2 ? 7 : 0;
        for (std::int64_t t = 0; t < n; ++t)
            sink.push(i == 2 ? 3000 * t : i == 1 && t == 30 ? 30001 : 1000 * t, static_cast<double>(i) - 0.5 * t);
        in.close_series();
    }
    const series_block b = unpack_block(pack_block(views_of(in), 3));
    EXPECT_FALSE(b.one_axis);
    expect_block_of(b, in, 3);
    // No series at all.
    const series_block none = unpack_block(pack_block({}, 9));
    EXPECT_EQ(none.size(), 0u);
    EXPECT_EQ(none.first_row, 9u);
}

}  // namespace
}  // namespace tsbatch
