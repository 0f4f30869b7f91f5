#include <memory>

#include "cli/commands.hpp"
#include "cli/run_context.hpp"
#include "pipeline/run_driver.hpp"

namespace tsbatch {

void setup_run(CLI::App& app, command_action& action) {
    auto opt = std::make_shared<run_request>();
    auto* sub = app.add_subcommand("run", "Run the steps of a config over a staged file (under srun/mpirun or alone)");
    sub->add_option("config", opt->config_path, "Run configuration (YAML)")->required();
    sub->add_option("--set", opt->overrides, "Override one config key, e.g. steps.hourly.params.period=30min")
        ->type_name("KEY=VALUE")
        ->allow_extra_args(false);
    sub->add_flag("--dry-run", opt->dry_run, "Check the config and input, print the plan, write nothing");
    sub->add_flag("--restart", opt->restart, "Discard the finished chunks in run.checkpoint and start over");
    sub->final_callback([&action, opt] {
        action = [opt](invocation& inv) {
            opt->command_line = inv.command_line;
            return run_parallel(inv.argc, inv.argv, [opt](const comm& c) { return run_pipeline(c, *opt); });
        };
    });
}

}  // namespace tsbatch
