// `tsbatch generate`: the options; pipeline/generate_data does the work.
#include <cstdint>
#include <memory>

#include "cli/commands.hpp"
#include "cli/run_context.hpp"
#include "pipeline/generate_data.hpp"

namespace tsbatch {

void setup_generate(CLI::App& app, command_action& action) {
    auto req = std::make_shared<generate_request>();
    auto* sub = app.add_subcommand("generate",
                                   "Write synthetic sensor data (gaps, NaN runs, jitter, outliers, steps) to a staged file");
    sub->add_option("-o,--output", req->output, "Staged HDF5 file to write")->required();
    sub->add_option("--series", req->opt.series, "Number of series")->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40))->required();
    sub->add_option("--points", req->opt.mean_points, "Mean points per series (total = series x points)")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 40))
        ->required();
    sub->add_option("--seed", req->opt.seed, "Random seed (same seed, same file)")->capture_default_str();
    sub->add_option("--heavy", req->opt.heavy_series,
                    "Skewed set: this many series get --heavy-factor times the points of each other one")
        ->capture_default_str();
    sub->add_option("--heavy-factor", req->opt.heavy_factor, "Points of a heavy series over those of a light one")
        ->check(CLI::Range(1.0, 1e6))
        ->capture_default_str();
    sub->add_option("--compression", req->compression, "none or deflate")
        ->check(CLI::IsMember({"none", "deflate"}))
        ->capture_default_str();
    sub->final_callback([&action, req] {
        action = [req](invocation& inv) {
            return run_parallel(inv.argc, inv.argv, [req](const comm& c) { return generate_staged_file(c, *req); });
        };
    });
}

}  // namespace tsbatch
