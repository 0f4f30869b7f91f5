#include "parallel/agreement.hpp"

#include <algorithm>
#include <cstdint>
#include <new>

namespace tsbatch {

int exit_code_of(std::exception_ptr ep, std::string& message) {
    try {
        std::rethrow_exception(ep);
    } catch (const error& e) {
        message = e.what();
        return static_cast<int>(e.code());
    } catch (const internal_error& e) {
        message = std::string("internal error (please report): ") + e.what();
    } catch (const std::bad_alloc&) {
        message = "out of memory";
    } catch (const std::exception& e) {
        message = e.what();
    } catch (...) {
        message = "unknown exception";
    }
    return static_cast<int>(exit_code::internal);
}

void agree(const comm& c, std::exception_ptr failure) {
    std::string message;
    const int code = failure ? exit_code_of(failure, message) : 0;
    if (c.size() == 1) {
        if (failure) std::rethrow_exception(failure);
        return;
    }
    const auto codes = c.allgather(static_cast<std::int64_t>(code));
    int worst = 0, first = -1;
    for (std::size_t r = 0; r < codes.size(); ++r)
        if (codes[r] != 0) {
            worst = std::max(worst, static_cast<int>(codes[r]));
            if (first < 0) first = static_cast<int>(r);
        }
    if (first < 0) return;
    // Only the first failing rank's words travel: every rank fails alike in the common
    // case (a bad config), and one clear message beats N copies.
    const std::string text = c.broadcast(message, first);
    throw agreed_error(static_cast<exit_code>(worst), first == 0 ? text : "rank " + std::to_string(first) + ": " + text);
}

}  // namespace tsbatch
