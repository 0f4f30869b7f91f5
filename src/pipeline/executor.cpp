#include "pipeline/executor.hpp"

#include <chrono>

#include "core/error.hpp"
#include "core/time.hpp"

namespace tsbatch {

step_pipeline::step_pipeline(const run_config& cfg) {
    steps_.reserve(cfg.steps.size());
    for (const auto& sc : cfg.steps) {
        const operator_def* def = find_operator(sc.op);
        if (def == nullptr) throw internal_error("step '" + sc.name + "': operator '" + sc.op + "' vanished");
        int input = -1;
        if (sc.input != source_input) {
            for (std::size_t i = 0; i < steps_.size(); ++i)
                if (steps_[i].cfg->name == sc.input) input = static_cast<int>(i);
            if (input < 0) throw internal_error("step '" + sc.name + "': input '" + sc.input + "' is not an earlier step");
        }
        steps_.push_back({&sc, def, def->bind(sc.params), input});
    }
}

double step_pipeline::series_cost(std::uint64_t points) const {
    double c = 1.0;  // reading and writing the series itself
    for (const auto& s : steps_) c += s.def->cost.per_series + s.def->cost.per_point * static_cast<double>(points);
    return c;
}

decomposition decompose(std::span<const std::uint64_t> counts, const step_pipeline& pipeline, const std::string& balance,
                        int nranks) {
    decomposition d;
    d.chunks = make_chunks(counts);
    d.chunk_cost.assign(d.chunks.size(), 0.0);
    for (std::size_t k = 0; k < d.chunks.size(); ++k)
        for (auto i = d.chunks[k].begin; i < d.chunks[k].end; ++i)
            d.chunk_cost[k] += balance == "points" ? static_cast<double>(counts[i]) : pipeline.series_cost(counts[i]);
    d.rank_chunks = partition_contiguous(d.chunk_cost, nranks);
    return d;
}

std::string check_series(series_view s) {
    // Every series is checked before the steps see it, so the common (valid) case is one
    // branch-free pass the compiler vectorises; the offending point is looked for only after.
    const std::int64_t* t = s.time.data();
    unsigned bad = 0;
    for (std::size_t i = 1; i < s.size(); ++i) bad |= t[i] <= t[i - 1] ? 1u : 0u;
    if (bad != 0)
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

execution step_pipeline::run(const series_batch& input, const std::string& input_name, bool skip_invalid,
                             const progress_fn& progress) const {
    using clock = std::chrono::steady_clock;
    execution ex;
    ex.steps.resize(steps_.size());
    for (std::size_t k = 0; k < steps_.size(); ++k) {
        auto& r = ex.steps[k];
        r.name = steps_[k].cfg->name;
        r.op = steps_[k].def->name;
        r.kind = steps_[k].def->output;
        if (r.kind == data_kind::table) {
            r.table = table_batch(steps_[k].op.table->columns());
            r.table.meta.reserve(input.size());
            for (auto& col : r.table.columns) {
                if (col.spec.type == column_type::float64) col.floats.reserve(input.size());
                if (col.spec.type == column_type::int64) col.ints.reserve(input.size());
            }
        } else {
            // Most series operators emit at most as many points as they read. Reserving that
            // much up front costs only address space (pages are touched when written) and
            // spares the copies of geometric growth, which dominated big runs. No huge-page
            // hint here: most of this reserve stays untouched (resample shrinks the data), and
            // the hint made compute times erratic (kernel compaction) without a net gain.
            r.series.meta.reserve(input.size());
            r.series.offset.reserve(input.size() + 1);
            r.series.time.reserve(input.point_count());
            r.series.value.reserve(input.point_count());
        }
    }
    std::vector<std::chrono::nanoseconds> spent(steps_.size(), std::chrono::nanoseconds{0});

    // Series-major: each series goes through the whole chain while its points are in cache.
    for (std::size_t i = 0; i < input.size(); ++i) {
        const series_view src = input.series(i);
        const series_meta& meta = input.meta[i];
        if (auto why = check_series(src); !why.empty()) {
            if (!skip_invalid)
                throw input_error(input_name + ": series '" + meta.id + "' (row " + std::to_string(meta.source_index) +
                                  "): " + why);
            ex.skipped.push_back({meta.source_index, meta.id, why});
            continue;
        }
        for (std::size_t k = 0; k < steps_.size(); ++k) {
            const auto& st = steps_[k];
            auto& out = ex.steps[k];
            const series_view in = st.input < 0 ? src : ex.steps[static_cast<std::size_t>(st.input)].series.series(
                                                            ex.steps[static_cast<std::size_t>(st.input)].series.size() - 1);
            const auto t0 = clock::now();
            if (st.op.series) {
                auto sink = out.series.open_series(meta);
                st.op.series->apply(in, sink);
                out.series.close_series();
            } else {
                out.table.meta.push_back(meta);
                row_sink row(out.table);
                st.op.table->apply(in, row);
            }
            spent[k] += clock::now() - t0;
        }
        ++ex.series_done;
        ex.points_done += src.size();
        if (progress) progress(ex.series_done, ex.points_done);
    }
    for (std::size_t k = 0; k < steps_.size(); ++k)
        ex.steps[k].seconds = std::chrono::duration<double>(spent[k]).count();
    return ex;
}

}  // namespace tsbatch
