#pragma once
// The operator registry (ALGORITHMS.md): every operator is an `operator_def` with its name,
// summary, parameter schema, input/output kinds and cost model, and a `bind` function that
// turns validated parameters into a runnable operator. Operators are pure functions on spans:
// they never touch MPI, HDF5, files or the terminal.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "algo/params.hpp"
#include "core/series.hpp"
#include "core/table.hpp"

namespace tsbatch {

enum class data_kind { series, table, matrix };
const char* to_string(data_kind k) noexcept;

/// Estimated work for load balancing: cost(series) = per_series + per_point * points.
/// Units are arbitrary but shared by all operators (1.0 = one cheap pass over a point).
struct cost_model {
    double per_point = 1.0;
    double per_series = 50.0;
};

/// A series-wise operator with bound parameters: one output series per input series.
class series_operator {
public:
    virtual ~series_operator() = default;
    /// Writes the output points of `in` to `out`. Must not throw for any well-formed input
    /// (empty, NaN, constant ...); returns normally with zero points when there is nothing.
    virtual void apply(series_view in, series_sink& out) const = 0;
};

/// A series-wise operator producing one table row per input series.
class table_operator {
public:
    virtual ~table_operator() = default;
    virtual const std::vector<column_spec>& columns() const = 0;
    /// Sets every column of the row for `in`.
    virtual void apply(series_view in, row_sink& row) const = 0;
};

/// One operator with bound parameters; exactly one member is set, matching the def's output.
struct bound_operator {
    std::unique_ptr<series_operator> series;
    std::unique_ptr<table_operator> table;
};

struct operator_def {
    std::string name;
    std::string summary;
    std::vector<param_spec> params;
    data_kind input = data_kind::series;
    data_kind output = data_kind::series;
    cost_model cost;
    /// Builds the operator from validated parameters (every defaulted parameter present;
    /// derived defaults such as resample's max_gap are absent). Throws param_error for
    /// constraints between parameters.
    std::function<bound_operator(const param_values&)> bind;

    const param_spec* find_param(const std::string& pname) const;
};

/// Every operator, in catalogue order.
const std::vector<operator_def>& operator_catalogue();

/// The operator called `name`, or nullptr.
const operator_def* find_operator(const std::string& name);

// Registration hooks, one per operator file; operator_catalogue() calls them in order.
operator_def make_identity_def();
operator_def make_quality_stats_def();
operator_def make_resample_def();
operator_def make_scale_def();
operator_def make_slope_def();
operator_def make_unwrap_def();
operator_def make_cut_def();
operator_def make_rolling_def();
operator_def make_paa_def();
operator_def make_discretize_def();

}  // namespace tsbatch
