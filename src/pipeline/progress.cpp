#include "pipeline/progress.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <utility>

namespace tsbatch {

std::int64_t steady_clock_ms() {
    const auto now = std::chrono::steady_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
}

progress_reporter::progress_reporter(std::FILE* out, bool bar, std::int64_t interval_ms,
                                     std::function<std::int64_t()> now_ms)
    : out_(out), bar_(bar), interval_ms_(interval_ms), now_ms_(std::move(now_ms)) {
    if (!now_ms_) now_ms_ = steady_clock_ms;
}

void progress_reporter::start(std::uint64_t total_series, std::uint64_t total_points) {
    total_series_ = total_series;
    total_points_ = total_points;
    series_done_ = 0;
    points_done_ = 0;
    start_ms_ = now_ms_();
    last_print_ms_ = start_ms_;
    started_ = true;
    finished_ = false;
}

void progress_reporter::update(std::uint64_t series_done, std::uint64_t points_done) {
    if (!started_ || finished_) return;
    series_done_ = series_done;
    points_done_ = points_done;
    const std::int64_t now = now_ms_();
    if (now - last_print_ms_ >= interval_ms_) print(now);
}

void progress_reporter::finish() {
    if (!started_ || finished_) return;
    finished_ = true;
    if (!printed_) return;  // a short run stays silent
    print(now_ms_());
    if (bar_) std::fputc('\n', out_);
    std::fflush(out_);
}

std::string progress_reporter::line(std::int64_t now_ms) const {
    // Points measure the work best (series lengths are skewed); fall back on series counts
    // for a collection without points. Tenths of a percent, truncated so that "100.0%"
    // means done; long double keeps done * 1000 exact in its 64-bit mantissa.
    std::uint64_t done = points_done_, total = total_points_;
    if (total == 0) {
        done = series_done_;
        total = total_series_;
    }
    const std::uint64_t permille =
        total == 0 || done >= total
            ? 1000
            : static_cast<std::uint64_t>(static_cast<long double>(done) * 1000 / static_cast<long double>(total));

    // Average rate since start: with skewed series the recent rate jumps around, the mean
    // gives a steadier ETA.
    const std::int64_t elapsed_ms = now_ms - start_ms_;
    std::string rate = "--";
    std::string eta = "--";
    if (elapsed_ms > 0 && points_done_ > 0) {
        const double per_s = static_cast<double>(points_done_) * 1000.0 / static_cast<double>(elapsed_ms);
        rate = format_human_count(per_s);
        const double left = static_cast<double>(total_points_ > points_done_ ? total_points_ - points_done_ : 0);
        // Bounded so that a crawling start cannot overflow the conversion.
        eta = format_hms(static_cast<std::int64_t>(std::ceil(std::min(left / per_s, 1e12))));
    }

    std::string s;
    if (bar_) {
        const auto full = static_cast<int>(permille * bar_width / 1000);
        s += '[';
        s.append(static_cast<std::size_t>(full), '#');
        s.append(static_cast<std::size_t>(bar_width - full), '.');
        s += "] ";
    } else {
        s += "progress: ";
    }
    // Padded in the bar so that it does not shift as it grows.
    char buf[64];
    std::snprintf(buf, sizeof buf, bar_ ? "%3llu.%llu%%" : "%llu.%llu%%", static_cast<unsigned long long>(permille / 10),
                  static_cast<unsigned long long>(permille % 10));
    s += buf;
    std::snprintf(buf, sizeof buf, " | series %llu/%llu", static_cast<unsigned long long>(series_done_),
                  static_cast<unsigned long long>(total_series_));
    s += buf;
    s += " | points " + format_human_count(static_cast<double>(points_done_)) + "/" +
         format_human_count(static_cast<double>(total_points_));
    s += " | " + rate + " points/s | ETA " + eta;
    return s;
}

void progress_reporter::print(std::int64_t now) {
    std::string s = line(now);
    if (bar_) {
        // '\r' returns to the start of the line; spaces blank what a longer previous line
        // left on screen (no terminal escape codes: the output may be a pipe after all).
        const std::size_t width = s.size();
        if (width < last_width_) s.append(last_width_ - width, ' ');
        last_width_ = width;
        std::fputc('\r', out_);
        std::fputs(s.c_str(), out_);
    } else {
        std::fputs(s.c_str(), out_);
        std::fputc('\n', out_);
    }
    // Logs and terminals should see the line now, not when a buffer fills.
    std::fflush(out_);
    printed_ = true;
    last_print_ms_ = now;
}

}  // namespace tsbatch
