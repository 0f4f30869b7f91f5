#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <variant>
#include <vector>

#include "core/background_worker.hpp"
#include "core/error.hpp"
#include "core/temp_file.hpp"
#include "io/h5.hpp"
#include "io/staged.hpp"

namespace tsbatch {

namespace {

// The commit flushes the file to disk before it takes its final name. Starting the disk
// writes of the bulk data as soon as they are in the page cache lets the disk work while the
// rest is computed and written, instead of all of it waiting at the commit (the fsync of a
// 680 MB result took 0.31 s here, most of a run's fixed costs). The writes are started from a
// thread of their own, because starting them can block while the disk's queue is full, and
// the writer has better things to do meanwhile. A hint: errors are ignored (the commit's
// fsync is what counts).
class writeback {
public:
    explicit writeback(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        // One start running and one waiting at most: a poke while one waits adds nothing,
        // since the waiting one covers every page written before it starts.
        if (fd_ >= 0) worker_ = std::make_unique<background_worker>(2);
    }
    ~writeback() {
        worker_.reset();
        if (fd_ >= 0) ::close(fd_);
    }
    writeback(const writeback&) = delete;
    writeback& operator=(const writeback&) = delete;

    /// Asks for the dirty pages written so far to go to the disk; returns at once.
    void poke() {
        if (!worker_) return;
        worker_->try_post([fd = fd_] {
#if defined(SYNC_FILE_RANGE_WRITE)
            ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
        });
    }

private:
    int fd_;
    std::unique_ptr<background_worker> worker_;
};

// The layout of a 1-D dataset of `elem`-byte elements: chunks of about opt.chunk_bytes.
h5::layout column_layout(const write_options& opt, std::size_t elem) {
    h5::layout lay;
    lay.chunk_elements = std::max<std::uint64_t>(1, opt.chunk_bytes / elem);
    lay.deflate_level = opt.deflate_level;
    return lay;
}

}  // namespace

// A matrix that reads as one value everywhere (create_matrix's every_entry) in a file several
// ranks write. Parallel HDF5 allocates a dataset's storage when it is created and writes the
// value into every chunk: 800 MB for the overlap matrix of a 10,000-series correlation, 1.7 s
// of a 2-rank run (timed by hand). So it is made at the commit instead, by rank 0 alone in
// the file reopened after the parallel close, where it stores nothing, as in a one-process
// file; its attributes wait with it.
struct deferred_constant {
    std::string path, row_axis, col_axis, op;
    std::uint64_t rows = 0, cols = 0;
    double value = 0;
    std::vector<std::pair<std::string, std::variant<std::string, std::int64_t, double>>> attrs;
};

struct staged_writer::impl {
    h5::file_access access;
    h5::transfer xfer;
    h5::transfer independent{false};  // matrix tiles: each rank writes its own, any number
    h5::file file;
    std::map<std::string, h5::dataset> matrices;  // open until commit, for their tiles
    std::vector<deferred_constant> constants;     // made at the commit (parallel files)
    std::unique_ptr<writeback> disk;              // started by the first bulk write
    std::mutex spare_mutex;
    std::vector<std::vector<double>> spare_tiles;  // copies written and free again
    // With write_options::tiles_in_background; last, so that it stops before the file closes.
    std::unique_ptr<background_worker> tiles;
    impl(const comm& c) : access(c), xfer(access.parallel()) {}

    deferred_constant* constant(const std::string& path) {
        for (auto& k : constants)
            if (k.path == path) return &k;
        return nullptr;
    }

    /// Before any other HDF5 call: the tiles queued are written (their error thrown here).
    void settle() {
        if (tiles) tiles->drain();
    }
    std::vector<double> spare_tile() {
        const std::lock_guard lock(spare_mutex);
        if (spare_tiles.empty()) return {};
        auto v = std::move(spare_tiles.back());
        spare_tiles.pop_back();
        return v;
    }
    void give_back(std::vector<double>&& v) {
        const std::lock_guard lock(spare_mutex);
        spare_tiles.push_back(std::move(v));
    }

