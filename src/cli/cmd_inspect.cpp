#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/run_context.hpp"
#include "io/inspect.hpp"

namespace tsbatch {
namespace {

struct inspect_request {
    std::vector<std::string> files;
    bool digest = false;
    bool include_run = false;
    inspect_options opt;
};

int inspect(const inspect_request& req) {
    for (const auto& f : req.files) {
        if (req.digest) {
            for (const auto& [path, hash] : digest_file(f, req.include_run)) std::printf("%s  %s\n", hash.c_str(), path.c_str());
        } else {
            std::fputs(describe_file(f, req.opt).c_str(), stdout);
        }
    }
    return 0;
}

}  // namespace

void setup_inspect(CLI::App& app, command_action& action) {
    auto req = std::make_shared<inspect_request>();
    auto* sub = app.add_subcommand("inspect", "Summarise the collections, tables and provenance of HDF5 files");
    sub->add_option("files", req->files, "Staged or result files")->required();
    sub->add_flag("--config", req->opt.show_config, "Also print the effective config stored in a result");
    sub->add_option("--rows", req->opt.sample_rows, "Table rows shown")->capture_default_str();
    sub->add_flag("--digest", req->digest,
                  "Print a content hash per dataset and per object's attributes instead (equal hashes = "
                  "equal results; run timings and provenance such as times, host and rank count left out)");
    sub->add_flag("--with-timings", req->include_run, "With --digest: include the _run timing groups");
    sub->final_callback([&action, req] {
        action = [req](invocation&) { return run_serial([req] { return inspect(*req); }); };
    });
}

}  // namespace tsbatch
