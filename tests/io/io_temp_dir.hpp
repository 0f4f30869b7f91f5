#pragma once
// A fresh directory per test for the I/O tests, named after the test and the process, removed
// with everything in it when the test ends.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace tsbatch::testing {

struct io_temp_dir {
    std::filesystem::path path;
    io_temp_dir() {
        path = std::filesystem::temp_directory_path() /
               ("tsbatch_io_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~io_temp_dir() { std::filesystem::remove_all(path); }
    io_temp_dir(const io_temp_dir&) = delete;
    io_temp_dir& operator=(const io_temp_dir&) = delete;
    std::string operator/(const std::string& f) const { return (path / f).string(); }
};

}  // namespace tsbatch::testing
