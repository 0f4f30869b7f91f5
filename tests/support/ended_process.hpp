#pragma once
// A pid that surely names no running process: a child that has exited and been waited for.
// For the tests of the removal of temporary files whose writer was killed.
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tsbatch::testing {

inline pid_t ended_process_pid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    if (child > 0) ::waitpid(child, nullptr, 0);
    return child;
}

}  // namespace tsbatch::testing
