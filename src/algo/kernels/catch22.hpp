#pragma once
// The 22 time-series features of catch22 (Lubba et al., "catch22: CAnonical Time-series
// CHaracteristics", Data Min. Knowl. Disc. 2019) as its reference C implementation computes
// them, under tsbatch's short names, plus the two catch24 extras (mean, std).
//
// The kernels are written from the features' definitions, not from the reference code; where
// the reference's arithmetic decides a discrete outcome (which histogram bin, which lag is the
// first below a threshold) they do the same operations in the same order, so that results
// agree with it to rounding (tests/unit/algo/kernels/test_catch22.cpp holds the measured
// agreement, feature by feature). catch22_kernels.hpp says, per feature, what it computes;
// the kernels are in catch22_*.cpp, one family of features per file.
#include <array>
#include <cstddef>
#include <span>
#include <string_view>

namespace tsbatch {

inline constexpr std::size_t catch22_count = 22;

/// The features' short names, in the reference's output order.
const std::array<std::string_view, catch22_count>& catch22_names();

/// The reference's long name of each feature (DN_OutlierInclude_n_001_mdrmd, ...), same order.
const std::array<std::string_view, catch22_count>& catch22_reference_names();

/// Why a series has no features. The reference refuses the first three (and prints nothing);
/// a constant series has no z-score, so every feature is undefined; nor has a series whose
/// spread overflows double precision (values beyond ~1e154 in magnitude: their squares are
/// infinite), where the reference would compute on NaN.
enum class catch22_status { ok, too_short, missing, infinite, constant, overflow };

/// The reason column's text for each status ("" for ok).
std::string_view to_string(catch22_status s) noexcept;

/// Series shorter than this have no features (the reference's own limit).
inline constexpr std::size_t catch22_min_points = 10;

/// Computes the 22 features of `y` into `out` (catch22_count values, names as
/// catch22_names()). Checks, in this order: fewer than catch22_min_points values ->
/// too_short; any NaN -> missing; any +-inf -> infinite; every value equal -> constant; a
/// z-score that is not finite -> overflow. For any status but ok every output is NaN. Never throws for any input
/// (allocation aside).
catch22_status compute_catch22(std::span<const double> y, std::span<double, catch22_count> out);

/// catch24's two extras on the raw values: the mean (a plain left-to-right sum / n, as the
/// reference) and the standard deviation with n - 1. NaN for fewer than 2 values.
struct catch24_moments {
    double mean;
    double std;
};
catch24_moments compute_catch24_moments(std::span<const double> y) noexcept;

}  // namespace tsbatch
