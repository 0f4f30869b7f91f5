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
    if (ahead && !order_.empty()) thread_.emplace([this] { read_ahead_loop(); });
}

chunk_reader::~chunk_reader() {
    if (!thread_) return;
    {
        const std::lock_guard lock(m_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_->join();
}

void chunk_reader::read_ahead_loop() {
    std::unique_lock lock(m_);
    for (;;) {
        // Read the next chunk once the loop has taken the previous one (ready_ false).
        cv_.wait(lock, [&] { return stop_ || (!ready_ && next_ < order_.size()); });
        if (stop_) return;
        const std::size_t k = order_[next_];
        input_chunk chunk = std::move(ahead_);
        lock.unlock();
        std::exception_ptr error;
        try {
            const std::lock_guard io(io_);
            read_(k, chunk);
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        ahead_ = std::move(chunk);
        error_ = error;
        ready_ = true;
        cv_.notify_all();
    }
}

void chunk_reader::take(std::size_t k, input_chunk& chunk) {
    if (thread_) {
        std::unique_lock lock(m_);
        if (!stop_ && next_ < order_.size() && order_[next_] == k) {
            cv_.wait(lock, [&] { return ready_; });
            ready_ = false;
            ++next_;
            if (error_) {
                stop_ = true;  // no further chunks: the run ends with this error
                cv_.notify_all();
                std::rethrow_exception(error_);
            }
            std::swap(chunk, ahead_);  // the chunk in; its old buffers go to the next read
            cv_.notify_all();
            return;
        }
    }
    const std::lock_guard io(io_);
    read_(k, chunk);
}

}  // namespace tsbatch
