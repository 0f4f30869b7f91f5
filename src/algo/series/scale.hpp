#pragma once
// `scale`: rescales each series by statistics of its own non-NaN values (z-score, min-max,
// max-abs, robust median/IQR). See scale.cpp for the exact contract.
#include <array>
#include <cstdint>
#include <span>

#include "algo/param_fields.hpp"
#include "core/series.hpp"

namespace tsbatch {

enum class scale_method { zscore, minmax, maxabs, robust };
inline constexpr std::array scale_method_names{"zscore", "minmax", "maxabs", "robust"};  // enum order

struct scale_params {
    scale_method method = scale_method::zscore;
    int ddof = 1;  ///< zscore's standard deviation divides by count - ddof; 0 or 1

    /// The parameters' declarations: schema, defaults and bounds; fields().read(values) gives
    /// checked parameters (check_scale_params included) or throws param_error naming one.
    static const param_fields<scale_params>& fields();
};

/// Throws param_error when `p` breaks a constraint (ddof outside 0..1).
void check_scale_params(const scale_params& p);

/// The affine map a series is scaled with: y = (x - center) / divisor for non-NaN x, or
/// y = 0 when `constant`. NaN x always gives NaN.
struct scale_fit {
    double center = 0.0;
    double divisor = 1.0;
    bool constant = false;   ///< max == min over the non-NaN values (one value included)
    std::int64_t count = 0;  ///< non-NaN values; 0 means every output is NaN
};

/// Fits the map of `p.method` to the non-NaN values of `v`. Throws param_error for invalid `p`.
scale_fit fit_scale(std::span<const double> v, const scale_params& p);

/// Writes the scaled series: the input timestamps, one output point per input point.
/// Throws param_error for invalid `p`; never throws for any series.
void scale(series_view in, const scale_params& p, series_sink& out);

}  // namespace tsbatch
