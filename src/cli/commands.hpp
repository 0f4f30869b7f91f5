#pragma once
// One file per subcommand (DESIGN §6). Each setup_* adds its subcommand with an options
// struct and, when the subcommand is chosen, stores the action main() runs after parsing.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace tsbatch {

struct invocation {
    int& argc;
    char**& argv;
    std::string command_line;
};

using command_action = std::function<int(invocation&)>;

void setup_run(CLI::App& app, command_action& action);
void setup_generate(CLI::App& app, command_action& action);
void setup_inspect(CLI::App& app, command_action& action);
void setup_catalogue(CLI::App& app, command_action& action);
void setup_validate(CLI::App& app, command_action& action);
void setup_stage_in(CLI::App& app, command_action& action);
void setup_export(CLI::App& app, command_action& action);
void setup_push(CLI::App& app, command_action& action);
/// Hidden: the man pages and completion script, made by the build (cli_docs.hpp).
void setup_docs(CLI::App& app, command_action& action);

}  // namespace tsbatch
