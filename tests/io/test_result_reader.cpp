// Tables and matrices written by staged_writer, read back by result_reader by ranges of rows,
// with the axis-label rules of matrix_reader::labels.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/error.hpp"
#include "io_temp_dir.hpp"
#include "io/result_reader.hpp"
#include "io/staged.hpp"

using namespace tsbatch;
namespace fs = std::filesystem;

namespace {

using temp_dir = tsbatch::testing::io_temp_dir;

const std::vector<column_spec> specs = {{"start", column_type::int64, unit_epoch_ms, "first"},
                                        {"mean", column_type::float64, "", "mean"},
                                        {"label", column_type::string, "", "text"}};

table_batch sample_table() {
    table_batch t(specs);
    for (int i = 0; i < 5; ++i) {
        t.meta.push_back({"s" + std::to_string(i) + "{k=v}", "s", "k=v", static_cast<std::uint64_t>(10 + i)});
        t.columns[0].ints.push_back(1000 * i - 1);
        t.columns[1].floats.push_back(i == 2 ? std::numeric_limits<double>::quiet_NaN() : 0.1 * i);
        t.columns[2].strings.push_back(i == 3 ? "a,\"b\"" : "é" + std::to_string(i));
    }
    return t;
}

// A result with a collection, a table step, and a correlation-like step: a `series` axis
// table, a series x series matrix, and a cluster x column matrix with stored column labels.
std::string write_sample(const temp_dir& d) {
    const comm c;
    const auto path = d / "r.h5";
    staged_writer w(c, path);
    series_batch b;
    const std::vector<std::int64_t> t = {1, 2};
    const std::vector<double> v = {3, 4};
    b.append({"a", "a", "", 0}, {t, v});
    w.write_collection("/copy", b, "identity");
    w.write_table("/q", sample_table(), "quality_stats");
    w.write_group("/corr", "correlation");
    table_batch axis({{"points", column_type::int64, "", ""}});
    for (int i = 0; i < 3; ++i) {
        axis.meta.push_back({"x" + std::to_string(i), "x", "", static_cast<std::uint64_t>(i)});
        axis.columns[0].ints.push_back(i);
    }
    w.write_table("/corr/series", axis);
    w.create_matrix("/corr/r", 3, 3, "series", "series");
    std::vector<double> r(9);
    for (int i = 0; i < 9; ++i) r[static_cast<std::size_t>(i)] = i * 0.5;
    w.write_matrix_tile("/corr/r", 0, 0, 3, 3, r);
    w.create_matrix("/corr/centroids", 2, 2, "cluster", "column");
    w.set_attr("/corr/centroids", "col_labels", std::string("nb_points,mean"));
    w.write_matrix_tile("/corr/centroids", 0, 0, 2, 2, std::vector<double>{1, 2, 3, 4});
    w.create_matrix("/corr/other", 2, 1, "component", "variable");
    w.write_matrix_tile("/corr/other", 0, 0, 2, 1, std::vector<double>{5, 6});
    w.commit();
    return path;
}

}  // namespace

TEST(result_reader, lists_objects_in_written_order_with_their_kinds) {
    temp_dir d;
    const result_file f(write_sample(d));
    EXPECT_EQ(f.kind_of("/"), stored_kind::other);
    EXPECT_EQ(f.kind_of("/copy"), stored_kind::collection);
    EXPECT_EQ(f.kind_of("/q"), stored_kind::table);
    EXPECT_EQ(f.kind_of("/corr/r"), stored_kind::matrix);
    std::vector<std::string> paths;
    for (const auto& o : f.objects_under("/")) paths.push_back(o.path);
    const std::vector<std::string> want = {"/copy", "/q", "/corr/series", "/corr/r", "/corr/centroids", "/corr/other"};
    EXPECT_EQ(paths, want);
    ASSERT_EQ(f.objects_under("/corr/r").size(), 1U);
    EXPECT_EQ(f.objects_under("/q").front().kind, stored_kind::table);
}

