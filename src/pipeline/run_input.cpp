#include "pipeline/run_input.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "core/error.hpp"
#include "parallel/agreement.hpp"

namespace tsbatch {

run_input open_run_input(const comm& c, const run_config& cfg, const step_pipeline& pipeline) {
    run_input in;
    agreed_phase(c, [&] {
        std::error_code ec;
        if (std::filesystem::exists(cfg.output.path, ec) && std::filesystem::exists(cfg.input.path, ec) &&
            std::filesystem::equivalent(cfg.output.path, cfg.input.path, ec))
            throw config_error(cfg.file + ": output.path '" + cfg.output.path +
                               "' is the input file; a run never overwrites its input");
        in.file.emplace(cfg.input.path, cfg.input.group, c);
        const auto n = in.file->series_count();
        const auto& sel = cfg.input.select;
        std::vector<std::string> metrics, tags;
        if (sel.selects_series() || pipeline.group_tag()) tags = in.file->read_strings("tags", 0, n);
        if (sel.selects_series()) metrics = in.file->read_strings("metric", 0, n);
        in.selection = select_series(n, metrics, tags, sel, pipeline.group_tag());
    });
    in.name = cfg.input.path + (cfg.input.group == "/" ? "" : ":" + cfg.input.group);
    if (c.is_root() && in.selection.rows.empty() && in.file->series_count() > 0)
        std::fprintf(stderr, "tsbatch: warning: input.select matches none of the %llu series of %s\n",
                     static_cast<unsigned long long>(in.file->series_count()), in.name.c_str());
    return in;
}

series_batch read_rows(const staged_reader& in, std::span<const std::uint64_t> rows, series_batch&& reuse) {
    if (std::is_sorted(rows.begin(), rows.end())) return in.read(rows, std::move(reuse));
    std::vector<std::uint64_t> sorted(rows.begin(), rows.end());
    std::sort(sorted.begin(), sorted.end());
    const series_batch stored = in.read(sorted);
    series_batch out;
    out.meta.reserve(rows.size());
    out.offset.reserve(rows.size() + 1);
    out.time.reserve(stored.point_count());
    out.value.reserve(stored.point_count());
    for (auto r : rows) {
        const auto i = static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), r) - sorted.begin());
        out.append(stored.meta[i], stored.series(i));
    }
    return out;
}

}  // namespace tsbatch
