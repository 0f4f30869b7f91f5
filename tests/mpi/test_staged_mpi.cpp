// Parallel HDF5 under mpiexec: collective slab writes, per-rank hyperslab reads, and a check
// that the I/O really was collective. Each rank runs the tests; the exit code is the max.
#include <gtest/gtest.h>

#include <H5FDmpio.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>

#include "io/h5.hpp"
#include "io/inspect.hpp"
#include "io/staged.hpp"
#include "parallel/mpi_comm.hpp"
#include "parallel/partition.hpp"

using namespace tsbatch;

namespace {

const comm* world = nullptr;

std::string shared_path(const std::string& name) {
    // Rank 0 names it so every rank agrees.
    return world->broadcast(
        (std::filesystem::temp_directory_path() / ("tsbatch_mpi_" + std::to_string(::getpid()) + "_" + name)).string());
}

// Series i has i % 7 points; values encode (i, k) so misplaced data is visible.
series_batch series_range(index_range r) {
    series_batch b;
    for (auto i = r.begin; i < r.end; ++i) {
        auto sink =
            b.open_series({"s" + std::to_string(i) + std::string(i % 5, 'x'), "m", "k=" + std::to_string(i % 3), i});
        for (std::size_t k = 0; k < i % 7; ++k)
            sink.push(static_cast<std::int64_t>(1000 * k), static_cast<double>(i) + 0.001 * static_cast<double>(k));
        b.close_series();
    }
    return b;
}

index_range my_share(std::size_t n) {
    std::vector<double> cost(n, 1.0);
    return partition_contiguous(cost, world->size())[static_cast<std::size_t>(world->rank())];
}

// Collective: whether any rank has a failure in the current test. Every rank calls it at the
// same places, before a collective step that a failed check would make it skip: all ranks
// then leave the test together, each having printed its own failures, instead of the healthy
// ranks waiting in the collective until ctest's timeout. (ASSERT_* would return from the
// test on one rank only, so these tests use EXPECT_* and this check.)
bool any_rank_failed() {
    return world->max(std::int64_t{::testing::Test::HasFailure() ? 1 : 0}) != 0;
}

}  // namespace

// Ends the test on every rank when any rank has failed so far.
#define STOP_ON_ANY_RANK_FAILURE()     \
    do {                               \
        if (any_rank_failed()) return; \
    } while (false)

TEST(parallel_staged, collective_write_then_each_rank_reads_its_slab) {
    const std::size_t n = 1000;
    const auto path = shared_path("coll.h5");
    {
        staged_writer w(*world, path);
        w.write_collection("/", series_range(my_share(n)));
        w.commit();
    }
    staged_reader r(path, "/", *world);
    EXPECT_EQ(r.series_count(), n);
    STOP_ON_ANY_RANK_FAILURE();
    // Read a different slab than written (reverse rank order) to prove placement is global.
    std::vector<double> cost(n, 1.0);
    const auto ranges = partition_contiguous(cost, world->size());
    const auto theirs = ranges[static_cast<std::size_t>(world->size() - 1 - world->rank())];
    const auto got = r.read(theirs);
    const auto expect = series_range(theirs);
    EXPECT_EQ(got.time, expect.time);
    EXPECT_EQ(got.value, expect.value);
    EXPECT_EQ(got.offset, expect.offset);
    for (std::size_t i = 0; i < got.size() && i < expect.size(); ++i) EXPECT_EQ(got.meta[i].id, expect.meta[i].id);
    STOP_ON_ANY_RANK_FAILURE();
    world->barrier();
    if (world->is_root()) std::filesystem::remove(path);
}

TEST(parallel_staged, same_file_content_as_one_rank_wrote_it) {
    const std::size_t n = 257;
    const auto par = shared_path("par.h5");
    {
        staged_writer w(*world, par);
        w.write_collection("/", series_range(my_share(n)));
        w.commit();
    }
    world->barrier();
    if (world->is_root()) {
        const comm local;
        const auto ser = par + ".serial.h5";
        {
            staged_writer w(local, ser);
            w.write_collection("/", series_range({0, n}));
            w.commit();
        }
        EXPECT_EQ(digest_file(par), digest_file(ser));
        std::filesystem::remove(ser);
        std::filesystem::remove(par);
    }
    world->barrier();
}