    /// After each bulk write (points, matrix tiles): the disk may start on what is written.
    void start_writeback(const std::string& temp_path) {
        if (!disk) disk = std::make_unique<writeback>(temp_path);
        disk->poke();
    }
};

namespace {

// This rank's first row and the total, from every rank's row count (collective).
std::pair<std::uint64_t, std::uint64_t> place(const comm& c, std::uint64_t local) {
    const auto all = c.allgather(local);
    std::uint64_t start = 0, total = 0;
    for (std::size_t r = 0; r < all.size(); ++r) {
        if (static_cast<int>(r) < c.rank()) start += all[r];
        total += all[r];
    }
    return {start, total};
}

std::size_t longest(const comm& c, const std::vector<std::string>& v) {
    std::size_t n = 0;
    for (const auto& s : v) n = std::max(n, s.size());
    return static_cast<std::size_t>(c.max(static_cast<std::int64_t>(n)));
}

// fsync of a file or directory; best effort (some parallel file systems refuse it on
// directories, and the data is already complete by then).
void sync_path(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

std::string parent_dir(const std::string& path) {
    const auto p = std::filesystem::path(path).parent_path();
    return p.empty() ? std::string(".") : p.string();
}

}  // namespace

staged_writer::staged_writer(const comm& c, std::string final_path, write_options opt)
    : comm_(c), final_path_(std::move(final_path)), opt_(opt) {
    // Rank 0 checks the destination and names the temporary file; every rank learns the
    // outcome, so a bad path fails everywhere with the same message.
    std::string verdict;
    if (c.is_root()) {
        std::error_code ec;
        const auto dir = parent_dir(final_path_);
        std::filesystem::create_directories(dir, ec);
        if (std::filesystem::is_directory(final_path_, ec))
            verdict = "E" + final_path_ + ": is a directory; output.path must name a file";
        else if (!std::filesystem::is_directory(dir, ec))
            verdict = "E" + final_path_ + ": cannot create the output directory '" + dir + "'";
        else if (::access(dir.c_str(), W_OK) != 0)
            verdict = "E" + final_path_ + ": the output directory '" + dir + "' is not writable";
        else
            // Host and pid: two jobs on different nodes writing the same path never share a name.
            verdict = "T" + temp_path_for(final_path_);
    }
    verdict = c.broadcast(verdict);
    if (verdict.front() == 'E') throw output_error(verdict.substr(1));
    temp_path_ = verdict.substr(1);

    const h5::silence_errors quiet;
    try {
        impl_ = std::make_unique<impl>(c);
        impl_->file = h5::create_file(temp_path_, impl_->access);
        h5::write_attr(impl_->file.get(), "tsbatch_format", std::string(result_format));
        h5::write_attr(impl_->file.get(), "tsbatch_format_version", format_version);
    } catch (const h5::failure& e) {
        throw output_error(final_path_ + ": cannot create '" + temp_path_ + "': " + e.what());
    }
    // Room for four tiles of a correlation's sub-tile (1024 x 1024) waiting: the caller
    // computes the next while the thread writes, and waits when the disk falls behind.
    if (opt_.tiles_in_background && c.size() == 1) impl_->tiles = std::make_unique<background_worker>(32u << 20);
}

staged_writer::~staged_writer() {
    if (committed_ || !impl_) return;
    // Closing a parallel file is collective. While an exception unwinds on more than one
    // rank, the others may be inside another collective call (a failure inside collective
    // I/O, which ends in MPI_Abort), so the close would hang: leave the file to the abort.
    // Alone, or when every rank abandons the file together, close and remove it.
    if (comm_.size() > 1 && std::uncaught_exceptions() > 0) return;
    impl_->tiles.reset();  // the tile being written finishes; those queued are dropped
    const h5::silence_errors quiet;
    impl_->file.reset();
    if (comm_.is_root()) std::remove(temp_path_.c_str());
}

void staged_writer::write_collection(const std::string& group, const series_batch& local, const std::string& op) {
    batch_points points(local);
    write_collection(group, local, points, op);
}

void staged_writer::write_collection(const std::string& group, const series_batch& rows, point_source& points,
                                     const std::string& op) {
    impl_->settle();
    const h5::silence_errors quiet;
    const auto n = rows.size();
    const std::uint64_t local_points = points.size();
    if (rows.offset.size() != n + 1 || rows.offset.back() != local_points)
        throw internal_error("write_collection " + group + ": the series' offsets do not match their points");
    std::vector<std::string> ids, metrics, tags;
    std::vector<std::uint64_t> counts(n), sources(n), offsets(n);
    ids.reserve(n);
    metrics.reserve(n);
    tags.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        ids.push_back(rows.meta[i].id);
        metrics.push_back(rows.meta[i].metric);
        tags.push_back(rows.meta[i].tags);
        counts[i] = rows.count(i);
        sources[i] = rows.meta[i].source_index;
    }
    // Plain variables, not structured bindings: the lambdas below capture them (Clang 14
    // cannot capture structured bindings).
    const auto row_place = place(comm_, n), point_place = place(comm_, local_points);
    const std::uint64_t row0 = row_place.first, total_rows = row_place.second;
    const std::uint64_t point0 = point_place.first, total_points = point_place.second;
    for (std::size_t i = 0; i < n; ++i) offsets[i] = point0 + rows.offset[i];
    const auto w_id = longest(comm_, ids), w_metric = longest(comm_, metrics), w_tags = longest(comm_, tags);
    // Pieces of at most piece_points(); every rank goes through as many as the rank with the most.
    const std::uint64_t piece = std::max<std::uint64_t>(1, points.piece_points());
    const auto pieces = static_cast<std::uint64_t>(
        comm_.max(static_cast<std::int64_t>((local_points + piece - 1) / piece)));

