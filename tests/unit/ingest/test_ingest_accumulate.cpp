// The accumulator: per-series collection, time sort, duplicate policies, key order and the
// series_batch it builds. Expected values are worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ingest/accumulator.hpp"
#include "text/byte_source.hpp"
#include "ingest/opentsdb_text.hpp"

using namespace tsbatch;
using namespace tsbatch::ingest;
using namespace tsbatch::text;

namespace {

constexpr double missing = std::numeric_limits<double>::quiet_NaN();

struct points {
    std::vector<std::int64_t> time;
    std::vector<double> value;
};

points resolve(points p, duplicate_policy policy, std::vector<std::string>* dups = nullptr) {
    sort_and_resolve(p.time, p.value, policy, [&](std::int64_t t, std::size_t n) {
        if (dups != nullptr) dups->push_back(std::to_string(t) + "x" + std::to_string(n));
    });
    return p;
}

void expect_values(const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (std::isnan(want[i]))
            EXPECT_TRUE(std::isnan(got[i])) << i;
        else
            EXPECT_EQ(got[i], want[i]) << i;
    }
}

}  // namespace

TEST(ingest_accumulate, sorts_stably_by_time) {
    // Input order of the two points at t=20: 2 then 5.
    const points in{{30, 20, 10, 20, 40}, {1, 2, 3, 5, 4}};
    const points first = resolve(in, duplicate_policy::first);
    EXPECT_EQ(first.time, (std::vector<std::int64_t>{10, 20, 30, 40}));
    expect_values(first.value, {3, 2, 1, 4});
    expect_values(resolve(in, duplicate_policy::last).value, {3, 5, 1, 4});
    expect_values(resolve(in, duplicate_policy::mean).value, {3, 3.5, 1, 4});
    const points sorted{{-5, 0, 7}, {1, 2, 3}};
    EXPECT_EQ(resolve(sorted, duplicate_policy::error).time, sorted.time);
    EXPECT_TRUE(resolve({{}, {}}, duplicate_policy::mean).time.empty());
}

TEST(ingest_accumulate, duplicate_policies) {
    // t=1: 1, NaN, 4 -> mean of non-NaN 2.5; t=2: NaN, NaN -> NaN; t=3 single.
    const points in{{1, 2, 1, 3, 2, 1}, {1, missing, missing, 9, missing, 4}};
    std::vector<std::string> dups;
    const points err = resolve(in, duplicate_policy::error, &dups);
    EXPECT_EQ(err.time, (std::vector<std::int64_t>{1, 2, 3}));
    expect_values(err.value, {1, missing, 9});
    EXPECT_EQ(dups, (std::vector<std::string>{"1x3", "2x2"}));
    dups.clear();
    expect_values(resolve(in, duplicate_policy::first, &dups).value, {1, missing, 9});
    EXPECT_TRUE(dups.empty());  // only the error policy reports
    expect_values(resolve(in, duplicate_policy::last).value, {4, missing, 9});
    expect_values(resolve(in, duplicate_policy::mean).value, {2.5, missing, 9});
    EXPECT_EQ(duplicate_policy_from_name("mean"), duplicate_policy::mean);
    EXPECT_EQ(duplicate_policy_from_name("error"), duplicate_policy::error);
    EXPECT_FALSE(duplicate_policy_from_name("max"));
}

