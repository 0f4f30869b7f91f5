#pragma once
// Runs the configured steps over the series one rank holds. Pure: no MPI, no HDF5, no
// printing, so a simulated N-rank test can run exactly what `tsbatch run` runs.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "algo/operator.hpp"
#include "core/series.hpp"
#include "core/table.hpp"
#include "parallel/partition.hpp"
#include "pipeline/config.hpp"

namespace tsbatch {

/// One output of a step: the only one, or a named one of a multi-output operator.
struct step_output {
    std::string name;  ///< "" for a single output; else the subgroup name (/<step>/<name>)
    data_kind kind = data_kind::series;
    series_batch series;  ///< when kind == series
    table_batch table;    ///< when kind == table
};

struct step_result {
    std::string name;
    std::string op;
    std::vector<step_output> outputs;  ///< as operator_def::outputs
    double seconds = 0;                ///< compute time of this step on this rank
};

/// A series left out of every output because it was invalid (run.on_series_error: skip).
struct skipped_series {
    std::uint64_t source_index = 0;
    std::string id;
    std::string reason;
};

struct execution {
    std::vector<step_result> steps;  ///< in config order
    std::vector<skipped_series> skipped;
    std::uint64_t series_done = 0;
    std::uint64_t points_done = 0;
};

/// Rows in each of this rank's chunks, for every output of every series-wise step:
/// chunk_rows[step][output][local chunk] (the dataset-wide steps fold over the same chunks).
using chunk_row_counts = std::vector<std::vector<std::vector<std::size_t>>>;

/// Called now and then with the series and points processed so far.
using progress_fn = std::function<void(std::uint64_t series_done, std::uint64_t points_done)>;

/// The steps of a config with their operators bound, ready to run on any batch.
class step_pipeline {
public:
    explicit step_pipeline(const run_config& cfg);

    /// Runs every step on every series of `input`. An invalid series (timestamps not
    /// strictly increasing) throws input_error naming `input_name` and the series, or is
    /// skipped when `skip_invalid`. `input_valid`: every series of `input` is known to be
    /// valid (all_series_valid, run where the chunk was read), so none is checked again.
    execution run(const series_batch& input, const std::string& input_name, bool skip_invalid,
                  const progress_fn& progress = {}, bool input_valid = false) const;

    /// Estimated cost of one series of `points` points through every step (for balancing).
    double series_cost(std::uint64_t points) const;

    /// The tag whose value groups series when a step needs whole groups (cut_by_reference):
    /// the run then orders its series by that value and keeps each group on one rank.
    const std::optional<std::string>& group_tag() const noexcept { return group_tag_; }

    /// A step with its operator bound. For a dataset-wide step, `input` indexes the
    /// series-wise steps (execution::steps), -1 = source.
    struct step {
        std::string name;  ///< the step's name (the pipeline outlives no config: it copies what it needs)
        const operator_def* def;
        bound_operator op;
        int input;         ///< index of the input step, -1 = source
        int input_output;  ///< which output of the input step
    };

    /// The dataset-wide steps in config order; run() leaves them out (a run's commit phase,
    /// run_commit, runs them over every rank's rows once the series-wise steps are done).
    const std::vector<step>& dataset_steps() const noexcept { return dataset_steps_; }

private:
    struct unit_state;
    void run_unit(const series_batch& input, index_range unit, execution& ex, unit_state& st) const;
    static void apply_one(const step& s, const group_member& m, std::vector<step_output>& outs);
    void fail_group(const series_batch& input, unit_state& st, execution& ex, const std::string& step_name,
                    const std::string& why) const;

    std::vector<step> steps_;
    std::vector<step> dataset_steps_;
    std::optional<std::string> group_tag_;
};

/// Runs a multi-output operator on one series, appending to each output of `outs` (one per
/// operator output, in the def's order; series outputs get one series each).
void apply_multi_output(const multi_operator& op, const series_meta& meta, series_view in,
                        std::vector<step_output>& outs);

/// How a run's series are split: chunks (independent of the rank count) and each rank's
/// contiguous run of chunks, balanced by cost.
struct decomposition {
    std::vector<index_range> chunks;  ///< series ranges
    std::vector<double> chunk_cost;
    std::vector<index_range> rank_chunks;  ///< chunk ranges, one per rank

    index_range series_of_rank(int rank) const {
        return series_of(chunks, rank_chunks[static_cast<std::size_t>(rank)]);
    }
    double imbalance() const { return tsbatch::imbalance(chunk_cost, rank_chunks); }
};

/// Pure: the same counts, pipeline, balance and rank count give the same decomposition.
/// `balance` is "cost" (points x step cost models) or "points".
/// `joined[i]` != 0 keeps series i and i+1 in one chunk (members of one group); empty = none.
decomposition decompose(std::span<const std::uint64_t> counts, const step_pipeline& pipeline,
                        const std::string& balance, int nranks, std::span<const std::uint8_t> joined = {},
                        const chunking& rule = {});

/// Keeps only the points with from <= t < to (either bound optional), in place.
void select_time(series_batch& batch, std::optional<std::int64_t> from, std::optional<std::int64_t> to);

/// Empty when `s` is valid; otherwise why not (first offending point).
std::string check_series(series_view s);

/// Whether check_series finds every series of `b` valid.
bool all_series_valid(const series_batch& b);

}  // namespace tsbatch
