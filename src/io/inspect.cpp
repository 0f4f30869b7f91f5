#include "io/inspect.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/format.hpp"
#include "core/time.hpp"
#include "io/h5.hpp"
#include "io/staged.hpp"

namespace tsbatch {
namespace {

constexpr std::uint64_t block = 1u << 20;

h5::file open_for_inspect(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw input_error(path + ": no such file");
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        throw input_error(path + ": not an HDF5 file");
    }
    try {
        const comm local;
        return h5::open_file(path, false, h5::file_access(local));
    } catch (const h5::failure& e) {
        throw input_error(path + ": cannot open: " + e.what());
    }
}

std::string join(const std::string& a, const std::string& b) { return a == "/" ? "/" + b : a + "/" + b; }

void describe_collection(hid_t g, const std::string& name, std::string& out) {
    auto cnt = h5::open_dataset(g, "series/count");
    auto tim = h5::open_dataset(g, "points/time");
    auto val = h5::open_dataset(g, "points/value");
    const auto n = h5::length(cnt.get());
    const auto p = h5::length(tim.get());
    std::vector<std::uint64_t> counts(n);
    h5::read_slab(cnt.get(), H5T_NATIVE_UINT64, 0, n, counts.data());
    std::uint64_t empty = 0, cmin = std::numeric_limits<std::uint64_t>::max(), cmax = 0;
    for (auto c : counts) {
        empty += c == 0;
        cmin = std::min(cmin, c);
        cmax = std::max(cmax, c);
    }
    std::int64_t tmin = std::numeric_limits<std::int64_t>::max(), tmax = std::numeric_limits<std::int64_t>::min();
    std::uint64_t nan = 0;
    std::vector<std::int64_t> tb;
    std::vector<double> vb;
    for (std::uint64_t s = 0; s < p; s += block) {
        const auto m = std::min(block, p - s);
        tb.resize(m);
        vb.resize(m);
        h5::read_slab(tim.get(), H5T_NATIVE_INT64, s, m, tb.data());
        h5::read_slab(val.get(), H5T_NATIVE_DOUBLE, s, m, vb.data());
        for (std::uint64_t i = 0; i < m; ++i) {
            tmin = std::min(tmin, tb[i]);
            tmax = std::max(tmax, tb[i]);
            nan += std::isnan(vb[i]) ? 1 : 0;
        }
    }
    out += fmt::format("  {:<20} series collection: {} series, {} points ({} NaN)\n", name, n, p, nan);
    if (n > 0)
        out += fmt::format("  {:<20}   points per series {}..{} (mean {}), {} empty\n", "", cmin, cmax,
                           format_human_count(static_cast<double>(p) / static_cast<double>(n)), empty);
    if (p > 0) out += fmt::format("  {:<20}   time {} .. {}\n", "", format_iso8601(tmin), format_iso8601(tmax));
    auto ids = h5::read_strings(h5::open_dataset(g, "series/id").get(), 0, std::min<std::uint64_t>(n, 3));
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "" : ", ") + id;
    if (n > 0) out += fmt::format("  {:<20}   ids: {}{}\n", "", list, n > 3 ? ", ..." : "");
}

void describe_table(hid_t g, const std::string& name, const inspect_options& opt, std::string& out) {
    auto names = h5::member_names(g);
    std::uint64_t rows = 0;
    std::string cols;
    for (const auto& c : names) {
        auto d = h5::open_dataset(g, c);
        rows = h5::length(d.get());
        h5::datatype t(h5::check(H5Dget_type(d.get()), "H5Dget_type"));
        const auto cls = H5Tget_class(t.get());
        cols += (cols.empty() ? "" : ", ") + c + (cls == H5T_STRING ? ":str" : cls == H5T_FLOAT ? ":f64" : ":i64");
    }
    out += fmt::format("  {:<20} table: {} rows; columns {}\n", name, rows, cols);
    const auto shown = std::min<std::uint64_t>(rows, opt.sample_rows);
    for (std::uint64_t r = 0; r < shown; ++r) {
        std::string line;
        for (const auto& c : names) {
            auto d = h5::open_dataset(g, c);
            h5::datatype t(h5::check(H5Dget_type(d.get()), "H5Dget_type"));
            std::string v;
            switch (H5Tget_class(t.get())) {
            case H5T_STRING: v = h5::read_strings(d.get(), r, 1).front(); break;
            case H5T_FLOAT: {
                double x = 0;
                h5::read_slab(d.get(), H5T_NATIVE_DOUBLE, r, 1, &x);
                v = fmt::format("{:.6g}", x);
                break;
            }
            default: {
                long long x = 0;
                h5::read_slab(d.get(), H5T_NATIVE_LLONG, r, 1, &x);
                v = std::to_string(x);
            }
            }
            line += (line.empty() ? "" : "  ") + c + "=" + v;
        }
        out += fmt::format("  {:<20}   {}\n", "", line);
    }
    if (rows > shown) out += fmt::format("  {:<20}   ...\n", "");
}

void describe_group(hid_t file, const std::string& path, const inspect_options& opt, std::string& out) {
    h5::group g = h5::open_group(file, path);
    const auto fmt_attr = h5::read_string_attr(g.get(), "tsbatch_format").value_or("");
    const auto op = h5::read_string_attr(g.get(), "tsbatch_step_op");
    const std::string label = path + (op ? " (" + *op + ")" : "");
    if (fmt_attr == series_format) {
        describe_collection(g.get(), label, out);
        return;
    }
    if (fmt_attr == table_format) {
        describe_table(g.get(), label, opt, out);
        return;
    }
    for (const auto& m : h5::member_names(g.get())) {
        const auto child = join(path, m);
        if (h5::is_group(file, child)) describe_group(file, child, opt, out);
        else {
            auto d = h5::open_dataset(file, child);
            std::string shape;
            for (auto x : h5::dims(d.get())) shape += (shape.empty() ? "" : "x") + std::to_string(x);
            out += fmt::format("  {:<20} dataset [{}]\n", child, shape);
        }
    }
}