    try {
        const hid_t f = impl_->file.get();
        h5::group g = group == "/" ? h5::open_group(f, "/") : h5::create_group(f, group);
        h5::write_attr(g.get(), "tsbatch_format", std::string(series_format));
        h5::write_attr(g.get(), "tsbatch_format_version", format_version);
        if (!op.empty()) h5::write_attr(g.get(), "tsbatch_step_op", op);
        auto sg = h5::create_group(g.get(), "series");
        auto pg = h5::create_group(g.get(), "points");
        auto lay = [&](std::size_t elem) { return column_layout(opt_, elem); };
        const auto& x = impl_->xfer;
        auto write_str = [&](const char* name, std::size_t w, const std::vector<std::string>& v) {
            auto t = h5::fixed_string_type(w);
            auto d = h5::create_1d(sg.get(), name, t.get(), total_rows, lay(std::max<std::size_t>(1, w)));
            h5::write_strings(d.get(), w, row0, v, x);
        };
        auto write_u64 = [&](hid_t loc, const char* name, const std::vector<std::uint64_t>& v) {
            auto d = h5::create_1d(loc, name, H5T_STD_U64LE, total_rows, lay(8));
            h5::write_slab(d.get(), H5T_NATIVE_UINT64, row0, v.size(), v.data(), x);
        };
        write_str("id", w_id, ids);
        write_str("metric", w_metric, metrics);
        write_str("tags", w_tags, tags);
        write_u64(sg.get(), "offset", offsets);
        write_u64(sg.get(), "count", counts);
        write_u64(sg.get(), "source_index", sources);
        auto td = h5::create_1d(pg.get(), "time", H5T_STD_I64LE, total_points, lay(8));
        auto vd = h5::create_1d(pg.get(), "value", H5T_IEEE_F64LE, total_points, lay(8));
        if (pieces == 0) {
            // No points anywhere: one (empty) write each, as every dataset gets.
            h5::write_slab(td.get(), H5T_NATIVE_INT64, 0, 0, nullptr, x);
            h5::write_slab(vd.get(), H5T_NATIVE_DOUBLE, 0, 0, nullptr, x);
        }
        for (std::uint64_t k = 0; k < pieces; ++k) {
            const std::uint64_t at = std::min(k * piece, local_points), m = std::min(piece, local_points - at);
            const series_view p = m > 0 ? points.piece(at, m) : series_view{};
            h5::write_slab(td.get(), H5T_NATIVE_INT64, point0 + at, m, p.time.data(), x);
            h5::write_slab(vd.get(), H5T_NATIVE_DOUBLE, point0 + at, m, p.value.data(), x);
            if (m > 0) impl_->start_writeback(temp_path_);
        }
    } catch (const h5::failure& e) {
        throw output_error(final_path_ + ": cannot write collection " + group + ": " + e.what());
    }
}

void staged_writer::write_group(const std::string& group, const std::string& op) {
    impl_->settle();
    const h5::silence_errors quiet;
    try {
        h5::group g = h5::create_group(impl_->file.get(), group);
        if (!op.empty()) h5::write_attr(g.get(), "tsbatch_step_op", op);
    } catch (const h5::failure& e) {
        throw output_error(final_path_ + ": cannot create group " + group + ": " + e.what());
    }
}

void staged_writer::write_table(const std::string& group, const table_batch& local, const std::string& op,
                                bool series_rows) {
    impl_->settle();
    const h5::silence_errors quiet;
    std::size_t n = series_rows ? local.size() : (local.columns.empty() ? 0 : local.columns.front().size());
    for (const auto& col : local.columns)
        if (col.size() != n) throw internal_error("table column '" + col.spec.name + "' has a wrong row count");
    const auto row_place = place(comm_, n);  // not a structured binding: captured below
    const std::uint64_t row0 = row_place.first, rows = row_place.second;
    std::vector<std::string> ids;
    std::vector<std::uint64_t> sources;
    if (series_rows)
        for (const auto& m : local.meta) {
            ids.push_back(m.id);
            sources.push_back(m.source_index);
        }
    const auto w_id = series_rows ? longest(comm_, ids) : 0;
    std::vector<std::size_t> widths;
    for (const auto& col : local.columns)
        widths.push_back(col.spec.type == column_type::string ? longest(comm_, col.strings) : 0);

    try {
        const hid_t f = impl_->file.get();
        h5::group g = h5::create_group(f, group);
        h5::write_attr(g.get(), "tsbatch_format", std::string(table_format));
        h5::write_attr(g.get(), "tsbatch_format_version", format_version);
        if (!op.empty()) h5::write_attr(g.get(), "tsbatch_step_op", op);
        const auto& x = impl_->xfer;
        auto lay = [&](std::size_t elem) { return column_layout(opt_, elem); };
        if (series_rows) {
            auto si = h5::create_1d(g.get(), "series_index", H5T_STD_U64LE, rows, lay(8));
            h5::write_slab(si.get(), H5T_NATIVE_UINT64, row0, n, sources.data(), x);
            auto t = h5::fixed_string_type(w_id);
            auto id = h5::create_1d(g.get(), "id", t.get(), rows, lay(std::max<std::size_t>(1, w_id)));
            h5::write_strings(id.get(), w_id, row0, ids, x);
        }
        for (std::size_t c = 0; c < local.columns.size(); ++c) {
            const auto& col = local.columns[c];
            h5::dataset d;
            switch (col.spec.type) {
            case column_type::int64:
                d = h5::create_1d(g.get(), col.spec.name, H5T_STD_I64LE, rows, lay(8));
                h5::write_slab(d.get(), H5T_NATIVE_INT64, row0, n, col.ints.data(), x);
                break;
            case column_type::float64:
                d = h5::create_1d(g.get(), col.spec.name, H5T_IEEE_F64LE, rows, lay(8));
                h5::write_slab(d.get(), H5T_NATIVE_DOUBLE, row0, n, col.floats.data(), x);
                break;
            case column_type::string: {
                auto t = h5::fixed_string_type(widths[c]);
                d = h5::create_1d(g.get(), col.spec.name, t.get(), rows, lay(std::max<std::size_t>(1, widths[c])));
                h5::write_strings(d.get(), widths[c], row0, col.strings, x);
                break;
            }
            }
            if (!col.spec.unit.empty()) h5::write_attr(d.get(), "unit", col.spec.unit);
        }
    } catch (const h5::failure& e) {
        throw output_error(final_path_ + ": cannot write table " + group + ": " + e.what());
    }
}

namespace {
template <class T>
void set_attr_at(hid_t file, const std::string& final_path, const std::string& path, const std::string& name,
                 const T& value) {
    const h5::silence_errors quiet;
    try {
        h5::object g = h5::open_object(file, path);
        h5::write_attr(g.get(), name, value);
    } catch (const h5::failure& e) {
        throw output_error(final_path + ": cannot write attribute " + path + "@" + name + ": " + e.what());
    }
}
}  // namespace

template <class T>
void staged_writer::set_attr_of(const std::string& path, const std::string& name, const T& value) {
    impl_->settle();
    if (auto* k = impl_->constant(path)) {
        k->attrs.emplace_back(name, value);  // written with the matrix at the commit
        return;
    }
    set_attr_at(impl_->file.get(), final_path_, path, name, value);
}
void staged_writer::set_attr(const std::string& path, const std::string& name, const std::string& value) {
    set_attr_of(path, name, value);
}
void staged_writer::set_attr(const std::string& path, const std::string& name, std::int64_t value) {
    set_attr_of(path, name, value);
}
void staged_writer::set_attr(const std::string& path, const std::string& name, double value) {
    set_attr_of(path, name, value);
}

namespace {

// The matrix dataset `path` in `file` with its format attributes.
h5::dataset make_matrix(hid_t file, const std::string& path, std::uint64_t rows, std::uint64_t cols,
                        const std::string& row_axis, const std::string& col_axis, const std::string& op,
                        std::optional<double> every_entry) {
    // Square chunks of matrix_tile x matrix_tile (512 KiB): a writer that cuts its tiles on
    // that grid writes whole chunks, one contiguous piece each, instead of hundreds of short
    // rows (which MPI-IO turns into read-modify-write). Unfiltered, as independent writes need.
    h5::layout lay;
    lay.fill = every_entry;
    auto d = h5::create_2d(file, path, rows, cols, lay, matrix_tile, matrix_tile);
    h5::write_attr(d.get(), "tsbatch_format", std::string(matrix_format));
    h5::write_attr(d.get(), "tsbatch_format_version", format_version);
    h5::write_attr(d.get(), "row_axis", row_axis);
    h5::write_attr(d.get(), "col_axis", col_axis);
    if (!op.empty()) h5::write_attr(d.get(), "tsbatch_step_op", op);
    return d;
}

}  // namespace

void staged_writer::create_matrix(const std::string& path, std::uint64_t rows, std::uint64_t cols,
                                  const std::string& row_axis, const std::string& col_axis, const std::string& op,
                                  std::optional<double> every_entry) {
    impl_->settle();
    if (every_entry && impl_->access.parallel()) {
        impl_->constants.push_back({path, row_axis, col_axis, op, rows, cols, *every_entry, {}});
        return;
    }
    const h5::silence_errors quiet;
    try {
        impl_->matrices[path] = make_matrix(impl_->file.get(), path, rows, cols, row_axis, col_axis, op, every_entry);
    } catch (const h5::failure& e) {
        throw output_error(final_path_ + ": cannot create matrix " + path + ": " + e.what());
    }
}

std::string staged_writer::make_deferred_constants() {
    const h5::silence_errors quiet;
    std::string at;
    try {
        h5::file f = h5::open_file(temp_path_, true, h5::file_access(comm()));
        for (const auto& k : impl_->constants) {
            at = k.path;
            h5::dataset d = make_matrix(f.get(), k.path, k.rows, k.cols, k.row_axis, k.col_axis, k.op, k.value);
            for (const auto& attr : k.attrs)
                std::visit([&](const auto& v) { h5::write_attr(d.get(), attr.first, v); }, attr.second);
        }
        f.close("H5Fclose");
    } catch (const h5::failure& e) {
        return final_path_ + ": cannot create matrix " + at + ": " + e.what();
    }
    return {};
}

void staged_writer::write_matrix_tile(const std::string& path, std::uint64_t row0, std::uint64_t col0,
                                      std::uint64_t rows, std::uint64_t cols, std::span<const double> values) {
    const auto it = impl_->matrices.find(path);
    if (it == impl_->matrices.end()) throw internal_error("write_matrix_tile: no matrix " + path);
    if (values.size() != rows * cols) throw internal_error("write_matrix_tile: tile size mismatch");
    const hid_t dset = it->second.get();
    const auto write = [this, dset, path, row0, col0, rows, cols](const double* data) {
        const h5::silence_errors quiet;
        try {
            h5::write_tile(dset, row0, col0, rows, cols, data, impl_->independent);
            impl_->start_writeback(temp_path_);
        } catch (const h5::failure& e) {
            throw output_error(final_path_ + ": cannot write matrix " + path + ": " + e.what());
        }
    };
    if (!impl_->tiles) return write(values.data());
    // A copy in a buffer of an earlier tile (no fresh pages), written while the caller goes on.
    auto copy = impl_->spare_tile();
    copy.assign(values.begin(), values.end());
    impl_->tiles->post(
        [this, write, copy = std::move(copy)]() mutable {
            write(copy.data());
            impl_->give_back(std::move(copy));
        },
        values.size_bytes());
}

void staged_writer::commit() {
    impl_->settle();
    impl_->tiles.reset();
    const h5::silence_errors quiet;
    impl_->matrices.clear();
    impl_->disk.reset();
    try {
        impl_->file.close("H5Fclose");
    } catch (const h5::failure& e) {
        throw output_error(final_path_ + ": cannot finish writing '" + temp_path_ + "': " + e.what());
    }
    comm_.barrier();  // every rank's data is in the file before it becomes visible
    std::string verdict;
    if (comm_.is_root() && !impl_->constants.empty()) verdict = make_deferred_constants();
    if (comm_.is_root() && !verdict.empty()) {
        std::remove(temp_path_.c_str());
    } else if (comm_.is_root()) {
        // On stable storage before it takes the final name, so a crash of the node right
        // after the rename cannot leave an empty or partial file under that name.
        sync_path(temp_path_);
        std::error_code ec;
        std::filesystem::rename(temp_path_, final_path_, ec);
        if (!ec) sync_path(parent_dir(final_path_));
        if (ec) {
            verdict = final_path_ + ": cannot rename '" + temp_path_ + "' into place: " + ec.message();
            std::remove(temp_path_.c_str());
        }
    }
    verdict = comm_.broadcast(verdict);
    committed_ = true;
    if (!verdict.empty()) throw output_error(verdict);
}

}  // namespace tsbatch
