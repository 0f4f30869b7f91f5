#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "ended_process.hpp"
#include "io/h5.hpp"
#include "io/inspect.hpp"
#include "io/staged.hpp"
#include "io_temp_dir.hpp"

using namespace tsbatch;
namespace fs = std::filesystem;

namespace {

using temp_dir = tsbatch::testing::io_temp_dir;

series_batch sample_batch() {
    series_batch b;
    const std::vector<std::int64_t> t1 = {-5000, 0, 1000, 2000};
    const std::vector<double> v1 = {1.5, NAN, -2.0, 1e300};
    const std::vector<std::int64_t> t3 = {42};
    const std::vector<double> v3 = {7};
    b.append({"gw.level{site=BH01}", "gw.level", "site=BH01", 0}, {t1, v1});
    b.append({"empty", "x", "", 1}, {});
    b.append({"ph{région=Île}", "ph", "région=Île", 2}, {t3, v3});
    return b;
}

void expect_same(const series_batch& a, const series_batch& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a.meta[i].id, b.meta[i].id);
        EXPECT_EQ(a.meta[i].metric, b.meta[i].metric);
        EXPECT_EQ(a.meta[i].tags, b.meta[i].tags);
    }
    EXPECT_EQ(a.offset, b.offset);
    EXPECT_EQ(a.time, b.time);
    ASSERT_EQ(a.value.size(), b.value.size());
    EXPECT_EQ(std::memcmp(a.value.data(), b.value.data(), a.value.size() * sizeof(double)), 0);
}

// Series "s0".."s<n-1>" of length_of(i) points (time k, value i * 1000 + k), written as a
// staged file at `path`; the batch is returned to compare with what is read back.
template <class Length>
series_batch write_numbered_series(const comm& c, const std::string& path, std::uint64_t n, Length length_of) {
    series_batch all;
    for (std::uint64_t i = 0; i < n; ++i) {
        auto sink = all.open_series({"s" + std::to_string(i), "m", "", i});
        for (std::uint64_t k = 0; k < length_of(i); ++k)
            sink.push(static_cast<std::int64_t>(k), static_cast<double>(i * 1000 + k));
        all.close_series();
    }
    staged_writer w(c, path);
    w.write_collection("/", all);
    w.commit();
    return all;
}

// The options of a writer whose matrix tiles are written on a thread of its own.
write_options tiles_behind() {
    write_options opt;
    opt.tiles_in_background = true;
    return opt;
}

// Neither the final file nor the writer's temporary one is there.
void expect_nothing_left(const fs::path& final_path, const std::string& temp) {
    EXPECT_FALSE(fs::exists(final_path));
    EXPECT_FALSE(fs::exists(temp)) << temp;
}

}  // namespace

TEST(staged, round_trip_serial) {
    temp_dir d;
    const comm c;
    {
        staged_writer w(c, d / "a.h5");
        w.write_collection("/", sample_batch());
        w.commit();
    }
    staged_reader r(d / "a.h5", "/", c);
    EXPECT_EQ(r.series_count(), 3u);
    EXPECT_EQ(r.point_count(), 5u);
    EXPECT_EQ(r.counts(), (std::vector<std::uint64_t>{4, 0, 1}));
    expect_same(r.read(index_range{0, 3}), sample_batch());
    const std::vector<std::uint64_t> rows = {0, 2};
    const auto part = r.read(rows);
    ASSERT_EQ(part.size(), 2u);
    EXPECT_EQ(part.meta[1].id, "ph{région=Île}");
    EXPECT_EQ(part.meta[1].source_index, 2u);
    EXPECT_EQ(part.time, (std::vector<std::int64_t>{-5000, 0, 1000, 2000, 42}));
}

TEST(staged, round_trip_compressed_and_small_chunks) {
    temp_dir d;
    const comm c;
    write_options o;
    o.deflate_level = 6;
    o.chunk_bytes = 16;
    {
        staged_writer w(c, d / "z.h5", o);
        w.write_collection("/", sample_batch());
        w.commit();
    }
    expect_same(staged_reader(d / "z.h5", "/", c).read(index_range{0, 3}), sample_batch());
}