// FNV-1a over a byte range.
void fnv(std::uint64_t& h, const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
}

std::string digest_dataset(hid_t d) {
    std::uint64_t h = 14695981039346656037ull;
    h5::datatype t(h5::check(H5Dget_type(d), "H5Dget_type"));
    const auto cls = H5Tget_class(t.get());
    const auto dims = h5::dims(d);
    std::uint64_t n = 1;
    for (auto x : dims) n *= x;
    fnv(h, dims.data(), dims.size() * sizeof(std::uint64_t));
    if (dims.size() != 1) {
        // 2-D float64 matrices: read whole (they are small dense results).
        std::vector<double> v(n);
        if (n) h5::check(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "H5Dread");
        fnv(h, v.data(), v.size() * sizeof(double));
        return fmt::format("{:016x}", h);
    }
    for (std::uint64_t s = 0; s < n; s += block) {
        const auto m = std::min(block, n - s);
        if (cls == H5T_STRING) {
            for (const auto& str : h5::read_strings(d, s, m)) fnv(h, str.c_str(), str.size() + 1);
        } else if (cls == H5T_FLOAT) {
            std::vector<double> v(m);
            h5::read_slab(d, H5T_NATIVE_DOUBLE, s, m, v.data());
            fnv(h, v.data(), m * sizeof(double));
        } else {
            std::vector<long long> v(m);
            h5::read_slab(d, H5T_NATIVE_LLONG, s, m, v.data());
            fnv(h, v.data(), m * sizeof(long long));
        }
    }
    return fmt::format("{:016x}", h);
}

// The attributes of one object, sorted by name, as one hash (entry `PATH@attrs`); nothing
// when it has none left after the root's provenance fields are taken out.
void digest_attributes(hid_t obj, const std::string& path, std::vector<std::pair<std::string, std::string>>& out) {
    auto attrs = h5::all_attrs_as_text(obj);
    if (path == "/")
        std::erase_if(attrs, [](const auto& a) { return is_provenance_attribute(a.first); });
    if (attrs.empty()) return;
    std::sort(attrs.begin(), attrs.end());
    std::uint64_t h = 14695981039346656037ull;
    for (const auto& [name, text] : attrs) {
        fnv(h, name.c_str(), name.size() + 1);
        fnv(h, text.c_str(), text.size() + 1);
    }
    out.emplace_back(path + "@attrs", fmt::format("{:016x}", h));
}

void digest_group(hid_t file, const std::string& path, bool include_run,
                  std::vector<std::pair<std::string, std::string>>& out) {
    h5::group g = h5::open_group(file, path);
    digest_attributes(g.get(), path, out);
    for (const auto& m : h5::member_names(g.get())) {
        if (!include_run && path == "/" && m.rfind("_run", 0) == 0) continue;
        const auto child = join(path, m);
        if (h5::is_group(file, child)) {
            digest_group(file, child, include_run, out);
        } else {
            const h5::dataset d = h5::open_dataset(file, child);
            out.emplace_back(child, digest_dataset(d.get()));
            digest_attributes(d.get(), child, out);
        }
    }
}

}  // namespace

std::string describe_file(const std::string& path, const inspect_options& opt) {
    const h5::silence_errors quiet;
    auto f = open_for_inspect(path);
    std::string out;
    try {
        h5::group root = h5::open_group(f.get(), "/");
        const auto fmt_attr = h5::read_string_attr(root.get(), "tsbatch_format").value_or("(not a tsbatch file)");
        std::error_code ec;
        out += fmt::format("{}: {} (format version {}), {} bytes\n", path, fmt_attr,
                           h5::read_int_attr(root.get(), "tsbatch_format_version").value_or(0),
                           std::filesystem::file_size(path, ec));
        for (const auto& [k, v] : h5::all_attrs_as_text(root.get())) {
            if (k == "tsbatch_format" || k == "tsbatch_format_version") continue;
            if (k == "config") {
                if (opt.show_config) out += "  config:\n    " + [s = v]() mutable {
                    for (std::size_t i = s.find('\n'); i != std::string::npos && i + 1 < s.size(); i = s.find('\n', i + 5))
                        s.replace(i, 1, "\n    ");
                    return s;
                }() + (v.empty() || v.back() == '\n' ? "" : "\n");
                continue;
            }
            out += fmt::format("  {:<20} {}\n", k, v);
        }
        describe_group(f.get(), "/", opt, out);
    } catch (const h5::failure& e) {
        throw input_error(path + ": cannot read: " + e.what());
    }
    return out;
}

bool is_provenance_attribute(std::string_view name) {
    static constexpr std::array<std::string_view, 21> names{
        // the program and the machine
        "tsbatch_version", "tsbatch_git", "hdf5_version", "mpi_version", "host",
        // the command, when, and with how many ranks
        "command_line", "start_time", "end_time", "ranks",
        // where the input and the config came from
        "config", "config_file", "input_path", "input_mtime", "input_size", "stage_in_inputs", "stage_in_from",
        // how the work was cut and shared
        "balance", "chunks", "chunks_from_checkpoint", "imbalance_planned", "imbalance_compute"};
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::pair<std::string, std::string>> digest_file(const std::string& path, bool include_run) {
    const h5::silence_errors quiet;
    auto f = open_for_inspect(path);
    std::vector<std::pair<std::string, std::string>> out;
    try {
        digest_group(f.get(), "/", include_run, out);
    } catch (const h5::failure& e) {
        throw input_error(path + ": cannot read: " + e.what());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace tsbatch
