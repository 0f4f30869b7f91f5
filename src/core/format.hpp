#pragma once
// Numbers for people: counts, rates and durations in the terminal and in reports.
#include <cstdint>
#include <string>
#include <string_view>

namespace tsbatch {

/// Counts and rates in SI units, one decimal above 1000: `999`, `1.0k`, `12.3M`, `4.5G`, `1.2T`.
/// Values below 1000 are rounded to an integer; negative values are printed as 0.
std::string format_human_count(double v);

/// A duration in whole seconds as `h:mm:ss` (hours not bounded: `123:04:05`).
std::string format_hms(std::int64_t seconds);

/// An exact count with its thousands grouped: 12345678 -> "12,345,678" (tables and reports,
/// where SI rounding would hide detail).
std::string format_grouped_count(std::uint64_t n);

/// `n` and then `one` or `many` as n is 1 or not: "1 tag", "3 points", "2 points fall"; with
/// `grouped`, the count as format_grouped_count writes it.
std::string plural(std::uint64_t n, std::string_view one, std::string_view many, bool grouped = false);

}  // namespace tsbatch