TEST(parallel_staged, compressed_write_needs_and_gets_collective_io) {
    const auto path = shared_path("z.h5");
    write_options o;
    o.deflate_level = 4;
    o.chunk_bytes = 256;
    {
        staged_writer w(*world, path, o);
        w.write_collection("/", series_range(my_share(300)));
        w.commit();
    }
    EXPECT_EQ(staged_reader(path, "/", *world).read(my_share(300)).time, series_range(my_share(300)).time);
    world->barrier();
    if (world->is_root()) std::filesystem::remove(path);
}

TEST(parallel_h5, slab_writes_are_collective) {
    const auto path = shared_path("raw.h5");
    const h5::file_access fa(*world);
    EXPECT_TRUE(fa.parallel());
    STOP_ON_ANY_RANK_FAILURE();
    auto f = h5::create_file(path, fa);
    const std::uint64_t per = 4096;
    auto d = h5::create_1d(f.get(), "x", H5T_IEEE_F64LE, per * static_cast<std::uint64_t>(world->size()), {});
    std::vector<double> mine(per, world->rank());
    const h5::transfer xfer(true);
    h5::write_slab(d.get(), H5T_NATIVE_DOUBLE, per * static_cast<std::uint64_t>(world->rank()), per, mine.data(), xfer);
    std::uint32_t local_cause = 1, global_cause = 1;
    EXPECT_GE(H5Pget_mpio_no_collective_cause(xfer.get(), &local_cause, &global_cause), 0);
    EXPECT_EQ(local_cause, static_cast<std::uint32_t>(H5D_MPIO_COLLECTIVE)) << "I/O was not collective";
    EXPECT_EQ(global_cause, static_cast<std::uint32_t>(H5D_MPIO_COLLECTIVE));
    d.reset();
    f.close("H5Fclose");
    world->barrier();
    if (world->is_root()) std::filesystem::remove(path);
}

TEST(mpi_comm, alltoallv_delivers_each_buffer_to_its_rank) {
    const int n = world->size();
    std::vector<std::vector<std::byte>> send(static_cast<std::size_t>(n));
    for (int d = 0; d < n; ++d)
        send[static_cast<std::size_t>(d)].assign(static_cast<std::size_t>(1000 * world->rank() + d),
                                                 std::byte(static_cast<unsigned char>(world->rank() * 16 + d)));
    const auto recv = world->alltoallv(std::move(send));
    EXPECT_EQ(recv.size(), static_cast<std::size_t>(n));
    for (int from = 0; from < n && from < static_cast<int>(recv.size()); ++from) {
        const auto& b = recv[static_cast<std::size_t>(from)];
        EXPECT_EQ(b.size(), static_cast<std::size_t>(1000 * from + world->rank()));
        const auto want = std::byte(static_cast<unsigned char>(from * 16 + world->rank()));
        EXPECT_EQ(std::count(b.begin(), b.end(), want), static_cast<std::ptrdiff_t>(b.size())) << "from rank " << from;
    }
}

TEST(mpi_comm, alltoallv_with_empty_messages_in_between) {
    // Only rank r -> r + 1 carries data: for three ranks or more the rank one sends to is not
    // the one it receives from, and empty directions must not wait for a message.
    const int R = world->size(), me = world->rank();
    for (int shift : {1, R - 1}) {
        std::vector<std::vector<std::byte>> send(static_cast<std::size_t>(R));
        send[static_cast<std::size_t>((me + shift) % R)].assign(100 + static_cast<std::size_t>(me), std::byte{7});
        const auto got = world->alltoallv(std::move(send));
        for (int from = 0; from < R; ++from) {
            const bool expected = (from + shift) % R == me;
            EXPECT_EQ(got[static_cast<std::size_t>(from)].size(),
                      expected ? 100u + static_cast<std::size_t>(from) : 0u);
        }
    }
}

