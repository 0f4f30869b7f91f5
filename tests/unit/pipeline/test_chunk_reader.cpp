// The compute loop's chunk reader: every chunk arrives whole and in order, with or without
// the thread reading ahead; the thread really reads the next chunks while the loop holds the
// one before, and the loop waits for no read but its chunk's; never two reads at once (HDF5
// and MPI allow one thread in them); a chunk asked out of order is read in place; a read's
// error comes out of take() for that chunk; and the reader can be dropped in the middle.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "pipeline/chunk_reader.hpp"

using namespace tsbatch;

namespace {

// A fake input: chunk k is one series of k + 1 points valued k. Notes which thread read what,
// and how many reads ran at once.
struct fake_input {
    std::atomic<int> running{0}, most_at_once{0};
    std::mutex m;
    std::vector<std::size_t> read_order;
    std::vector<std::thread::id> readers;
    std::size_t fail_at = static_cast<std::size_t>(-1);
    std::size_t hold_at = static_cast<std::size_t>(-1);  // its read waits for release() (10 s at most)
    bool released = false;
    std::condition_variable release_cv;
    std::chrono::milliseconds slow{0};

    void release() {
        {
            const std::lock_guard lock(m);
            released = true;
        }
        release_cv.notify_all();
    }

    chunk_reader::read_fn fn() {
        return [this](std::size_t k, input_chunk& chunk) {
            const int now = ++running;
            int seen = most_at_once.load();
            while (now > seen && !most_at_once.compare_exchange_weak(seen, now)) {
            }
            if (slow.count() > 0) std::this_thread::sleep_for(slow);
            {
                std::unique_lock lock(m);
                if (k == hold_at) release_cv.wait_for(lock, std::chrono::seconds(10), [&] { return released; });
                read_order.push_back(k);
                readers.push_back(std::this_thread::get_id());
            }
            --running;
            if (k == fail_at) throw std::runtime_error("chunk " + std::to_string(k) + " is damaged");
            chunk.batch = series_batch{};
            std::vector<std::int64_t> t(k + 1);
            std::vector<double> v(k + 1, static_cast<double>(k));
            for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<std::int64_t>(i);
            chunk.batch.append({"s" + std::to_string(k), "m", "", k}, {t, v});
            chunk.valid = k % 2 == 0;
        };
    }
};

void expect_chunk(const input_chunk& chunk, std::size_t k) {
    const series_batch& b = chunk.batch;
    EXPECT_EQ(chunk.valid, k % 2 == 0);  // what the read said travels with its chunk
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b.meta[0].source_index, k);
    EXPECT_EQ(b.count(0), k + 1);
    for (double x : b.value) EXPECT_EQ(x, static_cast<double>(k));
}

}  // namespace

TEST(chunk_reader, every_chunk_arrives_in_order_with_or_without_reading_ahead) {
    for (bool ahead : {false, true}) {
        fake_input in;
        in.slow = std::chrono::milliseconds(2);
        const std::vector<std::size_t> order = {3, 4, 5, 6, 7, 8, 9};
        {
            chunk_reader reader(in.fn(), order, ahead);
            input_chunk batch;
            for (auto k : order) {
                reader.take(k, batch);
                expect_chunk(batch, k);
                std::this_thread::sleep_for(std::chrono::milliseconds(1));  // "computing"
            }
        }
        EXPECT_EQ(in.read_order, order) << "ahead " << ahead;  // each chunk read once
        EXPECT_EQ(in.most_at_once.load(), 1);
        for (const auto& id : in.readers) EXPECT_EQ(id == std::this_thread::get_id(), !ahead) << "ahead " << ahead;
    }
}

TEST(chunk_reader, reads_the_next_chunk_while_the_loop_holds_this_one) {
    fake_input in;
    chunk_reader reader(in.fn(), {0, 1, 2}, true);
    input_chunk batch;
    reader.take(0, batch);
    // Without asking for chunk 1, the thread reads it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        {
            const std::lock_guard lock(in.m);
            if (in.read_order.size() >= 2) break;  // chunk 2 may be read by now as well
        }
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "chunk 1 was not read ahead";
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    expect_chunk(batch, 0);  // the chunk in hand is untouched by the read ahead
    reader.take(1, batch);
    expect_chunk(batch, 1);
}

TEST(chunk_reader, takes_a_chunk_read_ahead_while_a_later_read_is_still_running) {
    fake_input in;
    in.hold_at = 2;
    chunk_reader reader(in.fn(), {0, 1, 2, 3}, true);
    input_chunk batch;
    reader.take(0, batch);  // the read of chunk 2 starts, and waits
    expect_chunk(batch, 0);
    reader.take(1, batch);  // read ahead already: no wait for chunk 2
    expect_chunk(batch, 1);
    {
        const std::lock_guard lock(in.m);
        EXPECT_EQ(in.read_order, (std::vector<std::size_t>{0, 1})) << "take(1) waited for the read of chunk 2";
    }
    in.release();
    reader.take(2, batch);
    expect_chunk(batch, 2);
    reader.take(3, batch);
    expect_chunk(batch, 3);
    EXPECT_EQ(in.most_at_once.load(), 1);
}

TEST(chunk_reader, a_chunk_out_of_order_is_read_in_place_one_read_at_a_time) {
    fake_input in;
    in.slow = std::chrono::milliseconds(5);
    chunk_reader reader(in.fn(), {0, 2, 3}, true);
    input_chunk batch;
    reader.take(0, batch);
    expect_chunk(batch, 0);
    reader.take(1, batch);  // not in the order (a damaged checkpoint chunk, say)
    expect_chunk(batch, 1);
    reader.take(2, batch);
    expect_chunk(batch, 2);
    reader.take(3, batch);
    expect_chunk(batch, 3);
    EXPECT_EQ(in.most_at_once.load(), 1);
}

TEST(chunk_reader, an_error_comes_from_the_chunk_that_met_it) {
    for (bool ahead : {false, true}) {
        fake_input in;
        in.fail_at = 2;
        chunk_reader reader(in.fn(), {0, 1, 2, 3}, ahead);
        input_chunk batch;
        reader.take(0, batch);
        expect_chunk(batch, 0);
        reader.take(1, batch);
        expect_chunk(batch, 1);
        try {
            reader.take(2, batch);
            ADD_FAILURE() << "no error (ahead " << ahead << ")";
        } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "chunk 2 is damaged");
        }
    }
}

TEST(chunk_reader, can_be_dropped_with_chunks_left) {
    fake_input in;
    in.slow = std::chrono::milliseconds(20);
    {
        chunk_reader reader(in.fn(), {0, 1, 2, 3, 4, 5}, true);
        input_chunk batch;
        reader.take(0, batch);
    }  // a stop request ends the loop: the destructor waits for the read in progress
    EXPECT_LE(in.read_order.size(), 1 + chunk_reader::depth);
}

TEST(usable_cpus, is_at_least_one) {
    EXPECT_GE(usable_cpus(), 1);
}
