#include "pipeline/progress.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "captured_file.hpp"

namespace tsbatch {
namespace {

using test::captured_file;

// A clock the test moves by hand.
struct fake_clock {
    std::int64_t now = 0;
    std::function<std::int64_t()> fn() {
        return [this] { return now; };
    }
};

TEST(FormatHumanCount, UnitsAndRounding) {
    EXPECT_EQ(format_human_count(0), "0");
    EXPECT_EQ(format_human_count(7), "7");
    EXPECT_EQ(format_human_count(999), "999");
    EXPECT_EQ(format_human_count(999.4), "999");
    EXPECT_EQ(format_human_count(999.5), "1.0k");
    EXPECT_EQ(format_human_count(1000), "1.0k");
    EXPECT_EQ(format_human_count(12345), "12.3k");
    EXPECT_EQ(format_human_count(999949), "999.9k");
    EXPECT_EQ(format_human_count(999950), "1.0M");
    EXPECT_EQ(format_human_count(12.3e6), "12.3M");
    EXPECT_EQ(format_human_count(4.5e9), "4.5G");
    EXPECT_EQ(format_human_count(1.2e12), "1.2T");
    EXPECT_EQ(format_human_count(-5), "0");
    EXPECT_EQ(format_human_count(std::nan("")), "0");
}

TEST(FormatHms, HoursMinutesSeconds) {
    EXPECT_EQ(format_hms(0), "0:00:00");
    EXPECT_EQ(format_hms(61), "0:01:01");
    EXPECT_EQ(format_hms(3599), "0:59:59");
    EXPECT_EQ(format_hms(3600), "1:00:00");
    EXPECT_EQ(format_hms(123 * 3600 + 4 * 60 + 5), "123:04:05");
    EXPECT_EQ(format_hms(-3), "0:00:00");
}

TEST(ProgressReporter, RunShorterThanIntervalPrintsNothing) {
    captured_file f;
    fake_clock clock{5000};
    progress_reporter p(f.get(), false, 10000, clock.fn());
    p.start(10, 1000);
    for (int i = 1; i <= 10; ++i) {
        clock.now += 999;
        p.update(static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(i) * 100);
    }
    p.finish();
    EXPECT_FALSE(p.printed());
    EXPECT_EQ(f.text(), "");
}

TEST(ProgressReporter, PlainLinesAtIntervalAndFinalLine) {
    captured_file f;
    fake_clock clock{100000};
    progress_reporter p(f.get(), false, 1000, clock.fn());
    p.start(10, 1000000);
    clock.now += 500;
    p.update(0, 0);  // too early
    clock.now += 500;
    p.update(2, 250000);  // 1 s after start: first line
    clock.now += 999;
    p.update(3, 300000);  // 999 ms after the last line
    clock.now += 1;
    p.update(5, 500000);  // 1000 ms after it
    clock.now += 500;
    p.update(10, 1000000);
    p.finish();
    p.update(10, 1000000);  // after finish: ignored
    EXPECT_EQ(f.text(),
              "progress: 25.0% | series 2/10 | points 250.0k/1.0M | 250.0k points/s | ETA 0:00:03\n"
              "progress: 50.0% | series 5/10 | points 500.0k/1.0M | 250.0k points/s | ETA 0:00:02\n"
              "progress: 100.0% | series 10/10 | points 1.0M/1.0M | 400.0k points/s | ETA 0:00:00\n");
}

TEST(ProgressReporter, RateUnknownBeforeAnyPoint) {
    captured_file f;
    fake_clock clock;
    progress_reporter p(f.get(), false, 1000, clock.fn());
    p.start(3, 900);
    clock.now = 1500;
    p.update(0, 0);
    EXPECT_EQ(f.text(), "progress: 0.0% | series 0/3 | points 0/900 | -- points/s | ETA --\n");
}

TEST(ProgressReporter, PercentIsTruncatedNotRounded) {
    captured_file f;
    fake_clock clock;
    progress_reporter p(f.get(), false, 10, clock.fn());
    p.start(1, 10000);
    clock.now = 10;
    p.update(0, 9999);
    const std::string s = f.text();
    EXPECT_EQ(s.rfind("progress: 99.9% ", 0), 0U) << s;
}

TEST(ProgressReporter, SeriesCountsWhenThereAreNoPoints) {
    captured_file f;
    fake_clock clock;
    progress_reporter p(f.get(), false, 10, clock.fn());
    p.start(4, 0);
    clock.now = 10;
    p.update(1, 0);
    EXPECT_EQ(f.text(), "progress: 25.0% | series 1/4 | points 0/0 | -- points/s | ETA --\n");
}

TEST(ProgressReporter, BarRedrawsOneLineAndEndsIt) {
    captured_file f;
    fake_clock clock;
    progress_reporter p(f.get(), true, 2000, clock.fn());
    p.start(100, 2000000);
    clock.now = 2000;
    p.update(40, 1000000);  // 50%, 500.0k points/s
    clock.now = 4000;
    p.update(99, 1999999);  // 99.9%, shorter rate text below
    clock.now = 5000;
    p.update(100, 2000000);
    p.finish();
    const std::string l1 =
        "[###############...............]  50.0% | series 40/100 | points 1.0M/2.0M | 500.0k points/s | ETA 0:00:02";
    const std::string l2 =
        "[#############################.]  99.9% | series 99/100 | points 2.0M/2.0M | 500.0k points/s | ETA 0:00:01";
    const std::string l3 =
        "[##############################] 100.0% | series 100/100 | points 2.0M/2.0M | 400.0k points/s | ETA 0:00:00";
    EXPECT_EQ(f.text(), "\r" + l1 + "\r" + l2 + "\r" + l3 + "\n");
}

TEST(ProgressReporter, BarBlanksLeftoversOfLongerLine) {
    captured_file f;
    fake_clock clock;
    progress_reporter p(f.get(), true, 1000, clock.fn());
    p.start(10, 1000);
    clock.now = 1000;
    p.update(0, 0);  // "-- points/s | ETA --"
    const std::string first = f.text();
    clock.now = 1000000;
    p.update(1, 1);  // "0 points/s | ETA 277:30:00": longer; then a shorter one
    clock.now = 1001000;
    p.update(2, 1000);
    p.finish();
    const std::string s = f.text();
    // Every redraw is at least as wide as the previous one, so nothing old stays visible.
    std::size_t prev_width = 0;
    std::size_t pos = 0;
    while ((pos = s.find('\r', pos)) != std::string::npos) {
        const std::size_t end = s.find_first_of("\r\n", pos + 1);
        const std::size_t width = (end == std::string::npos ? s.size() : end) - pos - 1;
        EXPECT_GE(width, prev_width);
        prev_width = width;
        pos = end == std::string::npos ? s.size() : end;
    }
    EXPECT_EQ(s.back(), '\n');
    EXPECT_EQ(first.find('\n'), std::string::npos);
}

TEST(ProgressReporter, NothingBeforeStart) {
    captured_file f;
    fake_clock clock;
    progress_reporter p(f.get(), false, 0, clock.fn());
    p.update(1, 1);
    p.finish();
    EXPECT_EQ(f.text(), "");
}

TEST(ProgressReporter, ZeroIntervalPrintsEveryUpdate) {
    captured_file f;
    fake_clock clock;
    progress_reporter p(f.get(), false, 0, clock.fn());
    p.start(2, 2);
    p.update(1, 1);
    p.update(2, 2);
    const std::string s = f.text();
    EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 2);
}

TEST(ProgressReporter, DefaultClockWorks) {
    captured_file f;
    progress_reporter p(f.get(), false, 3600000);
    p.start(1, 1);
    p.update(1, 1);
    p.finish();
    EXPECT_EQ(f.text(), "");
    EXPECT_GE(steady_clock_ms(), 0);
}

}  // namespace
}  // namespace tsbatch
