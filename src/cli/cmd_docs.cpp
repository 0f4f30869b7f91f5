// `tsbatch docs --man DIR --bash-completion FILE`: hidden; the build runs it to make the man
// pages and the completion script from this very command line (cli_docs.hpp).
#include <memory>

#include "build_info.hpp"
#include "cli/cli_docs.hpp"
#include "cli/commands.hpp"
#include "cli/run_context.hpp"

namespace tsbatch {

void setup_docs(CLI::App& app, command_action& action) {
    struct request {
        std::string man_dir;
        std::string completion;
    };
    auto req = std::make_shared<request>();
    auto* sub = app.add_subcommand("docs", "Write the man pages and the bash completion script");
    sub->group("");  // hidden: for the build, not for users
    sub->add_option("--man", req->man_dir, "Directory for tsbatch.1 and tsbatch-COMMAND.1");
    sub->add_option("--bash-completion", req->completion, "File for the bash completion script");
    sub->final_callback([&app, &action, req] {
        action = [&app, req](invocation&) {
            return run_serial([&] {
                if (!req->man_dir.empty()) write_man_pages(app, req->man_dir, TSBATCH_VERSION);
                if (!req->completion.empty()) write_bash_completion(app, req->completion);
                return 0;
            });
        };
    });
}

}  // namespace tsbatch
