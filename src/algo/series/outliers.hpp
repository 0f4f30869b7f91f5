#pragma once
// `outliers`: robust outlier detection (Hampel filter over a centred window, global median/MAD,
// or Tukey's IQR fences) with two outputs: the series (unchanged, outliers removed, or outliers
// replaced by their reference median) and a table with one row per outlier. See outliers.cpp
// for the exact contract.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "algo/param_fields.hpp"
#include "algo/series/rolling.hpp"
#include "core/series.hpp"
#include "core/table.hpp"

namespace tsbatch {

enum class outlier_method { hampel, mad, iqr };
enum class outlier_action { flag, remove, replace };
// Their names, in enum order (the parameter choices).
inline constexpr std::array outlier_method_names{"hampel", "mad", "iqr"};
inline constexpr std::array outlier_action_names{"flag", "remove", "replace"};

struct outliers_params {
    outlier_method method = outlier_method::hampel;
    rolling_window window{7, 0};  ///< hampel's centred window: points or a duration
    double threshold = 3.0;       ///< > 0: outlier when score > threshold
    outlier_action action = outlier_action::flag;

    /// The parameters' declarations: schema, defaults and bounds; fields().read(values) gives
    /// checked parameters (check_outliers_params included) or throws param_error naming one.
    static const param_fields<outliers_params>& fields();
};

/// MAD to standard deviation for normal data (1 / Phi^-1(3/4), rounded as in the literature).
inline constexpr double mad_scale_factor = 1.4826;

/// Throws param_error when `p` breaks a constraint (no window or two, threshold <= 0 or not
/// finite).
void check_outliers_params(const outliers_params& p);

/// One detected outlier: the point's index in the series, the median it is compared with, and
/// its score (see outliers.cpp); score > threshold.
struct outlier_flag {
    std::size_t index = 0;
    double reference = 0.0;
    double score = 0.0;
};

/// The outliers of `in`, in time order. Throws param_error for invalid `p`; never throws for
/// any series.
std::vector<outlier_flag> detect_outliers(series_view in, const outliers_params& p);

namespace detail {
/// detect_outliers with hampel's choice of window structure moved: a series whose widest
/// window holds at most `sorted_limit` points uses the sorted array, others the Fenwick tree
/// (tests run both on the same windows).
std::vector<outlier_flag> detect_outliers(series_view in, const outliers_params& p, std::size_t sorted_limit);
}  // namespace detail

/// The columns of the `flags` table: time, value, reference, score.
std::vector<column_spec> outlier_flag_columns();

/// Detects the outliers of `in`, writes the series output (as p.action says) to `series_out`
/// and one row per outlier to `flags_out`.
void outliers(series_view in, const outliers_params& p, series_sink& series_out, table_sink& flags_out);

}  // namespace tsbatch