TEST(staged, collections_and_tables_in_groups) {
    temp_dir d;
    const comm c;
    table_batch t(
        {{"n", column_type::int64, "", ""}, {"x", column_type::float64, "ms", ""}, {"s", column_type::string, "", ""}});
    t.meta = {{"a", "", "", 5}, {"b", "", "", 9}};
    t.columns[0].ints = {1, 2};
    t.columns[1].floats = {0.5, NAN};
    t.columns[2].strings = {"yes", ""};
    {
        staged_writer w(c, d / "r.h5");
        w.write_collection("/step", sample_batch(), "identity");
        w.write_table("/q", t, "quality_stats");
        w.set_attr("/", "note", std::string("hello"));
        w.commit();
    }
    expect_same(staged_reader(d / "r.h5", "/step", c).read(index_range{0, 3}), sample_batch());
    const auto text = describe_file(d / "r.h5");
    EXPECT_NE(text.find("/q (quality_stats)"), std::string::npos) << text;
    EXPECT_NE(text.find("2 rows"), std::string::npos) << text;
    EXPECT_NE(text.find("hello"), std::string::npos) << text;
    // A table is not a collection.
    EXPECT_THROW(staged_reader(d / "r.h5", "/q", c), input_error);
}

TEST(staged, failed_write_leaves_nothing_at_the_final_path) {
    temp_dir d;
    const comm c;
    std::string temp;
    {
        staged_writer w(c, d / "out.h5");
        temp = w.temp_path();
        w.write_collection("/", sample_batch());
        EXPECT_TRUE(fs::exists(temp));
        // destroyed without commit, as when a run fails
    }
    expect_nothing_left(d / "out.h5", temp);
}

// A writer killed before commit() leaves its temporary file (no destructor runs); the next
// writer of that output on this host removes it, and only it.
TEST(staged, temporary_files_of_dead_writers_on_this_host_are_removed) {
    temp_dir d;
    const comm c;
    std::string mine;
    {
        staged_writer w(c, d / "out.h5");
        mine = w.temp_path();  // out.h5.tmp.HOST.PID: its pid runs (this process)
    }
    const std::string prefix = mine.substr(0, mine.rfind('.') + 1);
    const pid_t child = tsbatch::testing::ended_process_pid();
    ASSERT_GT(child, 0);
    const std::string dead = prefix + std::to_string(child);
    // A zombie: ended, not yet collected by its parent (kill() still finds it).
    const pid_t zombie = ::fork();
    if (zombie == 0) ::_exit(0);
    ASSERT_GT(zombie, 0);
    siginfo_t info{};
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(zombie), &info, WEXITED | WNOWAIT), 0);  // ended, still there
    ASSERT_EQ(::kill(zombie, 0), 0);
    const std::string ended = prefix + std::to_string(zombie);
    const std::string kept[] = {
        prefix + std::to_string(::getpid()),                                                      // this process runs
        prefix + std::to_string(::getppid()),                                                     // so does its parent
        d / ("out.h5.tmp.some-other-host." + std::to_string(child)),                              // another host's
        d / ("other.h5.tmp." + prefix.substr(prefix.find(".tmp.") + 5) + std::to_string(child)),  // another output
        prefix + "12ab",                                                                          // not a pid
        d / "out.h5",                                                                             // the output itself
    };
    for (const auto& f : kept) std::ofstream(f) << "x";
    std::ofstream(dead) << "partial";
    std::ofstream(ended) << "partial";
    auto removed = remove_abandoned_temp_files(d / "out.h5");
    ::waitpid(zombie, nullptr, 0);
    std::sort(removed.begin(), removed.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });
    ASSERT_EQ(removed.size(), 2u);
    EXPECT_EQ(removed[0].pid, std::min(child, zombie));
    EXPECT_EQ(removed[1].pid, std::max(child, zombie));
    EXPECT_EQ(removed[child < zombie ? 0 : 1].path, dead);
    EXPECT_EQ(removed[child < zombie ? 1 : 0].path, ended);
    EXPECT_FALSE(fs::exists(dead));
    EXPECT_FALSE(fs::exists(ended));
    for (const auto& f : kept) EXPECT_TRUE(fs::exists(f)) << f;
    // An output in a directory that does not exist has nothing to remove.
    EXPECT_TRUE(remove_abandoned_temp_files(d / "no/such/dir/out.h5").empty());
}

