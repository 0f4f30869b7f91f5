#pragma once
// `discretize`: one table row per series with an aggregation (min, max, mean, std) of each
// of `buckets` equal-duration buckets over the series' time range; columns `{agg}_b{n}`.
// See discretize.cpp for the exact contract.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "algo/param_fields.hpp"
#include "core/series.hpp"
#include "core/table.hpp"

namespace tsbatch {

enum class discretize_aggregation { min, max, mean, std };

struct discretize_params {
    std::int64_t buckets = 1;                                                        ///< >= 1
    std::vector<discretize_aggregation> aggregations{discretize_aggregation::mean};  ///< distinct, not empty

    /// The parameters' declarations: schema, defaults and bounds; fields().read(values) gives
    /// checked parameters (check_discretize_params included) or throws param_error naming one.
    static const param_fields<discretize_params>& fields();
};

/// Parses a comma-separated list of aggregation names (spaces around names ignored); throws
/// param_error("aggregations", ...) for an empty list, an unknown or a repeated name.
std::vector<discretize_aggregation> parse_discretize_aggregations(std::string_view text);

/// Throws param_error when `p` breaks a constraint.
void check_discretize_params(const discretize_params& p);

/// The columns `{agg}_b{n}`: for each aggregation in order, buckets 1..B (float64).
std::vector<column_spec> discretize_columns(const discretize_params& p);

/// Writes one value per column of discretize_columns(p) to `out`, in that order; NaN for an
/// empty bucket. Throws param_error for invalid `p`; never throws for any series.
void discretize(series_view in, const discretize_params& p, std::span<double> out);

}  // namespace tsbatch
