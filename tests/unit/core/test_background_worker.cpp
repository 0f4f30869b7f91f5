// The one I/O thread of the chunk reader, the output spool and the result's writeback: jobs in
// order, a queue bounded by cost, the first error kept and rethrown, jobs not started dropped
// on destruction.
#include "core/background_worker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tsbatch {
namespace {

// A job that waits until the test opens the gate, saying when it has started.
class gate {
public:
    background_worker::job job() {
        return [this] {
            started_.set_value();
            std::unique_lock lock(m_);
            cv_.wait(lock, [&] { return open_; });
        };
    }
    void wait_started() { started_.get_future().wait(); }
    void open() {
        {
            const std::lock_guard lock(m_);
            open_ = true;
        }
        cv_.notify_all();
    }

private:
    std::promise<void> started_;
    std::mutex m_;
    std::condition_variable cv_;
    bool open_ = false;
};

TEST(background_worker, runs_jobs_in_the_order_posted) {
    std::vector<int> ran;  // only the worker's thread writes it before drain()
    background_worker w;
    for (int k = 0; k < 100; ++k) w.post([&ran, k] { ran.push_back(k); });
    w.drain();
    ASSERT_EQ(ran.size(), 100u);
    for (int k = 0; k < 100; ++k) EXPECT_EQ(ran[static_cast<std::size_t>(k)], k);
}

TEST(background_worker, wait_for_returns_once_that_job_has_run_not_the_later_ones) {
    background_worker w;
    std::atomic<int> done{0};
    const auto first = w.post([&] { ++done; });
    gate g;
    const auto second = w.post(g.job());
    const auto third = w.post([&] { ++done; });
    EXPECT_EQ(second, first + 1);
    EXPECT_EQ(third, first + 2);
    w.wait_for(first);
    EXPECT_EQ(done.load(), 1);
    g.wait_started();  // the second runs: the third cannot have
    EXPECT_EQ(done.load(), 1);
    g.open();
    w.wait_for(third);
    EXPECT_EQ(done.load(), 2);
    w.wait_for(first);  // long done: returns at once
}

TEST(background_worker, the_running_and_waiting_jobs_hold_the_queue_until_done) {
    background_worker w(3);
    gate g;
    w.post(g.job(), 2);
    g.wait_started();
    // The running job still holds its 2: one more of 1 fits, a second does not.
    EXPECT_TRUE(w.try_post([] {}, 1));
    EXPECT_FALSE(w.try_post([] {}, 1));
    g.open();
    w.drain();
    EXPECT_TRUE(w.try_post([] {}, 3));
    w.drain();
}

TEST(background_worker, a_job_costlier_than_the_limit_waits_for_an_empty_queue) {
    background_worker w(4);
    gate g;
    w.post(g.job(), 1);
    g.wait_started();
    EXPECT_FALSE(w.try_post([] {}, 100));
    g.open();
    w.drain();
    std::atomic<bool> ran{false};
    EXPECT_TRUE(w.try_post([&] { ran = true; }, 100));
    w.drain();
    EXPECT_TRUE(ran);
}

TEST(background_worker, post_waits_while_the_queue_is_full) {
    background_worker w(1);
    gate g;
    w.post(g.job(), 1);
    g.wait_started();
    std::atomic<bool> posted{false};
    std::thread producer([&] {
        w.post([] {}, 1);
        posted = true;
    });
    // No way to see a wait from outside but to give it time: a post that did not wait
    // would have returned long before.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(posted);
    g.open();
    producer.join();
    EXPECT_TRUE(posted);
    w.drain();
}

TEST(background_worker, the_first_error_drops_the_queue_and_is_rethrown) {
    background_worker w;
    gate g;
    std::atomic<int> after{0};
    w.post(g.job());
    g.wait_started();
    w.post([] { throw std::runtime_error("disk full"); });
    w.post([] { throw std::runtime_error("a second error"); });
    w.post([&] { ++after; });
    g.open();
    try {
        w.drain();
        FAIL() << "drain() did not throw";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "disk full");
    }
    EXPECT_EQ(after, 0);  // queued behind the failed job: dropped
    EXPECT_THROW(w.post([&] { ++after; }), std::runtime_error);
    EXPECT_FALSE(w.try_post([&] { ++after; }));
    EXPECT_THROW(w.drain(), std::runtime_error);
    EXPECT_EQ(after, 0);
}

TEST(background_worker, destruction_waits_for_the_running_job_and_drops_the_rest) {
    gate g;
    std::atomic<bool> first_done{false}, second_ran{false};
    auto w = std::make_unique<background_worker>();
    w->post([&, job = g.job()] {
        job();
        first_done = true;
    });
    w->post([&] { second_ran = true; });
    g.wait_started();
    std::atomic<bool> closing{false};
    std::thread closer([&] {
        closing = true;
        w.reset();
    });
    while (!closing) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // into the destructor's wait
    g.open();
    closer.join();
    EXPECT_TRUE(first_done);
    EXPECT_FALSE(second_ran);
}

}  // namespace
}  // namespace tsbatch
