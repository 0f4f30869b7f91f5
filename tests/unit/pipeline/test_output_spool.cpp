// The output spool: points come back in order and bit for bit whatever part of them went to
// the temporary files (nothing, some, all), in pieces of any size, written in the caller's
// thread or in the background; the files never have a name in the directory; memory stays
// within the budget; a file that cannot be made or written is an output_error naming it.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pipeline/output_spool.hpp"

using namespace tsbatch;

namespace {

namespace fs = std::filesystem;

struct temp_dir {
    fs::path path;
    explicit temp_dir(const std::string& name)
        : path(fs::temp_directory_path() / ("tsbatch_spool_" + std::to_string(::getpid()) + "_" + name)) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~temp_dir() { fs::remove_all(path); }
    std::size_t entries() const {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(path)) ++n;
        return n;
    }
};

// Stream s, part k: n points with values that tell where they came from (NaN among them).
void part(std::uint64_t s, std::uint64_t k, std::size_t n, std::vector<std::int64_t>& t, std::vector<double>& v) {
    t.resize(n);
    v.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        t[i] = static_cast<std::int64_t>(s * 1000000000 + k * 100000 + i);
        v[i] = i % 7 == 3 ? std::nan("")
                          : static_cast<double>(s) + static_cast<double>(k) / 1000.0 + static_cast<double>(i) * 1e-9;
    }
}

struct expected {
    std::vector<std::int64_t> t;
    std::vector<double> v;
};

// Appends `parts` parts of growing sizes to each of `streams` streams, in turns; every other
// part hands its vectors over instead of letting the spool copy them.
std::vector<expected> fill(output_spool& sp, std::size_t streams, std::size_t parts) {
    std::vector<expected> want(streams);
    std::vector<std::int64_t> t;
    std::vector<double> v;
    for (std::size_t k = 0; k < parts; ++k)
        for (std::size_t s = 0; s < streams; ++s) {
            part(s, k, 100 + 37 * k + 11 * s, t, v);
            want[s].t.insert(want[s].t.end(), t.begin(), t.end());
            want[s].v.insert(want[s].v.end(), v.begin(), v.end());
            if (k % 2 == 0) {
                sp.append(s, t, v);
            } else {
                sp.append(s, std::move(t), std::move(v));
                t.clear();
                v.clear();
            }
        }
    return want;
}

void expect_stream(output_spool& sp, std::size_t s, const expected& want) {
    ASSERT_EQ(sp.points(s), want.t.size());
    // Through the writer's interface, piece by piece.
    auto src = sp.source(s);
    ASSERT_EQ(src->size(), want.t.size());
    std::vector<std::int64_t> t;
    std::vector<double> v;
    for (std::uint64_t at = 0; at < src->size();) {
        const auto n = std::min(src->piece_points(), src->size() - at);
        const auto p = src->piece(at, n);
        ASSERT_EQ(p.size(), n);
        t.insert(t.end(), p.time.begin(), p.time.end());
        v.insert(v.end(), p.value.begin(), p.value.end());
        at += n;
    }
    EXPECT_EQ(t, want.t);
    ASSERT_EQ(v.size(), want.v.size());
    EXPECT_EQ(std::memcmp(v.data(), want.v.data(), v.size() * sizeof(double)), 0);
    // Any range at all, across the file's extents and memory.
    for (std::uint64_t at : {std::uint64_t{0}, std::uint64_t{99}, want.t.size() / 3, want.t.size() - 1}) {
        const auto n = std::min<std::uint64_t>(want.t.size() - at, 777);
        std::vector<std::int64_t> rt(n);
        std::vector<double> rv(n);
        sp.read(s, at, n, rt.data(), rv.data());
        EXPECT_TRUE(std::equal(rt.begin(), rt.end(), want.t.begin() + static_cast<std::ptrdiff_t>(at)));
        EXPECT_EQ(std::memcmp(rv.data(), want.v.data() + at, n * sizeof(double)), 0);
    }
}

}  // namespace

TEST(output_spool, within_the_budget_everything_stays_in_memory_and_no_file_is_made) {
    temp_dir dir("memory");
    output_spool sp((dir.path / "r.h5").string(), 64 << 20, 0, 3);
    const auto want = fill(sp, 3, 20);
    EXPECT_EQ(sp.spilled_bytes(), 0u);
    for (std::size_t s = 0; s < 3; ++s) {
        expect_stream(sp, s, want[s]);
        EXPECT_EQ(sp.source(s)->piece_points(), want[s].t.size());  // one piece, straight from memory
    }
    EXPECT_EQ(dir.entries(), 0u);
}

TEST(output_spool, with_no_budget_everything_goes_to_files_without_a_name) {
    temp_dir dir("file");
    output_spool sp((dir.path / "r.h5").string(), 0, 2, 3, 500);
    const auto want = fill(sp, 3, 20);
    std::uint64_t points = 0;
    for (const auto& w : want) points += w.t.size();
    EXPECT_EQ(sp.spilled_bytes(), points * 16);
    EXPECT_EQ(sp.memory_bytes(), 0u);
    EXPECT_EQ(dir.entries(), 0u);  // the files are there, but not by any name
    for (std::size_t s = 0; s < 3; ++s) {
        EXPECT_EQ(sp.source(s)->piece_points(), 500u);
        expect_stream(sp, s, want[s]);
    }
}

