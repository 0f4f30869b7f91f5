#include "pipeline/output_spool.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/background_worker.hpp"
#include "core/error.hpp"
#include "core/host_name.hpp"
#include "core/memory.hpp"

namespace tsbatch {
namespace {

std::string parent_dir(const std::string& path) {
    const auto p = std::filesystem::path(path).parent_path();
    return p.empty() ? std::string(".") : p.string();
}

}  // namespace

// A read-only mapping of part of a file, unmapped when replaced or destroyed: the writer takes
// the points straight from the page cache, without copying them into a buffer first.
class output_spool::window {
public:
    window() = default;
    ~window() { reset(); }
    window(const window&) = delete;
    window& operator=(const window&) = delete;

    /// Maps bytes [at, at + bytes) of `fd`; null when the system refuses (the caller reads instead).
    const void* map(int fd, std::uint64_t at, std::size_t bytes) {
        reset();
        static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
        const std::uint64_t start = at - at % page;
        len_ = bytes + (at - start);
        void* p = ::mmap(nullptr, len_, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, static_cast<off_t>(start));
        if (p == MAP_FAILED) {
            len_ = 0;
            return nullptr;
        }
        base_ = p;
        return static_cast<const char*>(p) + (at - start);
    }
    void reset() {
        if (base_ != nullptr) ::munmap(base_, len_);
        base_ = nullptr;
        len_ = 0;
    }

private:
    void* base_ = nullptr;
    std::size_t len_ = 0;
};

// A stream's points for the result writer: straight from memory for the stream's head, from
// mapped windows of its files for the rest, through the spool's buffers only for the one
// piece that straddles both.
class output_spool::reader final : public point_source {
public:
    reader(output_spool& sp, std::size_t s) : sp_(sp), s_(s) {}
    std::uint64_t size() const override { return sp_.points(s_); }
    std::uint64_t piece_points() const override {
        const auto& st = sp_.streams_[s_];
        if (st.file_points == 0) return std::max<std::uint64_t>(1, st.time.size());
        return sp_.piece_;
    }
    series_view piece(std::uint64_t at, std::uint64_t n) override {
        const auto& st = sp_.streams_[s_];
        const std::uint64_t head = st.time.size();
        if (at + n <= head)
            return {std::span<const std::int64_t>(st.time).subspan(at, n),
                    std::span<const double>(st.value).subspan(at, n)};
        if (at >= head) {
            const auto from = at - head;
            const auto* t = static_cast<const std::int64_t*>(
                time_.map(st.time_fd, from * sizeof(std::int64_t), n * sizeof(std::int64_t)));
            const auto* v =
                static_cast<const double*>(value_.map(st.value_fd, from * sizeof(double), n * sizeof(double)));
            if (t != nullptr && v != nullptr) return {{t, n}, {v, n}};
            time_.reset();
            value_.reset();
        }
        sp_.time_buf_.resize(n);
        sp_.value_buf_.resize(n);
        sp_.read(s_, at, n, sp_.time_buf_.data(), sp_.value_buf_.data());
        return {std::span<const std::int64_t>(sp_.time_buf_), std::span<const double>(sp_.value_buf_)};
    }

private:
    output_spool& sp_;
    std::size_t s_;
    window time_, value_;
};

output_spool::output_spool(std::string result_path, std::uint64_t memory_bytes, int rank, std::size_t streams,
                           std::uint64_t piece_points)
    : result_path_(std::move(result_path)),
      budget_(memory_bytes),
      rank_(rank),
      piece_(std::max<std::uint64_t>(1, piece_points)),
      streams_(streams) {}

output_spool::~output_spool() {
    writer_.reset();  // writes in flight finish before their files close
    // The files have no name: closing them returns their space.
    for (auto& st : streams_)
        for (int fd : {st.time_fd, st.value_fd})
            if (fd >= 0) ::close(fd);
}

std::uint64_t output_spool::points(std::size_t s) const {
    const auto& st = streams_.at(s);
    return st.time.size() + st.file_points;
}

constexpr std::uint64_t point_bytes = sizeof(std::int64_t) + sizeof(double);

bool output_spool::stays_in_memory(const stream& st, std::uint64_t n) const {
    return st.time_fd < 0 && in_memory_ + n * point_bytes <= budget_;
}

void output_spool::keep_in_memory(stream& st, std::span<const std::int64_t> time, std::span<const double> value) {
    const std::uint64_t n = time.size();
    if (st.time.capacity() == 0) {
        // A share of the budget, reserved once: address space only until written.
        const std::uint64_t share = std::max<std::uint64_t>(n, budget_ / point_bytes / streams_.size());
        reserve_huge(st.time, share);
        reserve_huge(st.value, share);
    }
    st.time.insert(st.time.end(), time.begin(), time.end());
    st.value.insert(st.value.end(), value.begin(), value.end());
    in_memory_ += n * point_bytes;
}

std::uint64_t output_spool::claim_file_points(stream& st, std::uint64_t n) {
    if (st.time_fd < 0) open_files(st);
    const std::uint64_t at = st.file_points;
    st.file_points += n;
    spilled_ += n * point_bytes;
    return at;
}

void output_spool::append(std::size_t s, std::span<const std::int64_t> time, std::span<const double> value) {
    auto& st = streams_.at(s);
    const std::uint64_t n = time.size();
    if (value.size() != n) throw internal_error("output_spool::append: times and values differ in length");
    if (n == 0) return;
    if (stays_in_memory(st, n)) return keep_in_memory(st, time, value);
    if (writer_) {
        append(s, std::vector<std::int64_t>(time.begin(), time.end()), std::vector<double>(value.begin(), value.end()));
        return;
    }
    const std::uint64_t at = claim_file_points(st, n);
    write_points(st.time_fd, st.value_fd, at, time, value);
}

void output_spool::append(std::size_t s, std::vector<std::int64_t>&& time, std::vector<double>&& value) {
    auto& st = streams_.at(s);
    const std::uint64_t n = time.size();
    if (!writer_ || value.size() != n || n == 0 || stays_in_memory(st, n))
        return append(s, std::span<const std::int64_t>(time), std::span<const double>(value));
    const std::uint64_t at = claim_file_points(st, n);
    // Each stream's writes land at their own places: their order matters only for memory.
    const std::uint64_t bytes = n * (sizeof(std::int64_t) + sizeof(double));
    writer_->post([this, time_fd = st.time_fd, value_fd = st.value_fd, at, time = std::move(time),
                   value = std::move(value)] { write_points(time_fd, value_fd, at, time, value); },
                  bytes);
}

void output_spool::write_in_background(std::uint64_t queued_bytes) {
    if (!writer_) writer_ = std::make_unique<background_worker>(queued_bytes);
}

void output_spool::write_points(int time_fd, int value_fd, std::uint64_t at, std::span<const std::int64_t> time,
                                std::span<const double> value) {
    put(time_fd, time.data(), time.size_bytes(), at * sizeof(std::int64_t));
    put(value_fd, value.data(), value.size_bytes(), at * sizeof(double));
}

void output_spool::open_files(stream& st) {
    st.time_fd = open_file();
    st.value_fd = open_file();
}

int output_spool::open_file() {
    const std::string dir = parent_dir(result_path_);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);  // the result's writer checks the directory itself later
#if defined(O_TMPFILE)
    // A file without a name where the file system allows it.
    if (const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600); fd >= 0) {
        // Set once: the background writer may be reporting an error with it.
        if (file_what_.empty()) file_what_ = dir + " (temporary files of rank " + std::to_string(rank_) + ")";
        return fd;
    }
