#pragma once
// A polite stop: SIGTERM and SIGUSR1 (Slurm's warning signal before a time limit or
// preemption, DESIGN §7) set a flag that a long loop checks between units of work, so the
// work in hand is finished and recorded instead of lost.
namespace tsbatch {

/// Installs the handlers for SIGTERM and SIGUSR1 (SA_RESTART, so system calls in progress
/// carry on). Until then these signals keep their default action.
void install_stop_handlers();

/// The signal that asked to stop, or 0.
int stop_requested() noexcept;

}  // namespace tsbatch