TEST(ingest_accumulate, builds_a_batch_in_key_order) {
    accumulator acc;
    const std::size_t b = acc.series({"gw.level", "site=BH02"});
    const std::size_t a = acc.series({"gw.level", "site=BH01"});
    const std::size_t p = acc.series({"ph", ""});
    const std::size_t g = acc.series({"gw", "z=1"});
    EXPECT_EQ(acc.series({"gw.level", "site=BH02"}), b);
    EXPECT_EQ(acc.series_count(), 4U);
    acc.point(b, 20, 2);
    acc.point(a, 10, 1);
    acc.point(b, 10, 1.5);
    acc.point(p, 5, 7);
    acc.point(b, 10, 9);
    acc.point(g, -1, 0);
    EXPECT_EQ(acc.point_count(), 6U);

    std::vector<std::string> reports;
    parse_context ctx([&](const diagnostic& d) { reports.push_back(d.to_string()); });
    const series_batch batch = acc.finish(duplicate_policy::error, ctx);
    ASSERT_EQ(batch.size(), 4U);
    // Sorted by metric, then tags: "gw" < "gw.level" < "ph".
    EXPECT_EQ(batch.meta[0].id, "gw{z=1}");
    EXPECT_EQ(batch.meta[1].id, "gw.level{site=BH01}");
    EXPECT_EQ(batch.meta[2].id, "gw.level{site=BH02}");
    EXPECT_EQ(batch.meta[3].id, "ph");
    EXPECT_EQ(batch.meta[2].metric, "gw.level");
    EXPECT_EQ(batch.meta[2].tags, "site=BH02");
    EXPECT_EQ(batch.meta[3].tags, "");
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(batch.meta[i].source_index, i);
    EXPECT_EQ(batch.offset, (std::vector<std::uint64_t>{0, 1, 2, 4, 5}));
    EXPECT_EQ(batch.time, (std::vector<std::int64_t>{-1, 10, 10, 20, 5}));
    expect_values(batch.value, {0, 1, 1.5, 2, 7});
    EXPECT_EQ(reports, std::vector<std::string>{"series gw.level{site=BH02} has 2 points at "
                                                "1970-01-01T00:00:00.010Z (10 ms); the first is kept"});
    EXPECT_EQ(acc.series_count(), 0U);  // drained
    EXPECT_EQ(acc.point_count(), 0U);
    EXPECT_EQ(acc.finish(duplicate_policy::mean, ctx).size(), 0U);
}

TEST(ingest_accumulate, drain_hands_out_series_one_by_one) {
    accumulator acc;
    const std::size_t x = acc.series({"x", ""});
    const std::size_t w = acc.series({"w", "a=b"});
    for (int i = 5; i > 0; --i) acc.point(x, i, i * 1.5);
    acc.point(w, 3, 1);
    acc.point(w, 3, 2);
    parse_context ctx(nullptr);
    std::vector<std::string> got;
    acc.drain(duplicate_policy::mean, ctx, [&](series_meta m, series_view s) {
        std::string line = m.id + ":";
        for (std::size_t i = 0; i < s.size(); ++i)
            line += " " + std::to_string(s.time[i]) + "=" + std::to_string(s.value[i]);
        got.push_back(line);
    });
    EXPECT_EQ(got, (std::vector<std::string>{"w{a=b}: 3=1.500000",
                                             "x: 1=1.500000 2=3.000000 3=4.500000 4=6.000000 5=7.500000"}));
    EXPECT_EQ(ctx.report_count(), 0U);
}

TEST(ingest_accumulate, collects_across_files_and_formats) {
    accumulator acc;
    parse_context ctx(nullptr);
    const std::string a = "m 1346846460 2 host=a\nm 1346846400 1 host=a\n";
    const std::string b = "m 1346846400 5 host=a\nn 1346846400 3\n";
    for (const std::string* text : {&a, &b}) {
        auto src = open_memory("in.txt", *text);
        read_opentsdb_text(*src, {}, acc, ctx);
    }
    const series_batch batch = acc.finish(duplicate_policy::last, ctx);
    ASSERT_EQ(batch.size(), 2U);
    EXPECT_EQ(batch.meta[0].id, "m{host=a}");
    EXPECT_EQ(batch.time, (std::vector<std::int64_t>{1'346'846'400'000, 1'346'846'460'000, 1'346'846'400'000}));
    expect_values(batch.value, {5, 2, 3});  // last in input order: file b came after file a
}
