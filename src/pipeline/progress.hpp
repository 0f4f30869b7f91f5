#pragma once
// Rank 0's progress line during a run: a redrawn bar on a terminal, or periodic
// "progress:" lines in batch logs. The clock is injected so tests can check exact output.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include "core/format.hpp"

namespace tsbatch {

/// Milliseconds of std::chrono::steady_clock: the default clock of progress_reporter.
std::int64_t steady_clock_ms();

/// Prints progress of a run to `out`. Not thread-safe: one thread (rank 0's) calls it.
class progress_reporter {
public:
    /// Width of the [####....] bar in bar mode, in characters.
    static constexpr int bar_width = 30;

    /// `bar`: redraw one line with '\r' (stderr is a terminal); otherwise print newline-
    /// terminated lines prefixed "progress:". A line is printed at most every `interval_ms`
    /// (<= 0: at every update). `now_ms` defaults to steady_clock_ms.
    progress_reporter(std::FILE* out, bool bar, std::int64_t interval_ms,
                      std::function<std::int64_t()> now_ms = {});

    /// Starts the clock; the totals are the 100% marks.
    void start(std::uint64_t total_series, std::uint64_t total_points);

    /// Records the work done so far (cumulative counts). Cheap: reads the clock and prints
    /// only when `interval_ms` has passed since the last print, or since start() for the
    /// first one, so a run shorter than the interval prints nothing.
    void update(std::uint64_t series_done, std::uint64_t points_done);

    /// Prints the final line with the counts of the last update(), only if a line was
    /// printed before; in bar mode it also ends the line. Later updates print nothing.
    void finish();

    /// Whether any line was printed.
    bool printed() const noexcept { return printed_; }

    /// The progress line for the current counts at time `now_ms`, without '\r', padding or
    /// newline (exposed for tests and for callers that log it elsewhere).
    std::string line(std::int64_t now_ms) const;

private:
    void print(std::int64_t now);

    std::FILE* out_;
    bool bar_;
    std::int64_t interval_ms_;
    std::function<std::int64_t()> now_ms_;
    bool started_ = false;
    bool finished_ = false;
    bool printed_ = false;
    std::int64_t start_ms_ = 0;
    std::int64_t last_print_ms_ = 0;
    std::uint64_t total_series_ = 0;
    std::uint64_t total_points_ = 0;
    std::uint64_t series_done_ = 0;
    std::uint64_t points_done_ = 0;
    std::size_t last_width_ = 0;  // bar mode: length of the line on screen, to blank leftovers
};

}  // namespace tsbatch
