#pragma once
// N ranks simulated by N threads in one process, for unit tests of everything that takes a
// `const comm&`: each thread gets its own comm whose collectives meet at a shared barrier.
#include <functional>

#include "parallel/comm.hpp"

namespace tsbatch {

/// Runs `body` on `nranks` simulated ranks (threads) and waits for all of them. The first
/// exception thrown by any rank is rethrown here after every thread has finished.
void run_simulated(int nranks, const std::function<void(const comm&)>& body);

}  // namespace tsbatch
