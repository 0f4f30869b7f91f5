#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "cli/run_context.hpp"
#include "core/error.hpp"
#include "io/staged.hpp"
#include "pipeline/config.hpp"
#include "pipeline/run_driver.hpp"

namespace tsbatch {
namespace {

struct validate_request {
    std::string config_path;
    std::vector<std::string> overrides;
    bool print_effective = false;
};

int validate(const validate_request& req) {
    const comm local;
    const auto text = read_config_text(local, req.config_path);
    const auto cfg = parse_run_config(text, req.config_path, req.overrides);
    const staged_reader in(cfg.input.path, cfg.input.group, local);

    namespace fs = std::filesystem;
    std::error_code ec;
    // The run creates missing directories: check the deepest one that exists.
    auto dir = fs::path(cfg.output.path).parent_path();
    while (!dir.empty() && !fs::exists(dir, ec)) dir = dir.parent_path();
    if (dir.empty()) dir = ".";
    if (!fs::is_directory(dir, ec))
        throw output_error(cfg.output.path + ": cannot create the output directory: '" + dir.string() + "' is not a directory");
    if (fs::is_directory(cfg.output.path, ec))
        throw output_error(cfg.output.path + ": is a directory; output.path must name a file");
    if (::access(dir.c_str(), W_OK) != 0)
        throw output_error(cfg.output.path + ": the output directory '" + dir.string() + "' is not writable");

    std::printf("%s: OK\n", req.config_path.c_str());
    std::printf("input  %s%s: %llu series, %llu points\n", cfg.input.path.c_str(),
                cfg.input.group == "/" ? "" : (":" + cfg.input.group).c_str(),
                static_cast<unsigned long long>(in.series_count()), static_cast<unsigned long long>(in.point_count()));
    for (const auto& s : cfg.steps)
        std::printf("step   %-16s op %-14s input %s%s\n", s.name.c_str(), s.op.c_str(), s.input.c_str(),
                    cfg.keeps(s.name) ? "" : "  (not kept)");
    std::printf("output %s\n", cfg.output.path.c_str());
    if (req.print_effective) std::printf("--- effective config\n%s", to_yaml(cfg).c_str());
    return 0;
}

}  // namespace

void setup_validate(CLI::App& app, command_action& action) {
    auto req = std::make_shared<validate_request>();
    auto* sub = app.add_subcommand("validate", "Check a config and its input without running");
    sub->add_option("config", req->config_path, "Run configuration (YAML)")->required();
    sub->add_option("--set", req->overrides, "Override one config key")->type_name("KEY=VALUE")->allow_extra_args(false);
    sub->add_flag("--print", req->print_effective, "Print the effective config (defaults and overrides applied)");
    sub->final_callback([&action, req] {
        action = [req](invocation&) { return run_serial([req] { return validate(*req); }); };
    });
}

}  // namespace tsbatch
