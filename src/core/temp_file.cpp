#include "core/temp_file.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "core/host_name.hpp"

namespace tsbatch {
namespace {

// Whether process `pid` runs on this host: it exists (kill(pid, 0) fails with ESRCH only
// when it does not; EPERM means another user's) and is not a zombie, a process that has
// ended but whose parent has not yet collected it.
bool process_runs(long pid) {
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;  // no /proc: trust kill()
    const auto name_end = line.rfind(')');       // "pid (command) state ...", command may hold spaces
    return name_end == std::string::npos || name_end + 2 >= line.size() || line[name_end + 2] != 'Z';
}

// The temporary names of writers of `final_path` on this host are this prefix and a pid.
std::string temp_prefix(const std::string& final_path) {
    return final_path + ".tmp." + host_name() + ".";
}

}  // namespace

std::string temp_path_for(const std::string& final_path) {
    return temp_prefix(final_path) + std::to_string(::getpid());
}

std::vector<abandoned_temp_file> remove_abandoned_temp_files(const std::string& final_path) {
    namespace fs = std::filesystem;
    std::vector<abandoned_temp_file> removed;
    const fs::path final_name(final_path);
    const std::string prefix = fs::path(temp_prefix(final_path)).filename().string();
    const fs::path dir = final_name.has_parent_path() ? final_name.parent_path() : fs::path(".");
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string digits = name.substr(prefix.size());
        if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
        const long pid = std::stol(digits);
        if (pid <= 0 || pid == ::getpid() || process_runs(pid)) continue;
        std::error_code file_ec;
        const std::string path = final_name.has_parent_path() ? it->path().string() : name;
        if (it->is_regular_file(file_ec) && fs::remove(it->path(), file_ec)) removed.push_back({path, pid});
    }
    return removed;
}

}  // namespace tsbatch