TEST(parallel_staged, matrix_tiles_written_independently) {
    // Each rank writes its own tiles (any number, any size) of one matrix; the file holds all.
    const std::string path = shared_path("matrix.h5");
    const std::uint64_t n = 37;
    {
        staged_writer w(*world, path);
        w.create_matrix("/m", n, n, "series", "series", "test");
        w.create_matrix("/one_value", n, n + 3, "series", "series", "test", 7.0);  // never written
        w.set_attr("/one_value", "method", std::string("pearson"));
        w.set_attr("/one_value", "pairs", 12.5);
        for (std::uint64_t r0 = static_cast<std::uint64_t>(world->rank()) * 5; r0 < n;
             r0 += static_cast<std::uint64_t>(world->size()) * 5) {
            const std::uint64_t rows = std::min<std::uint64_t>(5, n - r0);
            std::vector<double> tile(rows * n);
            for (std::uint64_t i = 0; i < rows; ++i)
                for (std::uint64_t j = 0; j < n; ++j) tile[i * n + j] = static_cast<double>((r0 + i) * 1000 + j);
            w.write_matrix_tile("/m", r0, 0, rows, n, tile);
        }
        w.commit();
    }
    if (world->is_root()) {
        h5::file f = h5::open_file(path, false, h5::file_access(comm()));
        h5::dataset d = h5::open_dataset(f.get(), "/m");
        std::vector<double> all(n * n);
        EXPECT_GE(H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data()), 0);
        std::uint64_t wrong = 0;
        for (std::uint64_t i = 0; i < n; ++i)
            for (std::uint64_t j = 0; j < n; ++j) wrong += all[i * n + j] != static_cast<double>(i * 1000 + j);
        EXPECT_EQ(wrong, 0u) << "matrix cells not as written";
        h5::dataset one = h5::open_dataset(f.get(), "/one_value");
        std::vector<double> sevens(n * (n + 3));
        EXPECT_GE(H5Dread(one.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, sevens.data()), 0);
        EXPECT_EQ(std::count(sevens.begin(), sevens.end(), 7.0), static_cast<std::ptrdiff_t>(sevens.size()));
        // Made at the commit, as in a one-process file: no storage, its attrs with it.
        EXPECT_EQ(H5Dget_storage_size(one.get()), 0U);
        EXPECT_EQ(h5::read_string_attr(one.get(), "tsbatch_format").value_or(""), "tsbatch-matrix");
        EXPECT_EQ(h5::read_string_attr(one.get(), "method").value_or(""), "pearson");
        double pairs = 0;
        h5::attribute a(H5Aopen(one.get(), "pairs", H5P_DEFAULT));
        ASSERT_GE(H5Aread(a.get(), H5T_NATIVE_DOUBLE, &pairs), 0);
        EXPECT_EQ(pairs, 12.5);
        EXPECT_EQ(h5::read_string_attr(d.get(), "tsbatch_format").value_or(""), "tsbatch-matrix");
        EXPECT_EQ(h5::read_string_attr(d.get(), "row_axis").value_or(""), "series");
        std::filesystem::remove(path);
    }
    world->barrier();
}

namespace {

// A failed check on a rank other than 0, printed with the rank (the default printer runs on
// rank 0 only).
class failure_printer : public ::testing::EmptyTestEventListener {
public:
    explicit failure_printer(int rank) : rank_(rank) {}
    void OnTestPartResult(const ::testing::TestPartResult& r) override {
        if (!r.failed()) return;
        std::fprintf(stderr, "rank %d: %s:%d: Failure\n%s\n", rank_, r.file_name() ? r.file_name() : "?",
                     r.line_number(), r.summary());
    }

private:
    int rank_;
};

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    mpi_session session(argc, argv);
    const comm w = session.world();
    world = &w;
    if (w.rank() != 0) {
        // Only rank 0 prints progress; other ranks print their failures, with their rank.
        auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
        delete listeners.Release(listeners.default_result_printer());
        listeners.Append(new failure_printer(w.rank()));
    }
    const int rc = RUN_ALL_TESTS();
    const auto worst = w.max(rc);
    if (w.rank() != 0 && rc != 0) std::fprintf(stderr, "rank %d: tests FAILED\n", w.rank());
    return static_cast<int>(worst);
}
