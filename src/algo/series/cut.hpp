#pragma once
// `cut`: keeps the points of a time range, [from, to) or the first nb_points at or after
// from. See cut.cpp for the exact contract.
#include <cstdint>
#include <optional>
#include <span>

#include "algo/param_fields.hpp"
#include "core/series.hpp"

namespace tsbatch {

struct cut_params {
    std::int64_t from = 0;                  ///< ms since the epoch, inclusive
    std::optional<std::int64_t> to;         ///< ms since the epoch, exclusive, > from
    std::optional<std::int64_t> nb_points;  ///< >= 1; exactly one of to and nb_points is set

    /// The parameters' declarations: schema, defaults and bounds; fields().read(values) gives
    /// checked parameters (check_cut_params included) or throws param_error naming one.
    static const param_fields<cut_params>& fields();
};

/// Throws param_error when `p` breaks a constraint (both or neither of to and nb_points,
/// to <= from, nb_points < 1).
void check_cut_params(const cut_params& p);

/// Index range [first, last) of the points `p` keeps in `time` (sorted).
struct cut_range {
    std::size_t first = 0;
    std::size_t last = 0;
};
cut_range cut_indices(std::span<const std::int64_t> time, const cut_params& p);

/// Writes the kept points, possibly none. Throws param_error for invalid `p`; never throws
/// for any series.
void cut(series_view in, const cut_params& p, series_sink& out);

}  // namespace tsbatch
