#include "simulated_comm.hpp"

#include <barrier>
#include <exception>
#include <mutex>
#include <thread>

namespace tsbatch {
namespace {

struct shared_world {
    explicit shared_world(int n)
        : size(n), sync(n), slots(static_cast<std::size_t>(n)), mail(static_cast<std::size_t>(n) * static_cast<std::size_t>(n)) {}
    int size;
    std::barrier<> sync;
    std::vector<std::vector<std::byte>> slots;
    std::vector<std::vector<std::byte>> mail;  // mail[from * size + to]
};

class simulated_comm final : public comm_impl {
public:
    simulated_comm(shared_world& w, int rank) : world_(w), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return world_.size; }
    void barrier() const override { world_.sync.arrive_and_wait(); }

    void broadcast(std::vector<std::byte>& data, int root) const override {
        if (rank_ == root) world_.slots[static_cast<std::size_t>(root)] = data;
        world_.sync.arrive_and_wait();
        if (rank_ != root) data = world_.slots[static_cast<std::size_t>(root)];
        world_.sync.arrive_and_wait();  // nobody may overwrite the slot before all have read it
    }

    std::vector<std::byte> allgatherv(std::span<const std::byte> local, std::vector<std::size_t>& counts) const override {
        world_.slots[static_cast<std::size_t>(rank_)].assign(local.begin(), local.end());
        world_.sync.arrive_and_wait();
        std::vector<std::byte> out;
        counts.clear();
        for (const auto& s : world_.slots) {
            counts.push_back(s.size());
            out.insert(out.end(), s.begin(), s.end());
        }
        world_.sync.arrive_and_wait();
        return out;
    }

    std::int64_t max(std::int64_t v) const override {
        std::int64_t m = v;
        for (auto x : gather(v)) m = x > m ? x : m;
        return m;
    }
    std::uint64_t sum(std::uint64_t v) const override {
        std::uint64_t s = 0;
        for (auto x : gather(v)) s += x;
        return s;
    }

    std::vector<std::vector<std::byte>> alltoallv(std::vector<std::vector<std::byte>> send) const override {
        const auto n = static_cast<std::size_t>(world_.size);
        const auto me = static_cast<std::size_t>(rank_);
        send.resize(n);
        for (std::size_t to = 0; to < n; ++to) world_.mail[me * n + to] = std::move(send[to]);
        world_.sync.arrive_and_wait();
        std::vector<std::vector<std::byte>> recv(n);
        for (std::size_t from = 0; from < n; ++from) recv[from] = std::move(world_.mail[from * n + me]);
        world_.sync.arrive_and_wait();
        return recv;
    }

private:
    template <class T>
    std::vector<T> gather(T v) const {
        std::vector<std::size_t> counts;
        auto bytes = allgatherv(std::as_bytes(std::span<const T>(&v, 1)), counts);
        std::vector<T> out(bytes.size() / sizeof(T));
        std::memcpy(out.data(), bytes.data(), bytes.size());
        return out;
    }

    shared_world& world_;
    int rank_;
};

}  // namespace

void run_simulated(int nranks, const std::function<void(const comm&)>& body) {
    shared_world world(nranks);
    std::exception_ptr first;
    std::mutex mu;
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(nranks));
    for (int r = 0; r < nranks; ++r) {
        threads.emplace_back([&, r] {
            try {
                const comm c(std::make_unique<simulated_comm>(world, r));
                body(c);
            } catch (...) {
                {
                    const std::lock_guard<std::mutex> lock(mu);
                    if (!first) first = std::current_exception();
                }
                // Leave the barrier's party so the other ranks do not wait forever.
                world.sync.arrive_and_drop();
            }
        });
    }
    for (auto& t : threads) t.join();
    if (first) std::rethrow_exception(first);
}

}  // namespace tsbatch