TEST(result_reader, table_columns_in_file_order_and_any_row_range) {
    temp_dir d;
    const result_file f(write_sample(d));
    const table_reader t(f, "/q");
    EXPECT_EQ(t.rows(), 5U);
    std::vector<std::string> names;
    for (const auto& c : t.columns()) names.push_back(c.name);
    EXPECT_EQ(names, (std::vector<std::string>{"series_index", "id", "start", "mean", "label"}));
    EXPECT_EQ(t.columns()[0].type, column_type::int64);
    EXPECT_EQ(t.columns()[1].type, column_type::string);
    EXPECT_EQ(t.columns()[2].unit, unit_epoch_ms);
    const auto want = sample_table();
    for (std::uint64_t start = 0; start <= 5; ++start)
        for (std::uint64_t n = 0; start + n <= 5; ++n) {
            const auto got = t.read(start, n);
            ASSERT_EQ(got.columns.size(), 5U);
            for (std::uint64_t i = 0; i < n; ++i) {
                const auto row = start + i;
                EXPECT_EQ(got.columns[0].ints[i], static_cast<std::int64_t>(10 + row));
                EXPECT_EQ(got.columns[1].strings[i], want.meta[row].id);
                EXPECT_EQ(got.columns[2].ints[i], want.columns[0].ints[row]);
                const double a = got.columns[3].floats[i], b = want.columns[1].floats[row];
                EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0);
                EXPECT_EQ(got.columns[4].strings[i], want.columns[2].strings[row]);
            }
        }
    EXPECT_THROW(t.read(4, 2), internal_error);
}

TEST(result_reader, matrix_rows_and_the_three_label_rules) {
    temp_dir d;
    const result_file f(write_sample(d));
    const matrix_reader r(f, "/corr/r");
    EXPECT_EQ(r.rows(), 3U);
    EXPECT_EQ(r.cols(), 3U);
    EXPECT_EQ(r.axis_name(0), "series");
    EXPECT_EQ(r.read_rows(1, 2), (std::vector<double>{1.5, 2, 2.5, 3, 3.5, 4}));
    // Into a vector of another size: exactly the rows, whatever it held.
    std::vector<double> into(20, -1.0);
    r.read_rows(2, 1, into);
    EXPECT_EQ(into, (std::vector<double>{3, 3.5, 4}));
    r.read_rows(0, 2, into);
    EXPECT_EQ(into, (std::vector<double>{0, 0.5, 1, 1.5, 2, 2.5}));
    // The step's `series` table names both axes.
    EXPECT_EQ(r.labels(0), (std::vector<std::string>{"x0", "x1", "x2"}));
    EXPECT_EQ(r.labels(1), r.labels(0));
    // Stored labels first; an axis with neither gets positions.
    const matrix_reader c(f, "/corr/centroids");
    EXPECT_EQ(c.labels(1), (std::vector<std::string>{"nb_points", "mean"}));
    EXPECT_EQ(c.labels(0), (std::vector<std::string>{"0", "1"}));
    const matrix_reader o(f, "/corr/other");
    EXPECT_EQ(o.labels(0), (std::vector<std::string>{"0", "1"}));
    EXPECT_EQ(o.labels(1), (std::vector<std::string>{"0"}));
}

TEST(result_reader, wrong_objects_and_files_are_input_errors_naming_them) {
    temp_dir d;
    const auto path = write_sample(d);
    const result_file f(path);
    auto message_of = [](auto&& fn) {
        try {
            fn();
        } catch (const input_error& e) {
            return std::string(e.what());
        }
        return std::string("no input_error");
    };
    EXPECT_NE(message_of([&] { f.kind_of("/nope"); }).find(path + ": has no group or dataset /nope"), std::string::npos);
    EXPECT_NE(message_of([&] { table_reader(f, "/corr/r"); }).find(path + ":/corr/r is not a tsbatch table"),
              std::string::npos);
    EXPECT_NE(message_of([&] { matrix_reader(f, "/q"); }).find(path + ":/q is not a tsbatch matrix"), std::string::npos);
    EXPECT_NE(message_of([&] { result_file(d / "missing.h5"); }).find("missing.h5: no such file"), std::string::npos);
    {
        std::FILE* text = std::fopen((d / "text.h5").c_str(), "w");
        std::fputs("not hdf5\n", text);
        std::fclose(text);
    }
    EXPECT_NE(message_of([&] { result_file(d / "text.h5"); }).find("text.h5: not an HDF5 file"), std::string::npos);
}
