#include "pipeline/chunk_reader.hpp"

#include <sched.h>

#include <utility>

namespace tsbatch {

int usable_cpus() noexcept {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    const int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

chunk_reader::chunk_reader(read_fn read, std::vector<std::size_t> order, bool ahead)
    : read_(std::move(read)), order_(std::move(order)) {
    if (!ahead || order_.empty()) return;
    worker_ = std::make_unique<background_worker>();
    read_ahead();
}

chunk_reader::~chunk_reader() = default;

void chunk_reader::read_ahead() {
    worker_->post([this, k = order_[next_]] {
        try {
            read_(k, ahead_);
        } catch (...) {
            ahead_error_ = std::current_exception();  // thrown by take() of this chunk
        }
    });
}

void chunk_reader::take(std::size_t k, input_chunk& chunk) {
    if (worker_) worker_->drain();  // the read ahead done: ahead_ is the caller's to look at
    if (worker_ && !failed_ && next_ < order_.size() && order_[next_] == k) {
        ++next_;
        if (ahead_error_) {
            failed_ = true;  // no further chunks: the run ends with this error
            std::rethrow_exception(ahead_error_);
        }
        std::swap(chunk, ahead_);  // the chunk in; its old buffers go to the next read
        if (next_ < order_.size()) read_ahead();
        return;
    }
    read_(k, chunk);
}

}  // namespace tsbatch
