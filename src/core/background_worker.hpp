#pragma once
// One thread that runs jobs in the order they were posted, for I/O that can go on while the
// caller computes: reading the next input chunk, writing spooled points to their files,
// starting the disk writes of a result. The queue is bounded by a cost the caller gives each
// job (bytes of memory it holds, or simply 1), so a producer faster than the disk waits
// instead of piling up memory.
//
// Errors: the first exception a job throws is kept; the jobs still queued are dropped (their
// output would land after a failed one), and post() and drain() rethrow it from then on. A
// job that must report its error to a particular caller catches it itself.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>

namespace tsbatch {

class background_worker {
public:
    using job = std::function<void()>;

    /// At most `max_queued_cost` of cost is held by the jobs waiting and the one running (a
    /// job costlier than that alone waits for an empty queue).
    explicit background_worker(std::uint64_t max_queued_cost = std::numeric_limits<std::uint64_t>::max());
    /// Drops the jobs not started and waits for the one running; errors are not thrown here.
    ~background_worker();
    background_worker(const background_worker&) = delete;
    background_worker& operator=(const background_worker&) = delete;

    /// Queues `j`, waiting while the queue is full, and returns its place among the jobs
    /// posted (1, 2, ...) for wait_for(). Throws a job's earlier error instead.
    std::uint64_t post(job j, std::uint64_t cost = 1);
    /// Queues `j` unless the queue is full or a job has failed; never waits.
    bool try_post(job j, std::uint64_t cost = 1);
    /// Waits until every job posted has run. Throws the first error a job threw.
    void drain();
    /// Waits until the job post() numbered `place`, and every one before it, has run (not the
    /// ones after). Throws the first error a job threw.
    void wait_for(std::uint64_t place);

private:
    struct entry {
        job run;
        std::uint64_t cost = 0;
    };
    bool has_room(std::uint64_t cost) const noexcept { return queued_cost_ == 0 || queued_cost_ + cost <= limit_; }
    std::uint64_t enqueue(job j, std::uint64_t cost);  // with m_ held and room checked; its place
    void loop();

    const std::uint64_t limit_;
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<entry> jobs_;
    std::uint64_t queued_cost_ = 0;  // the jobs waiting and the one running
    std::uint64_t posted_ = 0, finished_ = 0;  // jobs queued so far; of those, run or dropped
    bool busy_ = false, stop_ = false;
    std::exception_ptr error_;
    std::thread thread_;  // last: starts once the rest is built
};

}  // namespace tsbatch
