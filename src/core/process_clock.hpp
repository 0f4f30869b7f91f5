#pragma once
// Seconds since the process started (as main() marks it), for the fixed costs a run reports:
// loading the program and starting MPI happen before a run's own clock starts.
#include <chrono>

namespace tsbatch {

/// The steady-clock instant main() began; the first call fixes it (main calls it first).
inline std::chrono::steady_clock::time_point process_start() {
    static const auto t = std::chrono::steady_clock::now();
    return t;
}

inline double seconds_since_process_start() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - process_start()).count();
}

}  // namespace tsbatch
