#pragma once
// Numbers for people: counts, rates and durations in the terminal and in reports.
#include <cstdint>
#include <string>

namespace tsbatch {

/// Counts and rates in SI units, one decimal above 1000: `999`, `1.0k`, `12.3M`, `4.5G`, `1.2T`.
/// Values below 1000 are rounded to an integer; negative values are printed as 0.
std::string format_human_count(double v);

/// A duration in whole seconds as `h:mm:ss` (hours not bounded: `123:04:05`).
std::string format_hms(std::int64_t seconds);

}  // namespace tsbatch
