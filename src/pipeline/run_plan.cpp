#include "pipeline/run_plan.hpp"

#include <algorithm>
#include <string_view>

#include "core/format.hpp"
#include "core/tags.hpp"
#include "pipeline/selection.hpp"

namespace tsbatch {
namespace {

// Orders sel.rows by the value of `tag` and marks in sel.joined where a chunk boundary would
// split a group. Every output row keeps its source_index, so the order is the run's alone.
void group_rows(series_selection& sel, const std::vector<std::string>& tags, const std::string& tag) {
    std::vector<std::optional<std::string_view>> key(tags.size());
    for (auto r : sel.rows) key[r] = tag_value(tags[r], tag);
    std::stable_sort(sel.rows.begin(), sel.rows.end(),
                     [&](std::uint64_t a, std::uint64_t b) { return key[a] < key[b]; });
    sel.joined.assign(sel.rows.size(), 0);
    for (std::size_t i = 0; i + 1 < sel.rows.size(); ++i)
        sel.joined[i] = key[sel.rows[i]] && key[sel.rows[i]] == key[sel.rows[i + 1]] ? 1 : 0;
}

}  // namespace

series_selection select_series(std::uint64_t n, const std::vector<std::string>& metrics,
                               const std::vector<std::string>& tags, const select_config& sel,
                               const std::optional<std::string>& group_tag) {
    series_selection out;
    if (sel.selects_series()) {
        out.rows = select_rows(metrics, tags, sel);
    } else {
        out.rows.resize(n);
        for (std::uint64_t i = 0; i < n; ++i) out.rows[i] = i;
    }
    if (group_tag) group_rows(out, tags, *group_tag);
    return out;
}

std::span<const std::uint64_t> run_plan::rows_of_chunk(std::size_t k) const {
    const auto r = split.chunks[k];
    return std::span<const std::uint64_t>(rows.data() + r.begin, r.size());
}

std::uint64_t run_plan::points_of_rank(int rank) const {
    const auto sr = split.series_of_rank(rank);
    std::uint64_t pts = 0;
    for (auto i = sr.begin; i < sr.end; ++i) pts += counts[i];
    return pts;
}

run_plan plan_run(series_selection sel, std::span<const std::uint64_t> input_counts, const step_pipeline& pipeline,
                  const run_config& cfg, int nranks) {
    run_plan p;
    p.rows = std::move(sel.rows);
    p.counts.resize(p.rows.size());
    for (std::size_t i = 0; i < p.rows.size(); ++i) p.counts[i] = input_counts[p.rows[i]];
    for (auto n : p.counts) p.total_points += n;
    p.split = decompose(p.counts, pipeline, cfg.run.balance, nranks, sel.joined,
                        chunking{cfg.run.chunk_points, cfg.run.chunk_series});
    return p;
}

void print_dry_run(std::FILE* out, const run_plan& plan, const run_config& cfg, const std::string& config_path,
                   const std::string& input_name, std::uint64_t input_series, int nranks) {
    std::fprintf(out, "dry run: %s\n", config_path.c_str());
    std::fprintf(out, "input %s: %zu of %llu series selected, %s points, %zu chunks\n", input_name.c_str(),
                 plan.rows.size(), static_cast<unsigned long long>(input_series),
                 format_human_count(static_cast<double>(plan.total_points)).c_str(), plan.split.chunks.size());
    for (const auto& s : cfg.steps)
        std::fprintf(out, "step %-16s op %-14s input %-12s%s\n", s.name.c_str(), s.op.c_str(), s.input.c_str(),
                     cfg.keeps(s.name) ? "" : "  (not kept)");
    for (int r = 0; r < nranks; ++r) {
        const auto sr = plan.split.series_of_rank(r);
        std::fprintf(out, "rank %d: series [%zu, %zu) %s points\n", r, sr.begin, sr.end,
                     format_human_count(static_cast<double>(plan.points_of_rank(r))).c_str());
    }
    std::fprintf(out, "estimated imbalance (max/mean rank cost): %.3f\n", plan.split.imbalance());
    std::fprintf(out, "output %s (not written)\n", cfg.output.path.c_str());
}

}  // namespace tsbatch
