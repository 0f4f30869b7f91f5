#include <algorithm>
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

// Longest id, metric or tags accepted. Longer names are almost certainly a broken file, and
// the writer stores names fixed-length, sized by the longest one.
constexpr std::size_t max_name_bytes = 4096;

// An offset/count column as uint64, refusing negative values of a signed stored type.
template <class Fail>
std::vector<std::uint64_t> read_unsigned(const Fail& fail, hid_t d, std::uint64_t n, const char* name) {
    std::vector<std::uint64_t> out(n);
    if (h5::type_of(d).is_signed) {
        std::vector<std::int64_t> v(n);
        h5::read_slab(d, H5T_NATIVE_INT64, 0, n, v.data());
        for (std::uint64_t i = 0; i < n; ++i) {
            if (v[i] < 0) fail(std::string(name) + "[" + std::to_string(i) + "] is negative (" + std::to_string(v[i]) + ")");
            out[i] = static_cast<std::uint64_t>(v[i]);
        }
    } else {
        h5::read_slab(d, H5T_NATIVE_UINT64, 0, n, out.data());
    }
    return out;
}

// Runs of consecutive elements [first, first + n), gathered into windows that one read
// covers: runs less than `gap` elements apart share a window. One hyperslab per window
// keeps reads of scattered selections linear (OR-ing thousands of hyperslabs into one
// selection is quadratic in HDF5 1.10).
struct run {
    std::uint64_t first = 0;
    std::uint64_t n = 0;
};
struct window {
    std::uint64_t first = 0;
    std::uint64_t n = 0;
    std::size_t run_begin = 0, run_end = 0;
};

