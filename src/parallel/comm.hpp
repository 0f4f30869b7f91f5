#pragma once
// The communicator every distributed part of tsbatch talks to. Algorithms and the pipeline
// take `const comm&` and never include mpi.h: the same code runs on one process (local),
// under MPI (mpi_comm.hpp, in tsbatch_mpi) and on N simulated ranks in one process
// (tests/support/simulated_comm.hpp, for unit tests). All members except rank()/size() are
// collective.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace tsbatch {

/// What an implementation provides; byte-level so it stays small.
class comm_impl {
public:
    virtual ~comm_impl() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    virtual void barrier() const = 0;
    /// Replaces `data` on every rank with root's bytes.
    virtual void broadcast(std::vector<std::byte>& data, int root) const = 0;
    /// Concatenation of every rank's bytes in rank order; `counts` gets each rank's size.
    virtual std::vector<std::byte> allgatherv(std::span<const std::byte> local, std::vector<std::size_t>& counts) const = 0;
    virtual std::int64_t max(std::int64_t v) const = 0;
    virtual std::uint64_t sum(std::uint64_t v) const = 0;
    /// Personalised exchange: `send[r]` goes to rank r; returns what each rank sent to this
    /// one, indexed by sender.
    virtual std::vector<std::vector<std::byte>> alltoallv(std::vector<std::vector<std::byte>> send) const = 0;
};

/// Move-only handle to a communicator; default-constructed it is the one-process `local` comm.
class comm {
public:
    comm();
    explicit comm(std::unique_ptr<comm_impl> impl);
    comm(comm&&) noexcept = default;
    comm& operator=(comm&&) noexcept = default;
    comm(const comm&) = delete;
    comm& operator=(const comm&) = delete;
    ~comm();

    int rank() const { return impl_->rank(); }
    int size() const { return impl_->size(); }
    bool is_root() const { return rank() == 0; }

    void barrier() const { impl_->barrier(); }
    std::int64_t max(std::int64_t v) const { return impl_->max(v); }
    std::uint64_t sum(std::uint64_t v) const { return impl_->sum(v); }

    /// Root's text on every rank (e.g. the YAML config that only rank 0 read).
    std::string broadcast(const std::string& text, int root = 0) const;

    /// Root's values on every rank (what the others pass is not read).
    template <class T>
    std::vector<T> broadcast(std::span<const T> values, int root) const {
        static_assert(std::is_trivially_copyable_v<T>);
        std::vector<std::byte> bytes;
        if (rank() == root) bytes.assign(std::as_bytes(values).begin(), std::as_bytes(values).end());
        impl_->broadcast(bytes, root);
        std::vector<T> out(bytes.size() / sizeof(T));
        if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
        return out;
    }

    /// Every rank's strings, concatenated in rank order.
    std::vector<std::string> allgather_strings(const std::vector<std::string>& local) const;

    /// Every rank's values, concatenated in rank order; `counts` (optional) gets each rank's count.
    template <class T>
    std::vector<T> allgatherv(std::span<const T> local, std::vector<std::size_t>* counts = nullptr) const {
        static_assert(std::is_trivially_copyable_v<T>);
        std::vector<std::size_t> byte_counts;
        auto bytes = impl_->allgatherv(std::as_bytes(local), byte_counts);
        std::vector<T> out(bytes.size() / sizeof(T));
        if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
        if (counts) {
            counts->clear();
            for (auto c : byte_counts) counts->push_back(c / sizeof(T));
        }
        return out;
    }

    /// One value per rank, in rank order.
    template <class T>
    std::vector<T> allgather(const T& v) const {
        return allgatherv(std::span<const T>(&v, 1));
    }

    /// Personalised exchange of byte buffers: `send[r]` (size() of them) goes to rank r; the
    /// result holds, for each rank r, the buffer r sent here.
    std::vector<std::vector<std::byte>> alltoallv(std::vector<std::vector<std::byte>> send) const {
        return impl_->alltoallv(std::move(send));
    }

    comm_impl& impl() const { return *impl_; }

private:
    std::unique_ptr<comm_impl> impl_;
};

/// The one-process communicator.
std::unique_ptr<comm_impl> make_local_comm();

}  // namespace tsbatch
