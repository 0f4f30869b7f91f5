#pragma once
// The operator registry (ALGORITHMS.md): every operator is an `operator_def` with its name,
// summary, parameter schema, input/output kinds and cost model, and a `bind` function that
// turns validated parameters into a runnable operator. Operators are pure functions on spans:
// they never touch MPI, HDF5, files or the terminal.
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "algo/dataset_operator.hpp"
#include "algo/params.hpp"
#include "core/enum_names.hpp"
#include "core/series.hpp"
#include "core/table.hpp"

namespace tsbatch {

enum class data_kind { series, table, matrix };
inline constexpr std::array data_kind_names{"series", "table", "matrix"};  // enum order
inline const char* to_string(data_kind k) noexcept {
    return enum_name(k, data_kind_names);
}

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

/// Where one input series' results go when an operator has several outputs: one sink per
/// output, indexed like operator_def::outputs (a series sink for a series output, a table
/// sink for a table output).
class output_sinks {
public:
    explicit output_sinks(std::size_t n) : series_(n, nullptr), tables_(n, nullptr) {}
    void bind(std::size_t output, series_sink* s) { series_[output] = s; }
    void bind(std::size_t output, table_sink* t) { tables_[output] = t; }
    series_sink& series(std::size_t output) const { return *series_[output]; }
    table_sink& table(std::size_t output) const { return *tables_[output]; }

private:
    std::vector<series_sink*> series_;
    std::vector<table_sink*> tables_;
};

/// A series-wise operator with several outputs (cut_y: match and complement; outliers: the
/// cleaned series and a table of flags). A table output may hold any number of rows per
/// input series (table_sink::add_row), e.g. one per trigger.
class multi_operator {
public:
    virtual ~multi_operator() = default;
    /// The columns of table output `output` (only asked for table outputs).
    virtual std::vector<column_spec> columns(std::size_t output) const = 0;
    virtual void apply(series_view in, const output_sinks& out) const = 0;
};

/// One member of a group of series processed together (see group_operator).
struct group_member {
    const series_meta* meta;
    series_view data;
};

/// The error of one whole group (e.g. no reference series in it). The executor skips the
/// group's series or fails the run, as run.on_series_error says.
class group_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// An operator that needs every series of a group at once (cut_by_reference): series are
/// grouped by the value of one tag, the run keeps each group on one rank, and the operator
/// appends its output series, with their identities, to `out`.
class group_operator {
public:
    virtual ~group_operator() = default;
    /// The tag whose value defines the groups.
    virtual const std::string& group_tag() const = 0;
    /// `group` holds the members in run order, all with the same group_tag value. Throws
    /// group_error when the group as a whole is unusable.
    virtual void apply(std::span<const group_member> group, series_batch& out) const = 0;
};

/// One operator with bound parameters; exactly one member is set: `series` or `table` for
/// single-output operators, `multi` for several outputs, `group` for group operators,
/// `dataset` for dataset-wide operators.
struct bound_operator {
    std::unique_ptr<series_operator> series;
    std::unique_ptr<table_operator> table;
    std::unique_ptr<multi_operator> multi;
    std::unique_ptr<group_operator> group;
    std::unique_ptr<dataset_operator> dataset;
};

/// One output of an operator. A single output has an empty name and is the step's group
/// /<step>; several outputs are the subgroups /<step>/<name>.
struct output_spec {
    std::string name;
    data_kind kind = data_kind::series;
    std::string summary;
};

struct operator_def {
    std::string name;
    std::string summary;
    std::vector<param_spec> params;
    data_kind input = data_kind::series;
    std::vector<output_spec> outputs{{"", data_kind::series, ""}};
    cost_model cost;
    /// Dataset-wide (dataset_operator): runs once over every series of the run after the
    /// series-wise steps, and its outputs feed no other step.
    bool dataset_wide = false;
    /// A dataset-wide operator that may read a table output of an earlier step (kmeans on
    /// quality_stats columns) as well as series.
    bool reads_tables = false;
    /// A parameter whose value `table:<step>` names the step's input (kmeans `features`, as
    /// ALGORITHMS.md spells it); the config resolves it like `input: <step>`.
    std::string input_param;
    /// Builds the operator from validated parameters (every defaulted parameter present;
    /// derived defaults such as resample's max_gap are absent). Throws param_error for
    /// constraints between parameters.
    std::function<bound_operator(const param_values&)> bind;

    const param_spec* find_param(const std::string& pname) const;
    /// The output a later step reads by default: the first series output, or -1.
    int default_series_output() const;
    /// The output called `oname` ("" = the default series output), or -1.
    int find_output(const std::string& oname) const;
    bool multi_output() const noexcept { return outputs.size() > 1; }
};

/// The series operator most operators are: one function fn(in, params, out) of a series and
/// the operator's parameter struct P.
template <auto fn, class P>
class series_function final : public series_operator {
public:
    explicit series_function(P p) : p_(std::move(p)) {}
    void apply(series_view in, series_sink& out) const override { fn(in, p_, out); }

private:
    P p_;
};

// Building operator_defs from a parameter struct P whose static P::fields() declares its
// parameters (algo/param_fields.hpp).

/// operator_def::bind that reads P's parameters and makes an Op of them, stored in `slot`
/// (&bound_operator::series, ::table, ::multi, ...).
template <class P, class Op, auto slot>
bound_operator bind_from_fields(const param_values& values) {
    bound_operator b;
    b.*slot = std::make_unique<Op>(P::fields().read(values));
    return b;
}

/// The name, summary, parameter schema (from P::fields()) and cost of an operator.
template <class P>
operator_def describe_operator(std::string name, std::string summary, cost_model cost) {
    operator_def d;
    d.name = std::move(name);
    d.summary = std::move(summary);
    d.params = P::fields().specs();
    d.cost = cost;
    return d;
}

/// A dataset-wide operator's name, summary and parameter schema (its cost is not per series).
template <class P>
operator_def describe_dataset_operator(std::string name, std::string summary) {
    operator_def d = describe_operator<P>(std::move(name), std::move(summary), {0.0, 0.0});
    d.dataset_wide = true;
    return d;
}

/// A series-wise operator that is the function fn(in, params, out) of P's parameters.
template <class P, auto fn>
operator_def series_function_def(std::string name, std::string summary, cost_model cost) {
    operator_def d = describe_operator<P>(std::move(name), std::move(summary), cost);
    d.bind = bind_from_fields<P, series_function<fn, P>, &bound_operator::series>;
    return d;
}

/// Every operator, in catalogue order.
const std::vector<operator_def>& operator_catalogue();

/// The operator called `name`, or nullptr.
const operator_def* find_operator(const std::string& name);

// Each operator file defines `operator_def make_<name>_def()`; registry.cpp lists them.

}  // namespace tsbatch
