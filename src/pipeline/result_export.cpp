#include "pipeline/result_export.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

#include "core/enum_names.hpp"
#include "core/error.hpp"
#include "core/format.hpp"
#include "parallel/agreement.hpp"
#include "storage/export_format.hpp"

namespace tsbatch {
namespace {

/// Rows read and formatted at a time: bounds the memory of a big table's export.
constexpr std::uint64_t block_rows = 65536;

std::string part_file(const std::string& name, std::uint64_t part) {
    char buf[32];
    std::snprintf(buf, sizeof buf, ".part-%05llu.csv", static_cast<unsigned long long>(part));
    return name + buf;
}

std::uint64_t rows_of(const result_file& f, const stored_object& o) {
    return o.kind == stored_kind::table ? table_reader(f, o.path).rows() : matrix_reader(f, o.path).rows();
}

void write_table_csv(const result_file& f, const csv_file_plan& p, storage::export_file& out) {
    const table_reader t(f, p.object.path);
    std::vector<column_spec> specs;
    for (const auto& c : t.columns()) specs.push_back({c.name, c.type, c.unit, ""});
    out.write(storage::table_csv_header(specs));
    std::string text;
    for (std::uint64_t r = p.row0; r < p.row0 + p.rows; r += block_rows) {
        text.clear();
        storage::append_table_csv_rows(text, t.read(r, std::min(block_rows, p.row0 + p.rows - r)));
        out.write(text);
    }
}

void write_matrix_csv(const result_file& f, const csv_file_plan& p, storage::export_file& out) {
    const matrix_reader m(f, p.object.path);
    const auto row_labels = m.labels(0);
    // The corner cell names both axes, as "series\series" or "cluster\column".
    out.write(storage::matrix_csv_header(m.axis_name(0) + "\\" + m.axis_name(1), m.labels(1)));
    // Blocks of about block_rows cells, at least one row.
    const std::uint64_t rows_per_block = std::max<std::uint64_t>(1, block_rows / std::max<std::uint64_t>(1, m.cols()));
    std::string text;
    std::vector<double> values;
    for (std::uint64_t r = p.row0; r < p.row0 + p.rows; r += rows_per_block) {
        const auto n = std::min(rows_per_block, p.row0 + p.rows - r);
        m.read_rows(r, n, values);
        text.clear();
        for (std::uint64_t i = 0; i < n; ++i)
            storage::append_matrix_csv_row(text, row_labels[r + i],
                                           std::span<const double>(values).subspan(i * m.cols(), m.cols()));
        out.write(text);
    }
}

// Files of an earlier export of the same objects that this one did not write (a table that
// had more rows, or was cut into parts and now fits one file) would be read as data: remove them.
void remove_stale_files(const std::string& dir, const std::vector<csv_file_plan>& plans) {
    std::map<std::string, std::uint64_t> parts;  // name -> part files written (0: one file, no parts)
    for (const auto& p : plans) {
        const auto name = export_name(p.object.path);
        parts[name] += p.file == name + ".csv" ? 0 : 1;
    }
    const std::filesystem::path d(dir);
    for (const auto& [name, written] : parts) {
        std::error_code ec;
        if (written > 0) std::filesystem::remove(d / (name + ".csv"), ec);
        for (auto k = written; std::filesystem::remove(d / part_file(name, k), ec); ++k) {
        }
    }
}

std::string object_list_text(const std::vector<stored_object>& objects, stored_kind kind) {
    std::size_t n = 0;
    for (const auto& o : objects) n += o.kind == kind ? 1 : 0;
    const std::string one = enum_name(kind, stored_kind_names);
    return plural(n, one, one == "matrix" ? "matrices" : one + "s");
}

}  // namespace

std::vector<csv_file_plan> plan_csv_files(const stored_object& object, std::uint64_t total_rows,
                                          std::uint64_t rows_per_part) {
    if (rows_per_part == 0) throw usage_error("--rows-per-part must be at least 1");
    const auto name = export_name(object.path);
    if (total_rows <= rows_per_part) return {{object, name + ".csv", 0, total_rows}};
    std::vector<csv_file_plan> out;
    for (std::uint64_t r = 0, k = 0; r < total_rows; r += rows_per_part, ++k)
        out.push_back({object, part_file(name, k), r, std::min(rows_per_part, total_rows - r)});
    return out;
}

void export_location(const comm& c, const staged_location& where, const export_settings& s) {
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<result_file> file;
    stored_kind kind = stored_kind::other;
    std::vector<stored_object> objects;
    agreed_phase(c, [&] {
        file.emplace(where.path);
        kind = file->kind_of(where.group);
        if (kind == stored_kind::collection) return;
        if (s.format != "csv")
            throw input_error(where.name() + " is " +
                              (kind == stored_kind::other ? std::string("not a collection")
                                                          : "a " + std::string(enum_name(kind, stored_kind_names))) +
                              "; " + s.format + " takes one collection (as run.h5:/hourly), --to csv also takes "
                              "tables, matrices, steps and whole results");
        objects = file->objects_under(where.group);
        if (objects.empty()) throw input_error(where.name() + " holds no collection, table or matrix");
    });
    if (kind == stored_kind::collection) {
        file.reset();
        export_collections(c, {where}, s);
        return;
    }

    // Collections first, each to a directory of its own, then the tables' and matrices' files.
    std::vector<csv_file_plan> plans;
    agreed_phase(c, [&] {
        for (const auto& o : objects)
            if (o.kind != stored_kind::collection)
                for (auto& p : plan_csv_files(o, rows_of(*file, o), s.rows_per_part)) plans.push_back(std::move(p));
    });
    for (const auto& o : objects) {
        if (o.kind != stored_kind::collection) continue;
        export_settings sub = s;
        sub.dir = (std::filesystem::path(s.dir) / export_name(o.path)).string();
        export_collections(c, {location_of(where.path, o.path)}, sub);
    }
    agreed_phase(c, [&] {
        std::error_code ec;
        if (c.is_root()) std::filesystem::create_directories(s.dir, ec);
        if (c.is_root() && !std::filesystem::is_directory(s.dir, ec))
            throw output_error("cannot create the output directory " + s.dir);
    });

    // File j goes to rank j mod R: small tables spread, and a big one's parts too.
    std::uint64_t rows_written = 0, files_written = 0;
    std::vector<std::unique_ptr<storage::export_file>> done;  // committed together, after every rank wrote
    agreed_phase(c, [&] {
        for (std::size_t j = static_cast<std::size_t>(c.rank()); j < plans.size(); j += static_cast<std::size_t>(c.size())) {
            const auto& p = plans[j];
            auto out = std::make_unique<storage::export_file>((std::filesystem::path(s.dir) / p.file).string(),
                                                              storage::export_file::plain);
            if (p.object.kind == stored_kind::table)
                write_table_csv(*file, p, *out);
            else
                write_matrix_csv(*file, p, *out);
            rows_written += p.rows;
            ++files_written;
            done.push_back(std::move(out));
        }
    });
    agreed_phase(c, [&] {
        for (auto& f : done) f->commit();
    });
    agreed_phase(c, [&] {
        if (c.is_root()) remove_stale_files(s.dir, plans);
    });
    const auto rows = c.sum(rows_written), files = c.sum(files_written);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (c.is_root()) {
        std::printf("exported %s and %s of %s to %s: %s, %s rows in %.2f s\n",
                    object_list_text(objects, stored_kind::table).c_str(),
                    object_list_text(objects, stored_kind::matrix).c_str(), where.name().c_str(), s.dir.c_str(),
                    plural(files, "CSV file", "CSV files").c_str(), format_grouped_count(rows).c_str(), sec);
        std::fflush(stdout);
    }
}

}  // namespace tsbatch