#endif
    // Elsewhere (NFS): a name no other process uses, removed at once; the open descriptor
    // keeps the file.
    const std::string name =
        result_path_ + ".spool." + host_name() + "." + std::to_string(::getpid()) + ".r" + std::to_string(rank_);
    const int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        throw output_error(name + ": cannot create a temporary file for the series outputs beyond " +
                           "run.output_memory_mb: " + std::strerror(errno));
    ::unlink(name.c_str());
    // Set once: the background writer may be reporting an error with it.
    if (file_what_.empty()) file_what_ = name;
    return fd;
}

void output_spool::put(int fd, const void* data, std::size_t bytes, std::uint64_t at) {
    const auto* p = static_cast<const char*>(data);
    while (bytes > 0) {
        const ssize_t w = ::pwrite(fd, p, bytes, static_cast<off_t>(at));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            throw output_error(file_what_ + ": cannot write the series outputs beyond run.output_memory_mb: " +
                               std::strerror(w < 0 ? errno : EIO));
        p += w;
        at += static_cast<std::uint64_t>(w);
        bytes -= static_cast<std::size_t>(w);
    }
}

void output_spool::get(int fd, void* out, std::size_t bytes, std::uint64_t at) const {
    auto* p = static_cast<char*>(out);
    while (bytes > 0) {
        const ssize_t r = ::pread(fd, p, bytes, static_cast<off_t>(at));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0)
            throw output_error(file_what_ +
                               ": cannot read back the series outputs: " + std::strerror(r < 0 ? errno : EIO));
        p += r;
        at += static_cast<std::uint64_t>(r);
        bytes -= static_cast<std::size_t>(r);
    }
}

void output_spool::read(std::size_t s, std::uint64_t at, std::uint64_t n, std::int64_t* time, double* value) const {
    if (writer_) writer_->drain();
    const auto& st = streams_.at(s);
    const std::uint64_t head = st.time.size();
    if (at + n > head + st.file_points) throw internal_error("output_spool::read: past the end");
    if (at < head) {  // memory first
        const auto m = std::min(n, head - at);
        std::copy_n(st.time.data() + at, m, time);
        std::copy_n(st.value.data() + at, m, value);
        time += m;
        value += m;
        at += m;
        n -= m;
    }
    if (n > 0) {
        get(st.time_fd, time, n * sizeof(std::int64_t), (at - head) * sizeof(std::int64_t));
        get(st.value_fd, value, n * sizeof(double), (at - head) * sizeof(double));
    }
}

std::unique_ptr<point_source> output_spool::source(std::size_t s) {
    (void)streams_.at(s);
    if (writer_) writer_->drain();  // every point in its file before it is mapped
    return std::make_unique<reader>(*this, s);
}

}  // namespace tsbatch
