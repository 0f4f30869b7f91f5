#include <gtest/gtest.h>

#include <vector>

#include "core/series.hpp"

using namespace tsbatch;

namespace {

void expect_series(const series_batch& b, std::size_t i, const std::vector<std::int64_t>& t,
                   const std::vector<double>& v) {
    const series_view s = b.series(i);
    EXPECT_EQ(std::vector<std::int64_t>(s.time.begin(), s.time.end()), t) << "series " << i;
    EXPECT_EQ(std::vector<double>(s.value.begin(), s.value.end()), v) << "series " << i;
    EXPECT_EQ(b.count(i), v.size()) << "series " << i;
}

}  // namespace

// Consecutive series on one axis keep it once; a series on another axis or of another length
// brings its own; every series reads back as appended.
TEST(series_batch, consecutive_series_on_one_axis_share_it) {
    const std::vector<std::int64_t> grid{0, 10, 20}, shifted{1, 11, 21}, longer{0, 10, 20, 30};
    const std::vector<double> a{1, 2, 3}, b{4, 5, 6}, c{7, 8, 9}, d{1, 2, 3, 4};
    series_batch batch;
    batch.append_sharing_time({"a", "m", "", 0}, {grid, a});
    batch.append_sharing_time({"b", "m", "", 1}, {grid, b});
    batch.append_sharing_time({"c", "m", "", 2}, {shifted, c});
    batch.append_sharing_time({"d", "m", "", 3}, {longer, d});
    batch.append_sharing_time({"e", "m", "", 4}, {});
    batch.append_sharing_time({"f", "m", "", 5}, {longer, d});
    ASSERT_EQ(batch.size(), 6U);
    expect_series(batch, 0, grid, a);
    expect_series(batch, 1, grid, b);
    expect_series(batch, 2, shifted, c);
    expect_series(batch, 3, longer, d);
    expect_series(batch, 4, {}, {});
    expect_series(batch, 5, longer, d);
    EXPECT_EQ(batch.point_count(), 3U + 3 + 3 + 4 + 0 + 4);
    EXPECT_EQ(batch.time.size(), 3U + 3 + 4 + 4);  // grid once; longer again after the empty one
    EXPECT_EQ(batch.series(0).time.data(), batch.series(1).time.data());
    EXPECT_TRUE(same_time_axis(batch.series(0), batch.series(1)));
}

// A batch filled by append() first (time_at empty) may go on sharing.
TEST(series_batch, sharing_starts_after_plain_appends) {
    const std::vector<std::int64_t> grid{5, 6};
    series_batch batch;
    batch.append({"a", "m", "", 0}, {grid, std::vector<double>{1, 2}});
    batch.append({"b", "m", "", 1}, {std::vector<std::int64_t>{7}, std::vector<double>{3}});
    batch.append_sharing_time({"c", "m", "", 2}, {std::vector<std::int64_t>{7}, std::vector<double>{4}});
    batch.append_sharing_time({"d", "m", "", 3}, {grid, std::vector<double>{5, 6}});
    expect_series(batch, 0, grid, {1, 2});
    expect_series(batch, 1, {7}, {3});
    expect_series(batch, 2, {7}, {4});
    expect_series(batch, 3, grid, {5, 6});
    EXPECT_EQ(batch.time.size(), 2U + 1 + 2);
}

TEST(series_batch, same_time_axis_compares_timestamps) {
    const std::vector<std::int64_t> a{1, 2, 3}, b{1, 2, 3}, c{1, 2, 4}, d{1, 2};
    EXPECT_TRUE(same_time_axis(a, b));
    EXPECT_FALSE(same_time_axis(a, c));
    EXPECT_FALSE(same_time_axis(a, d));
    EXPECT_TRUE(same_time_axis(std::span<const std::int64_t>{}, std::span<const std::int64_t>{}));
}
