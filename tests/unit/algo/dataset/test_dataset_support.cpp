// A block of series shipped between ranks (pack_block / unpack_block) comes back as it went:
// on one time axis (held once) and not, read where the bytes lie.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "algo/dataset/dataset_support.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"

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

// Whether `p` lies in `bytes`.
bool inside(const void* p, const std::vector<std::byte>& bytes) {
    const auto* b = reinterpret_cast<const std::byte*>(p);
    return b >= bytes.data() && b < bytes.data() + bytes.size();
}

TEST(series_block, is_read_in_its_bytes_and_moves_with_them) {
    for (const bool one_axis : {true, false}) {
        SCOPED_TRACE(one_axis ? "one axis" : "own axes");
        series_batch in;
        for (std::uint64_t i = 0; i < 3; ++i) {
            auto sink = in.open_series({"s" + std::to_string(i), "m", "", i});
            for (std::int64_t t = 0; t < 40; ++t)
                sink.push(one_axis ? 10 * t : 10 * t + static_cast<std::int64_t>(i),
                          static_cast<double>(i * 100) + 0.25 * t);
            in.close_series();
        }
        series_block b = unpack_block(pack_block(views_of(in), 7));
        ASSERT_EQ(b.one_axis, one_axis);
        // No copy on arrival: the views point into the message.
        for (std::size_t i = 0; i < b.size(); ++i) {
            EXPECT_TRUE(inside(b.series(i).time.data(), b.bytes)) << i;
            EXPECT_TRUE(inside(b.series(i).value.data(), b.bytes)) << i;
        }
        // Moved (into the ring's next step, or a vector that grows), the views go along.
        std::vector<series_block> held;
        held.push_back(std::move(b));
        held.emplace_back();
        expect_block_of(held.front(), in, 7);
        // Passed on as it came: the bytes unpack again to the same block.
        expect_block_of(unpack_block(std::move(held.front().bytes)), in, 7);
    }
}

TEST(byte_reader, views_an_array_in_place_only_where_it_is_aligned) {
    byte_writer w;
    w.array(std::vector<double>{1.5, -2.0});
    w.pod(std::uint8_t{1});
    w.array(std::vector<double>{3.0});
    const auto bytes = w.take();
    byte_reader r(bytes);
    const auto first = r.view_array<double>();
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(first[1], -2.0);
    EXPECT_TRUE(inside(first.data(), bytes));
    r.pod<std::uint8_t>();
    EXPECT_THROW(r.view_array<double>(), internal_error);
}

}  // namespace
}  // namespace tsbatch
