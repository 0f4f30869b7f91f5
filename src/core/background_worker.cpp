#include "core/background_worker.hpp"

#include <utility>

namespace tsbatch {

background_worker::background_worker(std::uint64_t max_queued_cost)
    : limit_(max_queued_cost), thread_([this] { loop(); }) {}

background_worker::~background_worker() {
    {
        const std::lock_guard lock(m_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

std::uint64_t background_worker::post(job j, std::uint64_t cost) {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return error_ || has_room(cost); });
    if (error_) std::rethrow_exception(error_);
    return enqueue(std::move(j), cost);
}

bool background_worker::try_post(job j, std::uint64_t cost) {
    const std::lock_guard lock(m_);
    if (error_ || !has_room(cost)) return false;
    enqueue(std::move(j), cost);
    return true;
}

std::uint64_t background_worker::enqueue(job j, std::uint64_t cost) {
    queued_cost_ += cost;
    jobs_.push_back({std::move(j), cost});
    cv_.notify_all();
    return ++posted_;
}

void background_worker::drain() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return error_ || (jobs_.empty() && !busy_); });
    if (error_) std::rethrow_exception(error_);
}

void background_worker::wait_for(std::uint64_t place) {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return error_ || finished_ >= place; });
    if (error_) std::rethrow_exception(error_);
}

void background_worker::loop() {
    std::unique_lock lock(m_);
    for (;;) {
        cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
        if (stop_) return;
        entry e = std::move(jobs_.front());
        jobs_.pop_front();
        busy_ = true;
        lock.unlock();
        std::exception_ptr error;
        try {
            e.run();
        } catch (...) {
            error = std::current_exception();
        }
        e.run = nullptr;  // what the job held is freed outside the lock
        lock.lock();
        busy_ = false;
        queued_cost_ -= e.cost;
        ++finished_;
        if (error && !error_) {
            error_ = error;
            for (const auto& dropped : jobs_) queued_cost_ -= dropped.cost;
            finished_ += jobs_.size();
            jobs_.clear();
        }
        cv_.notify_all();
    }
}

}  // namespace tsbatch
