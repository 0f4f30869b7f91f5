#include "core/stop_request.hpp"

#include <csignal>

namespace tsbatch {
namespace {

volatile std::sig_atomic_t requested = 0;

extern "C" void on_stop_signal(int sig) { requested = sig; }

}  // namespace

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGUSR1, &sa, nullptr);
}

int stop_requested() noexcept { return requested; }

}  // namespace tsbatch
