#pragma once
// Agreeing on failure (DESIGN §6): an error found on some ranks only must reach every rank
// before the next collective, or the others would wait in it forever. Code that can fail on
// one rank alone (reading its data, checking its series) runs inside agreed_phase; afterwards
// every rank has either succeeded or throws the same error.
#include <exception>
#include <string>

#include "core/error.hpp"
#include "parallel/comm.hpp"

namespace tsbatch {

/// The error every rank rethrows after an agreement; main prints it once, on rank 0.
class agreed_error : public error {
public:
    using error::error;
};

/// The exit code of an exception (a tsbatch error's own code; internal otherwise) and its
/// message for the user.
int exit_code_of(std::exception_ptr ep, std::string& message);

/// Collective. Throws on every rank the error of the lowest failing rank (with the highest
/// exit code among them) when `failure` is set on any rank; returns normally otherwise.
void agree(const comm& c, std::exception_ptr failure);

/// Collective: runs `f` on every rank, then agree()s on the outcome.
template <class F>
void agreed_phase(const comm& c, F&& f) {
    std::exception_ptr failure;
    try {
        f();
    } catch (...) {
        failure = std::current_exception();
    }
    agree(c, failure);
}

}  // namespace tsbatch
