// tsbatch: rank-parallel time-series analytics on staged HDF5 files.
#include <cstdio>

#include "build_info.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/memory.hpp"
#include "core/process_clock.hpp"
#include "core/redact.hpp"
#include "parallel/mpi_comm.hpp"


int main(int argc, char** argv) {
    using namespace tsbatch;
    (void)process_start();  // the run's fixed costs count from here
    keep_freed_memory();    // before the first big allocation (core/memory.hpp)
    CLI::App app{"tsbatch: rank-parallel time-series analytics for Slurm clusters.\n"
                 "Run `tsbatch COMMAND --help` for the options of a command."};
    app.set_version_flag("--version", std::string("tsbatch ") + TSBATCH_VERSION + " (" + TSBATCH_GIT_ID + ")");
    app.require_subcommand(1, 1);
    app.fallthrough(false);

    command_action action;
    setup_run(app, action);
    setup_generate(app, action);
    setup_inspect(app, action);
    setup_catalogue(app, action);
    setup_validate(app, action);
    setup_stage_in(app, action);
    setup_export(app, action);
    setup_push(app, action);
    setup_docs(app, action);

    std::string command_line;
    for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
    command_line = redact_urls_in(command_line);  // it is printed and kept as provenance

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // Every rank parses the same argv; only the first prints.
        if (launcher_rank() == 0) app.exit(e);
        return e.get_exit_code() == 0 ? 0 : static_cast<int>(exit_code::usage);
    }
    invocation inv{argc, argv, command_line};
    return action ? action(inv) : static_cast<int>(exit_code::usage);
}
