// Every HDF5 object that tsbatch opens is closed again: after each I/O test no file, group,
// dataset, attribute or named type may be left open. LeakSanitizer cannot see a forgotten
// hid_t (HDF5 closes what is left open when the process exits), so this check counts what
// HDF5 itself reports open.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "io/h5.hpp"

namespace {

// Objects open in all files (files themselves included), as HDF5 counts them.
ssize_t open_hdf5_objects() {
    return H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
}

// Fails the test that leaves more HDF5 objects open than there were when it started.
class open_handle_check : public ::testing::EmptyTestEventListener {
public:
    void OnTestStart(const ::testing::TestInfo&) override { before_ = open_hdf5_objects(); }
    void OnTestEnd(const ::testing::TestInfo& info) override {
        const ssize_t after = open_hdf5_objects();
        if (after > before_ && !info.result()->Failed()) {
            std::fprintf(stderr, "%s.%s left %zd HDF5 object(s) open\n", info.test_suite_name(), info.name(),
                         after - before_);
            leaked_ = true;
        }
    }
    void OnTestProgramEnd(const ::testing::UnitTest&) override {
        // The program's exit status carries the finding: no test may leave an object open.
        if (leaked_) std::_Exit(1);
    }

private:
    ssize_t before_ = 0;
    bool leaked_ = false;
};

// Registered before main runs the tests (gtest_main), for every test of this executable.
const bool registered = [] {
    ::testing::UnitTest::GetInstance()->listeners().Append(new open_handle_check);
    return true;
}();

}  // namespace

TEST(h5_handles, a_forgotten_handle_is_counted) {
    // The check itself: a file opened and not closed shows in the count, and closing it
    // brings the count back (so the listener above would catch a test that forgot it).
    const auto path = std::filesystem::temp_directory_path() / ("tsbatch_h5_handles_" + std::to_string(::getpid()) + ".h5");
    const ssize_t before = open_hdf5_objects();
    const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    const hid_t g = H5Gcreate2(f, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    EXPECT_EQ(open_hdf5_objects(), before + 2) << "the file and the group";
    H5Gclose(g);
    H5Fclose(f);
    EXPECT_EQ(open_hdf5_objects(), before);
    std::filesystem::remove(path);
}

TEST(h5_handles, the_raii_layer_closes_what_it_opens) {
    const auto path = std::filesystem::temp_directory_path() / ("tsbatch_h5_raii_" + std::to_string(::getpid()) + ".h5");
    const ssize_t before = open_hdf5_objects();
    {
        auto f = tsbatch::h5::create_file(path.string(), tsbatch::h5::file_access(tsbatch::comm()));
        auto d = tsbatch::h5::create_1d(f.get(), "x", H5T_IEEE_F64LE, 10, {});
        tsbatch::h5::write_attr(d.get(), "unit", std::string("m"));
        EXPECT_GT(open_hdf5_objects(), before);
    }
    EXPECT_EQ(open_hdf5_objects(), before);
    std::filesystem::remove(path);
}
