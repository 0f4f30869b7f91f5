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
    while (posted_ < order_.size() && posted_ < depth) read_ahead();
}

chunk_reader::~chunk_reader() = default;

void chunk_reader::read_ahead() {
    slot& s = slots_[posted_ % depth];
    s.error = nullptr;
    s.place = worker_->post([this, &s, k = order_[posted_]] {
        try {
            read_(k, s.chunk);
        } catch (...) {
            s.error = std::current_exception();
        }
    });
    ++posted_;
}

void chunk_reader::take(std::size_t k, input_chunk& chunk) {
    if (worker_ && !failed_ && next_ < order_.size() && order_[next_] == k) {
        slot& s = slots_[next_ % depth];
        worker_->wait_for(s.place);  // its read done: the slot is the caller's to look at
        ++next_;
        if (s.error) {
            failed_ = true;  // no further chunks: the run ends with this error
            std::rethrow_exception(s.error);
        }
        std::swap(chunk, s.chunk);                  // the chunk in; its old buffers go to the next read
        if (posted_ < order_.size()) read_ahead();  // into the slot just emptied
        return;
    }
    if (worker_) worker_->drain();  // never two reads at once
    read_(k, chunk);
}

}  // namespace tsbatch
