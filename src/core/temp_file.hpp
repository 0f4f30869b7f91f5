#pragma once
// Files written under a temporary name beside their final path and renamed into place, so
// that the final path only ever holds a whole file (a result, a report, an export part, a
// checkpoint record, a push journal's header). Their names carry the host and the pid of the
// writer: two processes on different nodes writing one path through a shared file system
// never share a temporary name, and what a killed process left behind can be told from the
// file of one still running, and removed.
#include <string>
#include <vector>

namespace tsbatch {

/// The temporary name of this process's write of `final_path`: `final_path`.tmp.HOST.PID.
std::string temp_path_for(const std::string& final_path);

/// A temporary file whose writer died before renaming or removing it (killed, or its node
/// lost).
struct abandoned_temp_file {
    std::string path;
    long pid = 0;  ///< the process that wrote it, on this host
};

/// Removes the temporary files that writers of `final_path` on this host left behind: those
/// named by temp_path_for() with this host's name and the pid of a process that no longer
/// runs (a zombie counts as ended). Files of other hosts, of running processes, or not of
/// that form are left alone.
std::vector<abandoned_temp_file> remove_abandoned_temp_files(const std::string& final_path);

}  // namespace tsbatch
