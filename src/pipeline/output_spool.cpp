#include "pipeline/output_spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "core/memory.hpp"

namespace tsbatch {
namespace {

std::string host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "host";
    return buf;
}

std::string parent_dir(const std::string& path) {
    const auto p = std::filesystem::path(path).parent_path();
    return p.empty() ? std::string(".") : p.string();
}

}  // namespace

// A stream's points for the result writer: straight from memory when the stream never went
// to the file, else through the spool's buffers, piece by piece.
class output_spool::reader final : public point_source {
public:
    reader(output_spool& sp, std::size_t s) : sp_(sp), s_(s) {}
    std::uint64_t size() const override { return sp_.points(s_); }
    std::uint64_t piece_points() const override {
        const auto& st = sp_.streams_[s_];
        if (st.spilled_points == 0) return std::max<std::uint64_t>(1, st.time.size());
        return sp_.piece_;
    }
    series_view piece(std::uint64_t at, std::uint64_t n) override {
        const auto& st = sp_.streams_[s_];
        if (at >= st.spilled_points) {
            const auto from = at - st.spilled_points;
            return {std::span<const std::int64_t>(st.time).subspan(from, n),
                    std::span<const double>(st.value).subspan(from, n)};
        }
        if (n > sp_.piece_) throw internal_error("output_spool: a piece larger than piece_points()");
        sp_.time_buf_.resize(sp_.piece_);
        sp_.value_buf_.resize(sp_.piece_);
        sp_.read(s_, at, n, sp_.time_buf_.data(), sp_.value_buf_.data());
        return {std::span<const std::int64_t>(sp_.time_buf_).first(n),
                std::span<const double>(sp_.value_buf_).first(n)};
    }

private:
    output_spool& sp_;
    std::size_t s_;
};

output_spool::output_spool(std::string result_path, std::uint64_t memory_bytes, int rank, std::size_t streams,
                           std::uint64_t piece_points)
    : result_path_(std::move(result_path)),
      budget_(memory_bytes),
      rank_(rank),
      piece_(std::max<std::uint64_t>(1, piece_points)),
      streams_(streams) {}

output_spool::~output_spool() {
    if (fd_ >= 0) ::close(fd_);  // the file has no name: closing it returns its space
}

std::uint64_t output_spool::points(std::size_t s) const {
    const auto& st = streams_.at(s);
    return st.spilled_points + st.time.size();
}

void output_spool::append(std::size_t s, std::span<const std::int64_t> time, std::span<const double> value) {
    auto& st = streams_.at(s);
    const std::uint64_t n = time.size();
    if (value.size() != n) throw internal_error("output_spool::append: times and values differ in length");
    if (n == 0) return;
    const std::uint64_t bytes = n * (sizeof(std::int64_t) + sizeof(double));
    if (in_memory_ > 0 && in_memory_ + bytes > budget_) flush();
    if (bytes > budget_) {  // more than the whole budget at once: nothing of it stays in memory
        write_out(st, time, value);
        return;
    }
    if (st.time.capacity() == 0) {
        // A share of the budget, reserved once: address space only until written, and the
        // pages written stay with the stream after a flush, so the run faults them in once.
        const std::uint64_t share = std::max<std::uint64_t>(n, budget_ / (bytes / n) / streams_.size());
        reserve_huge(st.time, share);
        reserve_huge(st.value, share);
    }
    st.time.insert(st.time.end(), time.begin(), time.end());
    st.value.insert(st.value.end(), value.begin(), value.end());
    in_memory_ += bytes;
    peak_memory_ = std::max(peak_memory_, in_memory_);
}

void output_spool::flush() {
    for (auto& st : streams_) {
        if (st.time.empty()) continue;
        write_out(st, st.time, st.value);
        st.time.clear();  // the capacity stays for the next points
        st.value.clear();
    }
    in_memory_ = 0;
}

void output_spool::write_out(stream& st, std::span<const std::int64_t> time, std::span<const double> value) {
    if (fd_ < 0) open_file();
    const std::uint64_t n = time.size();
    extent e{st.spilled_points, n, file_end_, file_end_ + n * sizeof(std::int64_t)};
    put(time.data(), n * sizeof(std::int64_t));
    put(value.data(), n * sizeof(double));
    st.spilled.push_back(e);
    st.spilled_points += n;
}

void output_spool::put(const void* data, std::size_t bytes) {
    const auto* p = static_cast<const char*>(data);
    while (bytes > 0) {
        const ssize_t w = ::pwrite(fd_, p, bytes, static_cast<off_t>(file_end_));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            throw output_error(file_what_ + ": cannot write the series outputs beyond run.output_memory_mb: " +
                               std::strerror(w < 0 ? errno : EIO));
        p += w;
        bytes -= static_cast<std::size_t>(w);
        file_end_ += static_cast<std::uint64_t>(w);
    }
}

void output_spool::open_file() {
    const std::string dir = parent_dir(result_path_);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);  // the result's writer checks the directory itself later
#if defined(O_TMPFILE)
    // A file without a name where the file system allows it.
    fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ >= 0) {
        file_what_ = dir + " (a temporary file of rank " + std::to_string(rank_) + ")";
        return;
    }
#endif
    // Elsewhere (NFS): a name no other process uses, removed at once; the open descriptor
    // keeps the file.
    const std::string name =
        result_path_ + ".spool." + host_name() + "." + std::to_string(::getpid()) + ".r" + std::to_string(rank_);
    fd_ = ::open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0)
        throw output_error(name +
                           ": cannot create a temporary file for the series outputs beyond "
                           "run.output_memory_mb: " +
                           std::strerror(errno));
    ::unlink(name.c_str());
    file_what_ = name;
}

void output_spool::read(std::size_t s, std::uint64_t at, std::uint64_t n, std::int64_t* time, double* value) const {
    const auto& st = streams_.at(s);
    if (at + n > st.spilled_points + st.time.size()) throw internal_error("output_spool::read: past the end");
    auto get = [this](void* out, std::size_t bytes, std::uint64_t from) {
        auto* p = static_cast<char*>(out);
        while (bytes > 0) {
            const ssize_t r = ::pread(fd_, p, bytes, static_cast<off_t>(from));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0)
                throw output_error(file_what_ +
                                   ": cannot read back the series outputs: " + std::strerror(r < 0 ? errno : EIO));
            p += r;
            from += static_cast<std::uint64_t>(r);
            bytes -= static_cast<std::size_t>(r);
        }
    };
    // The file's extents first, then memory.
    auto it = std::upper_bound(st.spilled.begin(), st.spilled.end(), at,
                               [](std::uint64_t x, const extent& e) { return x < e.first; });
    if (it != st.spilled.begin()) --it;
    while (n > 0 && at < st.spilled_points) {
        const auto skip = at - it->first, m = std::min(n, it->n - skip);
        get(time, m * sizeof(std::int64_t), it->time_at + skip * sizeof(std::int64_t));
        get(value, m * sizeof(double), it->value_at + skip * sizeof(double));
        time += m;
        value += m;
        at += m;
        n -= m;
        ++it;
    }
    if (n > 0) {
        const auto from = at - st.spilled_points;
        std::copy_n(st.time.data() + from, n, time);
        std::copy_n(st.value.data() + from, n, value);
    }
}

std::unique_ptr<point_source> output_spool::source(std::size_t s) {
    (void)streams_.at(s);
    return std::make_unique<reader>(*this, s);
}

}  // namespace tsbatch
