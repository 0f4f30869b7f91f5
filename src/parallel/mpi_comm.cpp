#include "parallel/mpi_comm.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <exception>

#include "core/memory.hpp"

namespace tsbatch {
namespace {

class mpi_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "MPI"; }
    std::string message(int code) const override {
        char buf[MPI_MAX_ERROR_STRING];
        int len = 0;
        if (MPI_Error_string(code, buf, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
        return std::string(buf, static_cast<std::size_t>(len));
    }
};

const mpi_category& category() {
    static const mpi_category c;
    return c;
}

void check(int rc, const char* what) {
    if (rc != MPI_SUCCESS) throw mpi_error(rc, what);
}

// MPI counts are int: move large buffers in pieces of at most 1 GiB.
constexpr std::size_t max_piece = std::size_t{1} << 30;

class mpi_comm final : public comm_impl {
public:
    explicit mpi_comm(MPI_Comm c) : comm_(c) {
        check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
        check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    }
    int rank() const override { return rank_; }
    int size() const override { return size_; }
    void barrier() const override { check(MPI_Barrier(comm_), "MPI_Barrier"); }

    void broadcast(std::vector<std::byte>& data, int root) const override {
        std::uint64_t n = data.size();
        check(MPI_Bcast(&n, 1, MPI_UINT64_T, root, comm_), "MPI_Bcast(size)");
        data.resize(n);
        bcast_pieces(data.data(), n, root);
    }

    std::vector<std::byte> allgatherv(std::span<const std::byte> local, std::vector<std::size_t>& counts) const override {
        const std::uint64_t mine = local.size();
        std::vector<std::uint64_t> all(static_cast<std::size_t>(size_));
        check(MPI_Allgather(&mine, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, comm_), "MPI_Allgather(counts)");
        counts.assign(all.begin(), all.end());
        std::uint64_t total = 0;
        for (auto c : all) total += c;
        std::vector<std::byte> out(total);
        if (total <= static_cast<std::uint64_t>(INT_MAX)) {
            std::vector<int> icounts(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
            int pos = 0;
            for (int r = 0; r < size_; ++r) {
                icounts[static_cast<std::size_t>(r)] = static_cast<int>(all[static_cast<std::size_t>(r)]);
                displs[static_cast<std::size_t>(r)] = pos;
                pos += icounts[static_cast<std::size_t>(r)];
            }
            check(MPI_Allgatherv(local.data(), static_cast<int>(mine), MPI_BYTE, out.data(), icounts.data(),
                                 displs.data(), MPI_BYTE, comm_),
                  "MPI_Allgatherv");
        } else {
            // Past INT_MAX bytes in total: every rank broadcasts its part in pieces.
            std::size_t pos = 0;
            for (int r = 0; r < size_; ++r) {
                const auto n = all[static_cast<std::size_t>(r)];
                if (r == rank_ && n != 0) std::memcpy(out.data() + pos, local.data(), n);
                bcast_pieces(out.data() + pos, n, r);
                pos += n;
            }
        }
        return out;
    }

    std::int64_t max(std::int64_t v) const override {
        std::int64_t out = 0;
        check(MPI_Allreduce(&v, &out, 1, MPI_INT64_T, MPI_MAX, comm_), "MPI_Allreduce(max)");
        return out;
    }
    std::uint64_t sum(std::uint64_t v) const override {
        std::uint64_t out = 0;
        check(MPI_Allreduce(&v, &out, 1, MPI_UINT64_T, MPI_SUM, comm_), "MPI_Allreduce(sum)");
        return out;
    }

    std::vector<std::vector<std::byte>> alltoallv(std::vector<std::vector<std::byte>> send) const override {
        const auto n = static_cast<std::size_t>(size_);
        send.resize(n);
        std::vector<std::uint64_t> out_sizes(n), in_sizes(n);
        for (std::size_t r = 0; r < n; ++r) out_sizes[r] = send[r].size();
        check(MPI_Alltoall(out_sizes.data(), 1, MPI_UINT64_T, in_sizes.data(), 1, MPI_UINT64_T, comm_),
              "MPI_Alltoall(sizes)");
        std::vector<std::vector<std::byte>> recv(n);
        for (std::size_t r = 0; r < n; ++r) {
            reserve_huge(recv[r], in_sizes[r]);  // blocks of series: hundreds of MB
            recv[r].resize(in_sizes[r]);
        }
        recv[static_cast<std::size_t>(rank_)] = std::move(send[static_cast<std::size_t>(rank_)]);
        // Pairwise rounds (send to rank+k, receive from rank-k) in pieces of at most 1 GiB:
        // no int count overflows and no rank holds more than its own buffers. Each direction
        // has its own piece count from the agreed sizes (an empty message is no message),
        // because for three ranks or more the rank sent to is not the one received from.
        std::vector<MPI_Request> requests;
        for (int k = 1; k < size_; ++k) {
            const int to = (rank_ + k) % size_;
            const int from = (rank_ - k + size_) % size_;
            auto& out = send[static_cast<std::size_t>(to)];
            auto& in = recv[static_cast<std::size_t>(from)];
            requests.clear();
            for (std::size_t i0 = 0; i0 < in.size(); i0 += max_piece) {
                requests.emplace_back();
                check(MPI_Irecv(in.data() + i0, static_cast<int>(std::min(max_piece, in.size() - i0)), MPI_BYTE, from, 17,
                                comm_, &requests.back()),
                      "MPI_Irecv");
            }
            for (std::size_t o0 = 0; o0 < out.size(); o0 += max_piece) {
                requests.emplace_back();
                check(MPI_Isend(out.data() + o0, static_cast<int>(std::min(max_piece, out.size() - o0)), MPI_BYTE, to, 17,
                                comm_, &requests.back()),
                      "MPI_Isend");
            }
            check(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
            std::vector<std::byte>().swap(out);  // free as we go
        }
        return recv;
    }

    MPI_Comm handle() const { return comm_; }

private:
    void bcast_pieces(std::byte* p, std::size_t n, int root) const {
        for (std::size_t done = 0; done < n; done += max_piece) {
            const auto piece = static_cast<int>(std::min(max_piece, n - done));
            check(MPI_Bcast(p + done, piece, MPI_BYTE, root, comm_), "MPI_Bcast");
        }
    }

    MPI_Comm comm_;
    int rank_ = 0;
    int size_ = 1;
};

}  // namespace

mpi_error::mpi_error(int code, const std::string& what) : std::system_error(code, category(), what) {}

namespace {

// Whether mpirun/mpiexec or srun started this process: Open MPI's mpirun, PMIx (Open MPI 4+,
// srun --mpi=pmix), PMI-1/2 (MPICH's Hydra, srun --mpi=pmi2) each leave a variable.
bool launcher_in_environment() {
    for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
        if (std::getenv(var) != nullptr) return true;
    return false;
}

}  // namespace

mpi_session::mpi_session(int& argc, char**& argv) {
    // Without a launcher (TSBATCH_MPI=init) the process becomes an MPI singleton; isolated mode
    // avoids Open MPI spawning a helper daemon for it (seconds inside containers).
    if (!launcher_in_environment()) setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
    // All ranks on one node (Open MPI's mpirun says so before MPI starts): shared memory is the
    // only transport they need, and Open MPI's default choice, UCX, spent 0.2 s of every
    // `mpirun -n 2` here probing for network devices, against 0.02 s for ob1 (shared memory
    // through vader). Only a default: an OMPI_MCA_pml the user sets wins.
    const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
    if (local != nullptr && size != nullptr && std::string_view(local) == std::string_view(size))
        setenv("OMPI_MCA_pml", "ob1", 0);
    int provided = 0;
    check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

mpi_session::~mpi_session() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized == 0 && std::uncaught_exceptions() == 0) MPI_Finalize();
}

comm mpi_session::world() const { return comm(std::make_unique<mpi_comm>(MPI_COMM_WORLD)); }

void mpi_session::abort(int code) {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
}

std::string mpi_session::library_version() {
    char buf[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    if (MPI_Get_library_version(buf, &len) != MPI_SUCCESS) return "unknown";
    std::string s(buf, static_cast<std::size_t>(len));
    if (auto nl = s.find_first_of("\r\n,"); nl != std::string::npos) s.resize(nl);
    return s;
}

MPI_Comm mpi_communicator(const comm& c) {
    if (const auto* m = dynamic_cast<const mpi_comm*>(&c.impl())) return m->handle();
    return MPI_COMM_NULL;
}

bool started_by_mpi_launcher() {
    if (const char* force = std::getenv("TSBATCH_MPI"); force != nullptr && std::string_view(force) == "init")
        return true;
    return launcher_in_environment();
}

int launcher_rank() {
    for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
        if (const char* v = std::getenv(var)) return std::atoi(v);
    return 0;
}

}  // namespace tsbatch