TEST(output_spool, beyond_a_small_budget_the_rest_waits_in_the_files_and_memory_stays_within_it) {
    temp_dir dir("mixed");
    const std::uint64_t budget = 40000;  // bytes: a few parts of each stream
    output_spool sp((dir.path / "r.h5").string(), budget, 1, 4, 1000);
    const auto want = fill(sp, 4, 30);
    EXPECT_GT(sp.spilled_bytes(), 0u);
    EXPECT_LE(sp.memory_bytes(), budget);
    std::uint64_t points = 0;
    for (const auto& w : want) points += w.t.size();
    EXPECT_LT(sp.spilled_bytes(), points * 16);  // the first parts are still in memory
    EXPECT_GT(sp.memory_bytes(), budget / 2);
    EXPECT_EQ(dir.entries(), 0u);
    for (std::size_t s = 0; s < 4; ++s) expect_stream(sp, s, want[s]);
}

TEST(output_spool, a_part_larger_than_the_budget_goes_to_the_files_and_so_do_the_later_ones) {
    temp_dir dir("large");
    output_spool sp((dir.path / "r.h5").string(), 10000, 0, 1, 256);
    expected want;
    std::vector<std::int64_t> t;
    std::vector<double> v;
    for (std::size_t k = 0; k < 6; ++k) {
        part(0, k, k % 2 == 0 ? 100 : 5000, t, v);  // 1.6 kB, then 80 kB
        sp.append(0, t, v);
        want.t.insert(want.t.end(), t.begin(), t.end());
        want.v.insert(want.v.end(), v.begin(), v.end());
    }
    sp.append(0, std::span<const std::int64_t>{}, std::span<const double>{});  // nothing, anywhere
    expect_stream(sp, 0, want);
}

TEST(output_spool, an_empty_stream_gives_no_points) {
    temp_dir dir("empty");
    output_spool sp((dir.path / "r.h5").string(), 0, 0, 2);
    const auto want = fill(sp, 1, 3);
    EXPECT_EQ(sp.points(1), 0u);
    EXPECT_EQ(sp.source(1)->size(), 0u);
    EXPECT_GE(sp.source(1)->piece_points(), 1u);
    expect_stream(sp, 0, want[0]);
}

TEST(output_spool, a_file_that_cannot_be_made_is_an_output_error_naming_it) {
    temp_dir dir("bad");
    const auto blocker = dir.path / "not_a_dir";
    std::ofstream(blocker) << "x";
    output_spool sp((blocker / "r.h5").string(), 0, 3, 1);
    std::vector<std::int64_t> t{1, 2};
    std::vector<double> v{1, 2};
    try {
        sp.append(0, t, v);
        FAIL() << "no error";
    } catch (const output_error& e) {
        EXPECT_NE(std::string(e.what()).find("not_a_dir"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("run.output_memory_mb"), std::string::npos) << e.what();
    }
}

TEST(output_spool, written_in_the_background_every_point_comes_back_in_order) {
    temp_dir dir("background");
    for (const std::uint64_t budget : {std::uint64_t{0}, std::uint64_t{40000}}) {
        output_spool sp((dir.path / "r.h5").string(), budget, 1, 4, 1000);
        sp.write_in_background(4096);  // a small queue: the appends wait for the writer
        const auto want = fill(sp, 4, 30);
        EXPECT_GT(sp.spilled_bytes(), 0u);
        EXPECT_LE(sp.memory_bytes(), budget);
        EXPECT_EQ(dir.entries(), 0u);
        for (std::size_t s = 0; s < 4; ++s) expect_stream(sp, s, want[s]);
        // Appends after a read are written too.
        auto more = fill(sp, 4, 3);
        for (std::size_t s = 0; s < 4; ++s) {
            expected all = want[s];
            all.t.insert(all.t.end(), more[s].t.begin(), more[s].t.end());
            all.v.insert(all.v.end(), more[s].v.begin(), more[s].v.end());
            expect_stream(sp, s, all);
        }
    }
}

TEST(output_spool, a_write_that_fails_in_the_background_is_an_output_error_naming_the_files) {
    temp_dir dir("full");
    // A file size limit makes the writes past 64 KiB fail (EFBIG) as a full disk would.
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
    rlimit small = old;
    small.rlim_cur = 64 << 10;
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
    std::string error;
    {
        output_spool sp((dir.path / "r.h5").string(), 0, 5, 1);
        sp.write_in_background(1 << 20);
        std::vector<std::int64_t> t;
        std::vector<double> v;
        try {
            for (std::size_t k = 0; k < 40; ++k) {  // 40 x 1,000 points: 320 kB a file
                part(0, k, 1000, t, v);
                sp.append(0, std::move(t), std::move(v));
            }
            (void)sp.source(0);
        } catch (const output_error& e) {
            error = e.what();
        }
    }
    setrlimit(RLIMIT_FSIZE, &old);
    ASSERT_FALSE(error.empty()) << "no error";
    EXPECT_NE(error.find(dir.path.string()), std::string::npos) << error;
    EXPECT_NE(error.find("run.output_memory_mb"), std::string::npos) << error;
}
