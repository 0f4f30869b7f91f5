#pragma once
// `cut_y`: splits each series by a condition on its values into `match` and `complement`.
// See cut_y.cpp for the exact contract.
#include "algo/condition/condition.hpp"
#include "core/series.hpp"

namespace tsbatch {

class param_values;

/// `text`, the value of parameter `name`, parsed as a condition; a syntax error becomes a
/// param_error naming the parameter and the column of the mistake.
condition parse_condition_param(const std::string& text, const std::string& name);

/// Writes the points of `in` where `cond` holds to `match` and every other point (NaN values
/// included) to `complement`, both in time order. Never throws.
void cut_y(series_view in, const condition& cond, series_sink& match, series_sink& complement);

}  // namespace tsbatch
