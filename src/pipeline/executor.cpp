#include "pipeline/executor.hpp"

#include <array>
#include <chrono>
#include <optional>

#include "core/error.hpp"
#include "core/tags.hpp"
#include "core/time.hpp"

namespace tsbatch {

step_pipeline::step_pipeline(const run_config& cfg) {
    steps_.reserve(cfg.steps.size());
    for (const auto& sc : cfg.steps) {
        const operator_def* def = find_operator(sc.op);
        if (def == nullptr) throw internal_error("step '" + sc.name + "': operator '" + sc.op + "' vanished");
        int input = -1, input_output = 0;
        if (sc.input != source_input) {
            // "step" or "step/output" (config.cpp has checked both exist and give series).
            const auto slash = sc.input.find('/');
            const std::string in_step = sc.input.substr(0, slash);
            for (std::size_t i = 0; i < steps_.size(); ++i)
                if (steps_[i].name == in_step) input = static_cast<int>(i);
            if (input < 0)
                throw internal_error("step '" + sc.name + "': input '" + sc.input + "' is not an earlier step");
            const auto* in_def = steps_[static_cast<std::size_t>(input)].def;
            const std::string oname = slash == std::string::npos ? "" : sc.input.substr(slash + 1);
            input_output = oname.empty() && in_def->outputs.size() == 1 ? 0 : in_def->find_output(oname);
            const auto kind =
                input_output < 0 ? data_kind::matrix : in_def->outputs[static_cast<std::size_t>(input_output)].kind;
            if (kind != data_kind::series && !(def->reads_tables && kind == data_kind::table))
                throw internal_error("step '" + sc.name + "': input '" + sc.input + "' is not a series output");
        }
        if (def->dataset_wide) {
            // Run once over the whole data by the run's commit phase, after every series-wise step.
            dataset_steps_.push_back({sc.name, def, def->bind(sc.params), input, input_output});
            continue;
        }
        steps_.push_back({sc.name, def, def->bind(sc.params), input, input_output});
        if (const auto& g = steps_.back().op.group) {
            if (group_tag_ && *group_tag_ != g->group_tag())
                throw config_error(cfg.file + ": steps." + sc.name + ".params.group_by: '" + g->group_tag() +
                                   "' differs from the group_by tag '" + *group_tag_ +
                                   "' of an earlier step; the series of one run are grouped by one tag");
            group_tag_ = g->group_tag();
        }
    }
}

double step_pipeline::series_cost(std::uint64_t points) const {
    double c = 1.0;  // reading and writing the series itself
    for (const auto& s : steps_) c += s.def->cost.per_series + s.def->cost.per_point * static_cast<double>(points);
    return c;
}

decomposition decompose(std::span<const std::uint64_t> counts, const step_pipeline& pipeline,
                        const std::string& balance, int nranks, std::span<const std::uint8_t> joined,
                        const chunking& rule) {
    decomposition d;
    d.chunks = make_chunks(counts, rule, joined);
    d.chunk_cost.assign(d.chunks.size(), 0.0);
    for (std::size_t k = 0; k < d.chunks.size(); ++k)
        for (auto i = d.chunks[k].begin; i < d.chunks[k].end; ++i)
            d.chunk_cost[k] += balance == "points" ? static_cast<double>(counts[i]) : pipeline.series_cost(counts[i]);
    d.rank_chunks = partition_contiguous(d.chunk_cost, nranks);
    return d;
}

namespace {

// Whether some t[i] <= t[i - 1]: one branch-free pass the compiler vectorises. 64-bit compares
// need SSE4.2, which the portable build may not assume, so the AVX2 clone is picked at load
// time where the CPU has it (6 % of a run over 200 M points in the SSE2 version).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
bool any_step_back(const std::int64_t* t, std::size_t n) {
    unsigned bad = 0;
    for (std::size_t i = 1; i < n; ++i) bad |= t[i] <= t[i - 1] ? 1u : 0u;
    return bad != 0;
}

}  // namespace

std::string check_series(series_view s) {
    // Every series is checked before the steps see it, so the common (valid) case is one
    // branch-free pass; the offending point is looked for only after.
    if (any_step_back(s.time.data(), s.size()))
        for (std::size_t i = 1; i < s.size(); ++i)
            if (s.time[i] <= s.time[i - 1])
                return "timestamps are not strictly increasing at point " + std::to_string(i) + " (" +
                       format_iso8601(s.time[i]) + (s.time[i] == s.time[i - 1] ? " repeats " : " comes after ") +
                       format_iso8601(s.time[i - 1]) + ")";
    // Beyond +-2^62 ms (146 million years) differences of timestamps and the operators' grid
    // arithmetic could overflow int64; no sensor data lives there.
    constexpr std::int64_t limit = std::int64_t{1} << 62;
    if (!s.empty() && (s.time.front() < -limit || s.time.back() > limit))
        return "timestamp " + std::to_string(s.time.front() < -limit ? s.time.front() : s.time.back()) +
               " ms is outside the supported range of +-2^62 ms";
    return {};
}

bool all_series_valid(const series_batch& b) {
    for (std::size_t i = 0; i < b.size(); ++i)
        if (!check_series(b.series(i)).empty()) return false;
    return true;
}

void select_time(series_batch& batch, std::optional<std::int64_t> from, std::optional<std::int64_t> to) {
    if (!from && !to) return;
    std::size_t w = 0;
    std::vector<std::uint64_t> offset{0};
    offset.reserve(batch.offset.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        for (auto k = batch.offset[i]; k < batch.offset[i + 1]; ++k) {
            const auto t = batch.time[k];
            if ((from && t < *from) || (to && t >= *to)) continue;
            batch.time[w] = t;
            batch.value[w] = batch.value[k];
            ++w;
        }
        offset.push_back(w);
    }
    batch.time.resize(w);
    batch.value.resize(w);
    batch.offset = std::move(offset);
}

namespace {

// Drops everything after the first `n` series / rows (undoing a unit that failed).
void truncate(series_batch& b, std::size_t n) {
    b.meta.resize(n);
    b.offset.resize(n + 1);
    b.time.resize(b.offset[n]);
    b.value.resize(b.offset[n]);
}

void truncate(table_batch& t, std::size_t n) {
    t.meta.resize(n);
    for (auto& c : t.columns) {
        c.ints.resize(std::min(c.ints.size(), n));
        c.floats.resize(std::min(c.floats.size(), n));
        c.strings.resize(std::min(c.strings.size(), n));
    }
}

std::size_t rows_of(const step_output& o) {
    return o.kind == data_kind::series ? o.series.size() : o.table.size();
}

void reserve_output(step_output& o, const series_batch& input) {
    if (o.kind == data_kind::table) {
        o.table.meta.reserve(input.size());
        for (auto& col : o.table.columns) {
            if (col.spec.type == column_type::float64) col.floats.reserve(input.size());
            if (col.spec.type == column_type::int64) col.ints.reserve(input.size());
        }
        return;
    }
    // Most series operators emit at most as many points as they read. Reserving that much
    // up front costs only address space (pages are touched when written) and spares the
    // copies of geometric growth, which dominated big runs. No huge-page hint here: most of
    // this reserve stays untouched (resample shrinks the data), and the hint made compute
    // times erratic (kernel compaction) without a net gain.
    o.series.meta.reserve(input.size());
    o.series.offset.reserve(input.size() + 1);
    o.series.time.reserve(input.point_count());
    o.series.value.reserve(input.point_count());
}

}  // namespace

// Scratch reused from unit to unit, so the common one-series unit allocates nothing.
struct step_pipeline::unit_state {
    const std::string* input_name = nullptr;
    bool skip_invalid = false;
    bool input_valid = false;                    ///< every input series known to pass check_series
    std::vector<std::size_t> valid;              ///< input rows of the unit that passed check_series
    std::vector<std::vector<std::size_t>> mark;  ///< per step and output: rows before the unit
    std::vector<std::chrono::nanoseconds> spent;
    std::vector<group_member> members;
};

execution step_pipeline::run(const series_batch& input, const std::string& input_name, bool skip_invalid,
                             const progress_fn& progress, bool input_valid) const {
    execution ex;
    ex.steps.resize(steps_.size());
    unit_state st;
    st.input_name = &input_name;
    st.skip_invalid = skip_invalid;
    st.input_valid = input_valid;
    st.mark.resize(steps_.size());
    st.spent.assign(steps_.size(), std::chrono::nanoseconds{0});
    for (std::size_t k = 0; k < steps_.size(); ++k) {
        auto& r = ex.steps[k];
        const auto& s = steps_[k];
        r.name = s.name;
        r.op = s.def->name;
        for (std::size_t o = 0; o < s.def->outputs.size(); ++o) {
            step_output out;
            out.name = s.def->outputs[o].name;
            out.kind = s.def->outputs[o].kind;
            if (out.kind == data_kind::table)
                out.table = table_batch(s.op.table ? s.op.table->columns() : s.op.multi->columns(o));
            reserve_output(out, input);
            r.outputs.push_back(std::move(out));
        }
        st.mark[k].resize(r.outputs.size());
    }

    // Series-major: each unit (one series, or one group when a step needs groups) goes
    // through the whole chain while its points are in cache.
    for (std::size_t i = 0; i < input.size();) {
        std::size_t j = i + 1;
        if (group_tag_) {
            const auto key = tag_value(input.meta[i].tags, *group_tag_);
            if (key)
                while (j < input.size() && tag_value(input.meta[j].tags, *group_tag_) == key) ++j;
        }
        run_unit(input, {i, j}, ex, st);
        for (auto s = i; s < j; ++s) ex.points_done += input.count(s);
        ex.series_done += j - i;
        if (progress) progress(ex.series_done, ex.points_done);
        i = j;
    }
    for (std::size_t k = 0; k < steps_.size(); ++k)
        ex.steps[k].seconds = std::chrono::duration<double>(st.spent[k]).count();
    return ex;
}

void step_pipeline::run_unit(const series_batch& input, index_range unit, execution& ex, unit_state& st) const {
    using clock = std::chrono::steady_clock;
    st.valid.clear();
    for (auto i = unit.begin; i < unit.end; ++i) {
        const series_meta& meta = input.meta[i];
        if (st.input_valid) {
            st.valid.push_back(i);
            continue;
        }
        if (auto why = check_series(input.series(i)); !why.empty()) {
            if (!st.skip_invalid)
                throw input_error(*st.input_name + ": series '" + meta.id + "' (row " +
                                  std::to_string(meta.source_index) + "): " + why);
            ex.skipped.push_back({meta.source_index, meta.id, why});
            continue;
        }
        st.valid.push_back(i);
    }
    if (st.valid.empty()) return;
    for (std::size_t k = 0; k < steps_.size(); ++k)
        for (std::size_t o = 0; o < ex.steps[k].outputs.size(); ++o) st.mark[k][o] = rows_of(ex.steps[k].outputs[o]);

    // The unit's series as step k reads them: the valid input rows, or the series an earlier
    // step appended during this unit.
    auto unit_inputs = [&](const step& s) {
        st.members.clear();
        if (s.input < 0) {
            for (auto i : st.valid) st.members.push_back({&input.meta[i], input.series(i)});
            return;
        }
        const auto in_k = static_cast<std::size_t>(s.input);
        const auto in_o = static_cast<std::size_t>(s.input_output);
        const series_batch& b = ex.steps[in_k].outputs[in_o].series;
        for (auto i = st.mark[in_k][in_o]; i < b.size(); ++i) st.members.push_back({&b.meta[i], b.series(i)});
    };

    for (std::size_t k = 0; k < steps_.size(); ++k) {
        const auto& s = steps_[k];
        auto& outs = ex.steps[k].outputs;
        unit_inputs(s);
        const auto t0 = clock::now();
        if (s.op.group) {
            try {
                s.op.group->apply(st.members, outs.front().series);
            } catch (const group_error& e) {
                st.spent[k] += clock::now() - t0;
                fail_group(input, st, ex, s.name, e.what());
                return;
            }
        } else {
            for (const auto& m : st.members) apply_one(s, m, outs);
        }
        st.spent[k] += clock::now() - t0;
    }
}

void step_pipeline::apply_one(const step& s, const group_member& m, std::vector<step_output>& outs) {
    if (s.op.series) {
        auto sink = outs.front().series.open_series(*m.meta);
        s.op.series->apply(m.data, sink);
        outs.front().series.close_series();
        return;
    }
    if (s.op.table) {
        outs.front().table.meta.push_back(*m.meta);
        row_sink row(outs.front().table);
        s.op.table->apply(m.data, row);
        return;
    }
    apply_multi_output(*s.op.multi, *m.meta, m.data, outs);
}

void apply_multi_output(const multi_operator& op, const series_meta& meta, series_view in,
                        std::vector<step_output>& outs) {
    // One sink per output, each series output opened for this series. At most a few outputs:
    // the sinks live on the stack.
    constexpr std::size_t max_outputs = 8;
    if (outs.size() > max_outputs) throw internal_error("an operator has more than 8 outputs");
    output_sinks sinks(outs.size());
    std::array<std::optional<series_sink>, max_outputs> series;
    std::array<std::optional<table_sink>, max_outputs> tables;
    for (std::size_t o = 0; o < outs.size(); ++o) {
        if (outs[o].kind == data_kind::series)
            sinks.bind(o, &series[o].emplace(outs[o].series.open_series(meta)));
        else
            sinks.bind(o, &tables[o].emplace(outs[o].table, meta));
    }
    op.apply(in, sinks);
    for (auto& o : outs)
        if (o.kind == data_kind::series) o.series.close_series();
}

// A group a step could not process: with on_series_error: skip its series leave every
// output (what earlier steps made of them during this unit is undone), else the run fails.
void step_pipeline::fail_group(const series_batch& input, unit_state& st, execution& ex, const std::string& step_name,
                               const std::string& why) const {
    const auto& first = input.meta[st.valid.front()];
    const auto key = tag_value(first.tags, *group_tag_);
    const std::string group = *group_tag_ + "=" + (key ? std::string(*key) : std::string("(none)"));
    if (!st.skip_invalid)
        throw input_error(*st.input_name + ": step '" + step_name + "', group " + group + " (series '" + first.id +
                          "' and " + std::to_string(st.valid.size() - 1) + " more): " + why);
    for (std::size_t k = 0; k < steps_.size(); ++k)
        for (std::size_t o = 0; o < ex.steps[k].outputs.size(); ++o) {
            auto& out = ex.steps[k].outputs[o];
            if (out.kind == data_kind::series)
                truncate(out.series, st.mark[k][o]);
            else
                truncate(out.table, st.mark[k][o]);
        }
    for (auto i : st.valid)
        ex.skipped.push_back(
            {input.meta[i].source_index, input.meta[i].id, "step '" + step_name + "', group " + group + ": " + why});
}

}  // namespace tsbatch