TEST(staged, rewrite_replaces_atomically) {
    temp_dir d;
    const comm c;
    for (int k = 0; k < 2; ++k) {
        staged_writer w(c, d / "out.h5");
        w.write_collection("/", sample_batch());
        w.commit();
    }
    EXPECT_EQ(staged_reader(d / "out.h5", "/", c).series_count(), 3u);
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(d.path)) ++files;
    EXPECT_EQ(files, 1u);
}

TEST(staged, unwritable_destination_is_an_output_error) {
    temp_dir d;
    const comm c;
    {
        std::FILE* f = std::fopen((d / "file").c_str(), "w");
        std::fclose(f);
    }
    try {
        staged_writer w(c, d / "file/sub/out.h5");
        FAIL();
    } catch (const output_error& e) {
        EXPECT_NE(std::string(e.what()).find("file/sub/out.h5"), std::string::npos) << e.what();
    }
    EXPECT_THROW(staged_writer(c, d.path.string()), output_error);  // a directory
}

TEST(staged, refuses_missing_and_foreign_files) {
    temp_dir d;
    const comm c;
    EXPECT_THROW(staged_reader(d / "nope.h5", "/", c), input_error);
    {
        std::FILE* f = std::fopen((d / "text.h5").c_str(), "w");
        std::fputs("not hdf5\n", f);
        std::fclose(f);
    }
    try {
        staged_reader(d / "text.h5", "/", c);
        FAIL();
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
    }
    // An HDF5 file that is not a tsbatch collection.
    {
        hid_t f = H5Fcreate((d / "plain.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        H5Fclose(f);
    }
    try {
        staged_reader(d / "plain.h5", "/", c);
        FAIL();
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("not a tsbatch series collection"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("plain.h5"), std::string::npos) << e.what();
    }
    EXPECT_THROW(staged_reader(d / "plain.h5", "/missing", c), input_error);
}

TEST(staged, refuses_newer_major_version_and_broken_offsets) {
    temp_dir d;
    const comm c;
    {
        staged_writer w(c, d / "v2.h5");
        w.write_collection("/", sample_batch());
        w.set_attr("/", "tsbatch_format_version", std::int64_t{2});
        w.commit();
    }
    try {
        staged_reader(d / "v2.h5", "/", c);
        FAIL();
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
    }
    {
        staged_writer w(c, d / "bad.h5");
        w.write_collection("/", sample_batch());
        w.commit();
    }
    {
        hid_t f = H5Fopen((d / "bad.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t ds = H5Dopen2(f, "/series/offset", H5P_DEFAULT);
        const std::uint64_t wrong[3] = {0, 3, 4};
        H5Dwrite(ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, wrong);
        H5Dclose(ds);
        H5Fclose(f);
    }
    try {
        staged_reader(d / "bad.h5", "/", c);
        FAIL();
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("offset"), std::string::npos) << e.what();
    }
}

// Files written by other tools (h5py) often store variable-length strings: accept them.
TEST(staged, reads_variable_length_strings) {
    temp_dir d;
    const comm c;
    {
        staged_writer w(c, d / "v.h5");
        w.write_collection("/", sample_batch());
        w.commit();
    }
    {
        hid_t f = H5Fopen((d / "v.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        H5Ldelete(f, "/series/id", H5P_DEFAULT);
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, H5T_CSET_UTF8);
        const hsize_t n = 3;
        hid_t sp = H5Screate_simple(1, &n, nullptr);
        hid_t ds = H5Dcreate2(f, "/series/id", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        const char* ids[3] = {"one", "two-longer", "3"};
        H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids);
        H5Dclose(ds);
        H5Sclose(sp);
        H5Tclose(t);
        H5Fclose(f);
    }
    const auto b = staged_reader(d / "v.h5", "/", c).read(index_range{1, 3});
    EXPECT_EQ(b.meta[0].id, "two-longer");
    EXPECT_EQ(b.meta[1].id, "3");
}

TEST(digest, depends_on_values_not_storage) {
    temp_dir d;
    const comm c;
    write_options packed;
    packed.deflate_level = 9;
    packed.chunk_bytes = 8;
    for (const auto& [name, opt] : {std::pair{"plain.h5", write_options{}}, std::pair{"packed.h5", packed}}) {
        staged_writer w(c, d / name, opt);
        w.write_collection("/", sample_batch());
        w.commit();
    }
    EXPECT_EQ(digest_file(d / "plain.h5"), digest_file(d / "packed.h5"));
    auto other = sample_batch();
    other.value[0] = 1.25;
    {
        staged_writer w(c, d / "other.h5");
        w.write_collection("/", other);
        w.commit();
    }
    EXPECT_NE(digest_file(d / "plain.h5"), digest_file(d / "other.h5"));
}

TEST(digest, a_constant_matrix_is_the_same_as_its_value_written_and_stores_nothing) {
    // 300 x 700: whole and partial chunks of matrix_tile.
    temp_dir d;
    const comm c;
    const std::uint64_t rows = 300, cols = 700;
    {
        staged_writer w(c, d / "written.h5");
        w.create_matrix("/m", rows, cols, "series", "series", "correlation");
        w.write_matrix_tile("/m", 0, 0, rows, cols, std::vector<double>(rows * cols, 12.0));
        w.commit();
    }
    {
        staged_writer w(c, d / "constant.h5");
        w.create_matrix("/m", rows, cols, "series", "series", "correlation", 12.0);
        w.commit();
    }
    EXPECT_EQ(digest_file(d / "written.h5"), digest_file(d / "constant.h5"));
    h5::file f = h5::open_file(d / "constant.h5", false, h5::file_access(c));
    h5::dataset m = h5::open_dataset(f.get(), "/m");
    EXPECT_EQ(H5Dget_storage_size(m.get()), 0U);
    std::vector<double> all(rows * cols);
    ASSERT_GE(H5Dread(m.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data()), 0);
    EXPECT_EQ(std::count(all.begin(), all.end(), 12.0), static_cast<std::ptrdiff_t>(rows * cols));
    EXPECT_LT(fs::file_size(d / "constant.h5") * 10, fs::file_size(d / "written.h5"));
}

// Tiles written behind: the caller overwrites its buffer as soon as write_matrix_tile returns
// and goes on with other members; the file is the same as one written tile by tile in place.
TEST(staged, tiles_written_in_background_give_the_same_file) {
    temp_dir d;
    const comm c;
    const std::uint64_t n = 600, tile = 200;  // 9 tiles, each touching several chunks
    const auto write = [&](const fs::path& path, bool behind) {
        write_options opt = tiles_behind();
        opt.tiles_in_background = behind;
        staged_writer w(c, path, opt);
        w.create_matrix("/m", n, n, "series", "series", "correlation");
        std::vector<double> buf(tile * tile);
        for (std::uint64_t i0 = 0; i0 < n; i0 += tile)
            for (std::uint64_t j0 = 0; j0 < n; j0 += tile) {
                for (std::uint64_t i = 0; i < tile; ++i)
                    for (std::uint64_t j = 0; j < tile; ++j)
                        buf[i * tile + j] = static_cast<double>((i0 + i) * n + j0 + j);
                w.write_matrix_tile("/m", i0, j0, tile, tile, buf);
                std::fill(buf.begin(), buf.end(), -1.0);  // the tile is the writer's copy now
            }
        w.set_attr("/m", "method", std::string("pearson"));
        w.create_matrix("/k", n, n, "series", "series", "", 3.0);
        w.write_collection("/", sample_batch());
        w.commit();
    };
    write(d / "in_place.h5", false);
    write(d / "behind.h5", true);
    EXPECT_EQ(digest_file(d / "behind.h5"), digest_file(d / "in_place.h5"));
    h5::file f = h5::open_file(d / "behind.h5", false, h5::file_access(c));
    h5::dataset m = h5::open_dataset(f.get(), "/m");
    std::vector<double> all(n * n);
    ASSERT_GE(H5Dread(m.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data()), 0);
    for (std::uint64_t k = 0; k < n * n; ++k) ASSERT_EQ(all[k], static_cast<double>(k)) << k;
}

// A tile that fails to be written behind fails the writer's next call, naming the file, and
// nothing appears at the final path.
TEST(staged, a_tile_that_fails_behind_fails_the_commit) {
    temp_dir d;
    std::string temp;
    {
        const comm c;
        staged_writer w(c, d / "out.h5", tiles_behind());
        temp = w.temp_path();
        w.create_matrix("/m", 10, 10, "series", "series");
        w.write_matrix_tile("/m", 8, 8, 4, 4, std::vector<double>(16, 1.0));  // beyond the matrix
        try {
            w.commit();
            FAIL() << "commit succeeded";
        } catch (const output_error& e) {
            EXPECT_NE(std::string(e.what()).find("cannot write matrix /m"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(std::string(d / "out.h5")), std::string::npos) << e.what();
        }
    }
    expect_nothing_left(d / "out.h5", temp);
}

// Abandoned with tiles still queued (a run failing in the middle of a step): the temporary
// file is closed and removed once the tile being written is done.
TEST(staged, abandoned_with_tiles_queued_leaves_nothing) {
    temp_dir d;
    const comm c;
    std::string temp;
    {
        staged_writer w(c, d / "out.h5", tiles_behind());
        w.create_matrix("/m", 1024, 1024, "series", "series");
        temp = w.temp_path();
        const std::vector<double> tile(256 * 256, 0.5);
        for (std::uint64_t i0 = 0; i0 < 1024; i0 += 256)
            for (std::uint64_t j0 = 0; j0 < 1024; j0 += 256) w.write_matrix_tile("/m", i0, j0, 256, 256, tile);
    }
    expect_nothing_left(d / "out.h5", temp);
}

TEST(digest, sees_attributes_but_not_provenance) {
    temp_dir d;
    const comm c;
    // The same data; `unit` (a result attribute) and the provenance differ as the test says.
    const auto write = [&](const std::string& name, const std::string& unit, const std::string& host,
                           std::int64_t ranks) {
        staged_writer w(c, d / name);
        w.write_collection("/", sample_batch());
        w.set_attr("/", "host", host);
        w.set_attr("/", "ranks", ranks);
        w.set_attr("/", "series_skipped", std::int64_t{0});
        w.set_attr("/points/value", "unit", unit);
        w.commit();
    };
    write("a.h5", "m", "node1", 1);
    write("b.h5", "m", "node7", 3);   // provenance only
    write("c.h5", "cm", "node1", 1);  // a dataset's attribute
    EXPECT_EQ(digest_file(d / "a.h5"), digest_file(d / "b.h5"));
    const auto a = digest_file(d / "a.h5");
    const auto c_digest = digest_file(d / "c.h5");
    EXPECT_NE(a, c_digest);
    // The difference is reported on the dataset's attribute entry, not on its values.
    std::vector<std::string> differing;
    for (std::size_t i = 0; i < a.size() && i < c_digest.size(); ++i)
        if (a[i] != c_digest[i]) differing.push_back(a[i].first);
    EXPECT_EQ(differing, std::vector<std::string>{"/points/value@attrs"});
    EXPECT_TRUE(is_provenance_attribute("start_time"));
    EXPECT_FALSE(is_provenance_attribute("series_skipped"));
}

namespace {

// Rewrites dataset `name` of a staged file with `type` and the given raw values.
template <class T>
void replace_dataset(const std::string& file, const char* name, hid_t type, const std::vector<T>& values) {
    hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(f, name, H5P_DEFAULT);
    const hsize_t n = values.size();
    hid_t sp = H5Screate_simple(1, &n, nullptr);
    hid_t ds = H5Dcreate2(f, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dclose(ds);
    H5Sclose(sp);
    H5Fclose(f);
}

std::string open_error(const std::string& file) {
    const comm c;
    try {
        staged_reader r(file, "/", c);
        (void)r.read(index_range{0, r.series_count()});
    } catch (const input_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

// HDF5 converts between numeric types silently; the reader must not let it.
TEST(staged, refuses_wrong_types_negative_and_overflowing_counts) {
    temp_dir d;
    const comm c;
    auto fresh = [&](const std::string& name) {
        staged_writer w(c, d / name);
        w.write_collection("/", sample_batch());
        w.commit();
        return d / name;
    };
    auto f1 = fresh("negcount.h5");
    replace_dataset<std::int64_t>(f1, "/series/count", H5T_NATIVE_INT64, {-1, 0, 6});
    EXPECT_NE(open_error(f1).find("series/count[0] is negative"), std::string::npos) << open_error(f1);

    auto f2 = fresh("floatcount.h5");
    replace_dataset<double>(f2, "/series/count", H5T_NATIVE_DOUBLE, {4.0, 0.0, 1.0});
    EXPECT_NE(open_error(f2).find("series/count must hold integers"), std::string::npos) << open_error(f2);

    auto f3 = fresh("floattime.h5");
    replace_dataset<double>(f3, "/points/time", H5T_NATIVE_DOUBLE, {1.5, 2.5, 3.5, 4.5, 5.5});
    EXPECT_NE(open_error(f3).find("points/time must hold integers"), std::string::npos) << open_error(f3);

    auto f4 = fresh("wrap.h5");  // counts whose sum wraps around 2^64
    replace_dataset<std::uint64_t>(f4, "/series/count", H5T_NATIVE_UINT64,
                                   {std::uint64_t{1} << 63, std::uint64_t{1} << 63, 5});
    replace_dataset<std::uint64_t>(f4, "/series/offset", H5T_NATIVE_UINT64, {0, std::uint64_t{1} << 63, 0});
    EXPECT_NE(open_error(f4).find("runs past the end of points/"), std::string::npos) << open_error(f4);

    auto f5 = fresh("numid.h5");
    replace_dataset<std::int64_t>(f5, "/series/id", H5T_NATIVE_INT64, {1, 2, 3});
    EXPECT_NE(open_error(f5).find("series/id must hold strings"), std::string::npos) << open_error(f5);
}

TEST(staged, refuses_absurdly_long_names) {
    temp_dir d;
    const comm c;
    auto b = sample_batch();
    b.meta[2].id = std::string(5000, 'x');
    {
        staged_writer w(c, d / "long.h5");
        w.write_collection("/", b);
        w.commit();
    }
    EXPECT_NE(open_error(d / "long.h5").find("series 2: a name is 5000 bytes long"), std::string::npos);
}

// Variable-length ASCII attributes are HDF5's default for C writers.
TEST(staged, accepts_variable_length_ascii_attributes) {
    temp_dir d;
    const comm c;
    {
        staged_writer w(c, d / "ascii.h5");
        w.write_collection("/", sample_batch());
        w.commit();
    }
    {
        hid_t f = H5Fopen((d / "ascii.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        H5Adelete(f, "tsbatch_format");
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, H5T_CSET_ASCII);
        hid_t sp = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(f, "tsbatch_format", t, sp, H5P_DEFAULT, H5P_DEFAULT);
        const char* v = "tsbatch-series";
        H5Awrite(a, t, &v);
        H5Aclose(a);
        H5Sclose(sp);
        H5Tclose(t);
        H5Fclose(f);
    }
    EXPECT_EQ(staged_reader(d / "ascii.h5", "/", c).series_count(), 3u);
    EXPECT_NE(describe_file(d / "ascii.h5").find("tsbatch-series"), std::string::npos);
}

// Scattered rows (near and far apart) read in windows give exactly the rows asked for.
TEST(staged, scattered_rows_read_exactly) {
    temp_dir d;
    const comm c;
    const series_batch all = write_numbered_series(c, d / "many.h5", 3000, [](std::uint64_t i) { return i % 200; });
    const staged_reader r(d / "many.h5", "/", c);
    std::vector<std::uint64_t> rows;
    for (std::uint64_t i = 0; i < 3000; i += 1 + (i * 7) % 900) rows.push_back(i);
    const auto got = r.read(rows);
    ASSERT_EQ(got.size(), rows.size());
    for (std::size_t j = 0; j < rows.size(); ++j) {
        EXPECT_EQ(got.meta[j].id, "s" + std::to_string(rows[j]));
        const auto want = all.series(rows[j]);
        const auto have = got.series(j);
        ASSERT_EQ(have.size(), want.size());
        for (std::size_t k = 0; k < have.size(); ++k) {
            EXPECT_EQ(have.time[k], want.time[k]);
            EXPECT_EQ(have.value[k], want.value[k]);
        }
    }
}

TEST(staged, a_reused_batch_reads_the_same_as_a_fresh_one) {
    temp_dir d;
    const comm c;
    write_numbered_series(c, d / "reuse.h5", 300, [](std::uint64_t i) { return 1 + (i * 37) % 500; });
    const staged_reader r(d / "reuse.h5", "/", c);
    // Batches of growing and shrinking size, each read into the one before: shorter, longer,
    // and longer than its capacity.
    series_batch batch;
    for (const index_range rows :
         {index_range{0, 40}, index_range{40, 50}, index_range{50, 120}, index_range{120, 300}, index_range{7, 9}}) {
        std::vector<std::uint64_t> ids(rows.size());
        for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = rows.begin + i;
        batch = r.read(ids, std::move(batch));
        expect_same(batch, r.read(rows));
        ASSERT_EQ(batch.size(), rows.size());
        EXPECT_EQ(batch.meta.front().source_index, rows.begin);
    }
}
