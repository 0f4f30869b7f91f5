#include <filesystem>

#include "core/error.hpp"
#include "core/memory.hpp"
#include "io/h5.hpp"
#include "io/staged.hpp"

namespace tsbatch {

struct staged_reader::impl {
    std::string path;
    std::string group;
    h5::file file;
    h5::group coll;
    h5::dataset id, metric, tags, time, value;
    std::vector<std::uint64_t> offset, count;
    std::uint64_t points = 0;

    [[noreturn]] void fail(const std::string& what) const {
        throw input_error(path + (group == "/" ? "" : ":" + group) + ": " + what);
    }
};

namespace {

std::string normalise_group(const std::string& g) {
    if (g.empty() || g == "/") return "/";
    std::string s = g.front() == '/' ? g : "/" + g;
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

}  // namespace

staged_reader::staged_reader(const std::string& path, const std::string& group, const comm& c)
    : impl_(std::make_unique<impl>()) {
    auto& m = *impl_;
    m.path = path;
    m.group = normalise_group(group);
    const h5::silence_errors quiet;

    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw input_error(path + ": no such file");
    if (std::filesystem::is_directory(path, ec)) throw input_error(path + ": is a directory, not an HDF5 file");
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        throw input_error(path + ": not an HDF5 file (a tsbatch staged file is HDF5; see `tsbatch stage-in`)");
    }
    try {
        const h5::file_access fa(c);
        m.file = h5::open_file(path, false, fa);
    } catch (const h5::failure& e) {
        throw input_error(path + ": cannot open: " + e.what());
    }
    if (!h5::exists(m.file.get(), m.group) || !h5::is_group(m.file.get(), m.group))
        m.fail("no such group in the file");
    try {
        m.coll = h5::open_group(m.file.get(), m.group);
        const auto fmt = h5::read_string_attr(m.coll.get(), "tsbatch_format");
        if (!fmt)
            m.fail("not a tsbatch series collection (attribute tsbatch_format is missing); `tsbatch inspect " + path +
                   "` lists what the file holds");
        if (*fmt != series_format)
            m.fail("is a '" + *fmt + "', not a series collection ('" + std::string(series_format) + "')");
        const auto ver = h5::read_int_attr(m.coll.get(), "tsbatch_format_version");
        if (!ver) m.fail("attribute tsbatch_format_version is missing or not an integer");
        if (*ver > format_version)
            m.fail("format version " + std::to_string(*ver) + " is newer than this tsbatch reads (" +
                   std::to_string(format_version) + "); upgrade tsbatch");
        if (*ver < 1) m.fail("invalid format version " + std::to_string(*ver));
        for (const char* name : {"series/id", "series/metric", "series/tags", "series/offset", "series/count",
                                 "points/time", "points/value"})
            if (!h5::exists(m.coll.get(), name)) m.fail(std::string("dataset ") + name + " is missing");
        m.id = h5::open_dataset(m.coll.get(), "series/id");
        m.metric = h5::open_dataset(m.coll.get(), "series/metric");
        m.tags = h5::open_dataset(m.coll.get(), "series/tags");
        m.time = h5::open_dataset(m.coll.get(), "points/time");
        m.value = h5::open_dataset(m.coll.get(), "points/value");
        auto off = h5::open_dataset(m.coll.get(), "series/offset");
        auto cnt = h5::open_dataset(m.coll.get(), "series/count");
        const auto n = h5::length(cnt.get());
        m.points = h5::length(m.time.get());
        if (h5::length(off.get()) != n || h5::length(m.id.get()) != n || h5::length(m.metric.get()) != n ||
            h5::length(m.tags.get()) != n)
            m.fail("series/ datasets have different lengths");
        if (h5::length(m.value.get()) != m.points) m.fail("points/time and points/value have different lengths");
        m.offset.resize(n);
        m.count.resize(n);
        h5::read_slab(off.get(), H5T_NATIVE_UINT64, 0, n, m.offset.data());
        h5::read_slab(cnt.get(), H5T_NATIVE_UINT64, 0, n, m.count.data());
    } catch (const h5::failure& e) {
        m.fail(std::string("cannot read: ") + e.what());
    }
    std::uint64_t expect = 0;
    for (std::size_t i = 0; i < m.count.size(); ++i) {
        if (m.offset[i] != expect)
            m.fail("series " + std::to_string(i) + ": offset " + std::to_string(m.offset[i]) + " should be " +
                   std::to_string(expect) + " (offset[i+1] = offset[i] + count[i])");
        expect += m.count[i];
    }
    if (expect != m.points)
        m.fail("the counts add up to " + std::to_string(expect) + " points but points/ holds " + std::to_string(m.points));
}

staged_reader::~staged_reader() = default;
staged_reader::staged_reader(staged_reader&&) noexcept = default;
staged_reader& staged_reader::operator=(staged_reader&&) noexcept = default;

const std::string& staged_reader::path() const noexcept { return impl_->path; }
const std::string& staged_reader::group() const noexcept { return impl_->group; }
std::uint64_t staged_reader::series_count() const noexcept { return impl_->count.size(); }
std::uint64_t staged_reader::point_count() const noexcept { return impl_->points; }
const std::vector<std::uint64_t>& staged_reader::counts() const noexcept { return impl_->count; }

std::vector<std::string> staged_reader::read_strings(const std::string& name, std::uint64_t start,
                                                     std::uint64_t n) const {
    const h5::silence_errors quiet;
    const auto& m = *impl_;
    const hid_t d = name == "id" ? m.id.get() : name == "metric" ? m.metric.get() : m.tags.get();
    try {
        return h5::read_strings(d, start, n);
    } catch (const h5::failure& e) {
        m.fail("cannot read series/" + name + ": " + e.what());
    }
}

series_batch staged_reader::read(index_range rows) const {
    std::vector<std::uint64_t> r(rows.size());
    for (std::size_t i = 0; i < r.size(); ++i) r[i] = rows.begin + i;
    return read(r);
}

series_batch staged_reader::read(std::span<const std::uint64_t> rows) const {
    const h5::silence_errors quiet;
    const auto& m = *impl_;
    series_batch out;
    // Merge consecutive rows into runs: one string read per run, one point selection in all.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> row_runs, point_runs;
    std::uint64_t total_points = 0;
    for (std::size_t i = 0; i < rows.size();) {
        std::size_t j = i + 1;
        while (j < rows.size() && rows[j] == rows[j - 1] + 1) ++j;
        const auto first = rows[i], n = rows[j - 1] - first + 1;
        if (rows[j - 1] >= m.count.size()) throw internal_error("staged_reader::read: row out of range");
        row_runs.emplace_back(first, n);
        const auto pb = m.offset[first], pn = m.offset[rows[j - 1]] + m.count[rows[j - 1]] - pb;
        point_runs.emplace_back(pb, pn);
        total_points += pn;
        i = j;
    }
    out.meta.reserve(rows.size());
    out.offset.reserve(rows.size() + 1);
    try {
        for (const auto& [first, n] : row_runs) {
            auto ids = h5::read_strings(m.id.get(), first, n);
            auto metrics = h5::read_strings(m.metric.get(), first, n);
            auto tags = h5::read_strings(m.tags.get(), first, n);
            for (std::uint64_t k = 0; k < n; ++k) {
                out.meta.push_back({std::move(ids[k]), std::move(metrics[k]), std::move(tags[k]), first + k});
                out.offset.push_back(out.offset.back() + m.count[first + k]);
            }
        }
        reserve_huge(out.time, total_points);
        reserve_huge(out.value, total_points);
        out.time.resize(total_points);
        out.value.resize(total_points);
        h5::read_ranges(m.time.get(), H5T_NATIVE_INT64, point_runs, total_points, out.time.data());
        h5::read_ranges(m.value.get(), H5T_NATIVE_DOUBLE, point_runs, total_points, out.value.data());
    } catch (const h5::failure& e) {
        m.fail(std::string("cannot read series: ") + e.what());
    }
    return out;
}

}  // namespace tsbatch
