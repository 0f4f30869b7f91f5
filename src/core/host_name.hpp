#pragma once
// The name of the machine this process runs on: in provenance, the per-rank table, and the
// names of a rank's temporary files (which must differ between ranks on different hosts).
#include <unistd.h>

#include <string>

namespace tsbatch {

/// gethostname(), or "unknown" when the system will not say.
inline std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
    return buf;
}

}  // namespace tsbatch