std::vector<window> windows_of(const std::vector<run>& runs, std::uint64_t gap) {
    std::vector<window> out;
    for (std::size_t r = 0; r < runs.size(); ++r) {
        const auto end = runs[r].first + runs[r].n;
        if (!out.empty() && runs[r].first <= out.back().first + out.back().n + gap) {
            out.back().n = end - out.back().first;
            out.back().run_end = r + 1;
        } else {
            out.push_back({runs[r].first, runs[r].n, r, r + 1});
        }
    }
    return out;
}

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
        // Types first: HDF5 would otherwise convert silently (a float count truncated, a
        // negative one clipped to 0, fractional times rounded).
        for (const auto& [name, d] : {std::pair{"series/id", m.id.get()}, std::pair{"series/metric", m.metric.get()},
                                      std::pair{"series/tags", m.tags.get()}})
            if (h5::type_of(d).cls != H5T_STRING) m.fail(std::string(name) + " must hold strings");
        for (const auto& [name, d] : {std::pair{"series/offset", off.get()}, std::pair{"series/count", cnt.get()},
                                      std::pair{"points/time", m.time.get()}})
            if (h5::type_of(d).cls != H5T_INTEGER)
                m.fail(std::string(name) + " must hold integers" +
                       (std::string(name) == "points/time" ? " (milliseconds since 1970-01-01T00:00:00Z)" : ""));
        const auto value_class = h5::type_of(m.value.get()).cls;
        if (value_class != H5T_FLOAT && value_class != H5T_INTEGER) m.fail("points/value must hold numbers");

        const auto n = h5::length(cnt.get());
        m.points = h5::length(m.time.get());
        if (h5::length(off.get()) != n || h5::length(m.id.get()) != n || h5::length(m.metric.get()) != n ||
            h5::length(m.tags.get()) != n)
            m.fail("series/ datasets have different lengths");
        if (h5::length(m.value.get()) != m.points) m.fail("points/time and points/value have different lengths");
        const auto fail = [&m](const std::string& what) { m.fail(what); };
        m.offset = read_unsigned(fail, off.get(), n, "series/offset");
        m.count = read_unsigned(fail, cnt.get(), n, "series/count");
    } catch (const h5::failure& e) {
        m.fail(std::string("cannot read: ") + e.what());
    }
    std::uint64_t expect = 0;
    for (std::size_t i = 0; i < m.count.size(); ++i) {
        if (m.offset[i] != expect)
            m.fail("series " + std::to_string(i) + ": offset " + std::to_string(m.offset[i]) + " should be " +
                   std::to_string(expect) + " (offset[i+1] = offset[i] + count[i])");
        if (m.count[i] > m.points - expect)  // also keeps the running sum from wrapping
            m.fail("series " + std::to_string(i) + ": count " + std::to_string(m.count[i]) +
                   " runs past the end of points/ (" + std::to_string(m.points) + " points)");
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

std::vector<staged_reader::time_extent> staged_reader::time_extents(index_range rows) const {
    const h5::silence_errors quiet;
    const auto& m = *impl_;
    if (rows.end > m.count.size() || rows.begin > rows.end) throw internal_error("staged_reader::time_extents: rows out of range");
    std::vector<std::uint64_t> at;  // first and last point of each non-empty series
    for (auto i = rows.begin; i < rows.end; ++i)
        if (m.count[i] > 0) {
            at.push_back(m.offset[i]);
            at.push_back(m.offset[i] + m.count[i] - 1);
        }
    std::vector<std::int64_t> t(at.size());
    try {
        h5::read_elements(m.time.get(), H5T_NATIVE_INT64, at, t.data());
    } catch (const h5::failure& e) {
        m.fail("cannot read points/time: " + std::string(e.what()));
    }
    std::vector<time_extent> out(rows.size());
    std::size_t k = 0;
    for (auto i = rows.begin; i < rows.end; ++i)
        if (m.count[i] > 0) {
            out[i - rows.begin] = {t[k], t[k + 1]};
            k += 2;
        }
    return out;
}

series_batch staged_reader::read(index_range rows) const {
    std::vector<std::uint64_t> r(rows.size());
    for (std::size_t i = 0; i < r.size(); ++i) r[i] = rows.begin + i;
    return read(r);
}

series_batch staged_reader::read(std::span<const std::uint64_t> rows, series_batch&& reuse) const {
    const h5::silence_errors quiet;
    const auto& m = *impl_;
    series_batch out = std::move(reuse);
    out.meta.clear();
    out.offset.assign(1, 0);
    std::vector<run> row_runs, point_runs;
    std::uint64_t total_points = 0;
    for (std::size_t i = 0; i < rows.size();) {
        std::size_t j = i + 1;
        while (j < rows.size() && rows[j] == rows[j - 1] + 1) ++j;
        const auto first = rows[i], last = rows[j - 1];
        if (last >= m.count.size() || (i > 0 && first <= rows[i - 1]))
            throw internal_error("staged_reader::read: rows out of range or not ascending");
        row_runs.push_back({first, last - first + 1});
        const auto pb = m.offset[first], pn = m.offset[last] + m.count[last] - pb;
        point_runs.push_back({pb, pn});
        total_points += pn;
        i = j;
    }
    out.meta.reserve(rows.size());
    out.offset.reserve(rows.size() + 1);
    try {
        // Names: windows of rows no more than 1024 apart.
        for (const auto& w : windows_of(row_runs, 1024)) {
            auto ids = h5::read_strings(m.id.get(), w.first, w.n);
            auto metrics = h5::read_strings(m.metric.get(), w.first, w.n);
            auto tags = h5::read_strings(m.tags.get(), w.first, w.n);
            for (auto r = w.run_begin; r < w.run_end; ++r)
                for (std::uint64_t k = 0; k < row_runs[r].n; ++k) {
                    const auto row = row_runs[r].first + k, at = row - w.first;
                    for (const auto* name : {&ids[at], &metrics[at], &tags[at]})
                        if (name->size() > max_name_bytes)
                            m.fail("series " + std::to_string(row) + ": a name is " + std::to_string(name->size()) +
                                   " bytes long (at most " + std::to_string(max_name_bytes) + " are accepted)");
                    out.meta.push_back({std::move(ids[at]), std::move(metrics[at]), std::move(tags[at]), row});
                    out.offset.push_back(out.offset.back() + m.count[row]);
                }
        }
        // Points: windows of at most 256 Ki points of gap; a window that is a single run is
        // read straight into place, others through a buffer.
        // Growing a reused buffer would copy its old points: start it afresh instead. Within
        // its capacity, resize() zeroes only what lies beyond its old size.
        if (out.time.capacity() < total_points) {
            out.time = {};
            out.value = {};
            reserve_huge(out.time, total_points);
            reserve_huge(out.value, total_points);
        }
        out.time.resize(total_points);
        out.value.resize(total_points);
        std::uint64_t at = 0;
        std::vector<std::int64_t> tbuf;
        std::vector<double> vbuf;
        for (const auto& w : windows_of(point_runs, std::uint64_t{1} << 18)) {
            if (w.run_end - w.run_begin == 1) {
                h5::read_slab(m.time.get(), H5T_NATIVE_INT64, w.first, w.n, out.time.data() + at);
                h5::read_slab(m.value.get(), H5T_NATIVE_DOUBLE, w.first, w.n, out.value.data() + at);
                at += w.n;
                continue;
            }
            tbuf.resize(w.n);
            vbuf.resize(w.n);
            h5::read_slab(m.time.get(), H5T_NATIVE_INT64, w.first, w.n, tbuf.data());
            h5::read_slab(m.value.get(), H5T_NATIVE_DOUBLE, w.first, w.n, vbuf.data());
            for (auto r = w.run_begin; r < w.run_end; ++r) {
                const auto from = point_runs[r].first - w.first, n = point_runs[r].n;
                std::copy_n(tbuf.data() + from, n, out.time.data() + at);
                std::copy_n(vbuf.data() + from, n, out.value.data() + at);
                at += n;
            }
        }
    } catch (const h5::failure& e) {
        m.fail(std::string("cannot read series: ") + e.what());
    }
    return out;
}

}  // namespace tsbatch
