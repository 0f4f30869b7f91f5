#include "storage/push_journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.hpp"
#include "core/temp_file.hpp"

namespace tsbatch::storage {

namespace fs = std::filesystem;

namespace {

struct request_id_hash {
    std::size_t operator()(const request_id& id) const noexcept {
        // splitmix64 finaliser over both halves: chunk and index are small consecutive numbers,
        // which a plain xor would map onto few buckets.
        std::uint64_t x = id.chunk * 0x9E3779B97F4A7C15ull + id.index;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
        return static_cast<std::size_t>(x ^ (x >> 31));
    }
};

std::string errno_text() {
    return std::strerror(errno);
}

[[noreturn]] void fail_output(const std::string& what, const std::string& path) {
    throw output_error("push journal: cannot " + what + " " + path + ": " + errno_text());
}

std::string mismatch_message(const std::string& dir) {
    return "push journal " + dir + " belongs to another push (input or settings changed); remove it or pass --restart";
}

/// True for the names of rank logs, `rank-<digits>.log`.
bool is_rank_log(const std::string& name) {
    constexpr std::string_view prefix = "rank-", suffix = ".log";
    if (name.size() <= prefix.size() + suffix.size()) return false;
    if (name.compare(0, prefix.size(), prefix) != 0) return false;
    if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
    for (std::size_t i = prefix.size(); i < name.size() - suffix.size(); ++i)
        if (name[i] < '0' || name[i] > '9') return false;
    return true;
}

std::vector<fs::path> rank_logs(const std::string& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (is_rank_log(it->path().filename().string())) out.push_back(it->path());
    if (ec) throw output_error("push journal: cannot list " + dir + ": " + ec.message());
    return out;
}

std::string read_whole(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw output_error("push journal: cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
}

bool read_u64(std::string_view& s, std::uint64_t& v) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr == s.data()) return false;
    s.remove_prefix(static_cast<std::size_t>(r.ptr - s.data()));
    return true;
}

/// Parses "chunk index status"; the status is any non-empty word without spaces.
bool parse_line(std::string_view line, request_id& id) {
    if (!read_u64(line, id.chunk) || line.empty() || line[0] != ' ') return false;
    line.remove_prefix(1);
    if (!read_u64(line, id.index) || line.empty() || line[0] != ' ') return false;
    line.remove_prefix(1);
    return !line.empty() && line.find(' ') == std::string_view::npos;
}

void fsync_path(const std::string& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) return;  // best effort: the data itself was already synced
    ::fsync(fd);
    ::close(fd);
}

void write_all(int fd, std::string_view bytes, const std::string& path) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_output("write", path);
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

/// Writes `text` to `path` through a temporary file and a rename, so a reader sees either
/// the old header or the whole new one.
void write_atomically(const std::string& path, const std::string& text) {
    const std::string tmp = temp_path_for(path);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail_output("create", tmp);
    try {
        write_all(fd, text, tmp);
        if (::fsync(fd) != 0) fail_output("sync", tmp);
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int saved = errno;
        ::unlink(tmp.c_str());
        errno = saved;
        fail_output("rename into place", path);
    }
    fsync_path(fs::path(path).parent_path().string(), O_RDONLY | O_DIRECTORY);
}

}  // namespace

struct push_journal::impl {
    std::string dir;
    std::string log_path;
    int fd = -1;
    std::unordered_set<request_id, request_id_hash> done;
    std::uint64_t at_open = 0;
    bool dirty = false;
    std::chrono::steady_clock::time_point last_sync = std::chrono::steady_clock::now();

    ~impl() {
        if (fd >= 0) {
            if (dirty) ::fdatasync(fd);
            ::close(fd);
        }
    }

    std::string header_path() const { return (fs::path(dir) / "header").string(); }

    void prepare(const std::string& fingerprint, bool may_create, bool restart) {
        if (may_create) make_directory();
        const std::string header = header_path();
        std::error_code ec;
        const bool has_header = fs::exists(header, ec);
        if (restart && may_create) {
            for (const auto& p : rank_logs(dir))
                if (::unlink(p.c_str()) != 0 && errno != ENOENT) fail_output("remove", p.string());
            write_atomically(header, fingerprint);
            return;
        }
        if (has_header) {
            if (read_whole(header) != fingerprint) throw usage_error(mismatch_message(dir));
            return;
        }
        if (!may_create)
            throw usage_error("push journal " + dir +
                              " has no header: it must be on a file system that every rank shares");
        // Logs without a header cannot be tied to this push: refuse them rather than guess.
        if (!rank_logs(dir).empty()) throw usage_error(mismatch_message(dir));
        write_atomically(header, fingerprint);
    }

    void make_directory() {
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) throw output_error("push journal: cannot create directory " + dir + ": " + ec.message());
        if (::access(dir.c_str(), W_OK | X_OK) != 0) fail_output("write into directory", dir);
    }

    /// Reads one rank log; returns the length of its complete lines (a killed writer may
    /// have left a partial last line, which does not count).
    std::size_t read_log(const fs::path& path) {
        const std::string text = read_whole(path);
        std::size_t at = 0, line_no = 0;
        for (std::size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1) {
            ++line_no;
            request_id id;
            if (!parse_line(std::string_view(text).substr(at, nl - at), id))
                throw usage_error("push journal " + path.string() + ":" + std::to_string(line_no) +
                                  ": malformed line; remove the journal or pass --restart");
            done.insert(id);
        }
        return at;
    }

    void open_own_log(int rank) {
        log_path = (fs::path(dir) / ("rank-" + std::to_string(rank) + ".log")).string();
        std::size_t complete = 0;
        bool exists = false;
        for (const auto& p : rank_logs(dir)) {
            const std::size_t n = read_log(p);
            if (p.string() == log_path) {
                exists = true;
                complete = n;
            }
        }
        at_open = done.size();
        fd = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) fail_output("open", log_path);
        // Cut a partial last line away: appending after it would glue two records together.
        if (exists && ::ftruncate(fd, static_cast<off_t>(complete)) != 0) fail_output("truncate", log_path);
    }

    void record(request_id id, const char* status) {
        const std::string_view word = status == nullptr ? std::string_view() : std::string_view(status);
        if (word.empty() || word.find_first_of(" \n") != std::string_view::npos)
            throw internal_error("push journal status must be one word, got '" + std::string(word) + "'");
        char line[64];
        auto* p = std::to_chars(line, line + 20, id.chunk).ptr;
        *p++ = ' ';
        p = std::to_chars(p, p + 20, id.index).ptr;
        *p++ = ' ';
        std::string text(line, p);
        text += word;
        text += '\n';
        // One write(2) per line on an O_APPEND fd (write_all loops only if the kernel writes
        // less): a kill leaves at worst one partial line, which readers ignore.
        write_all(fd, text, log_path);
        done.insert(id);
        dirty = true;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_sync >= std::chrono::seconds(1)) sync_now(now);
    }

    void sync_now(std::chrono::steady_clock::time_point now) {
        if (dirty && ::fdatasync(fd) != 0) fail_output("sync", log_path);
        dirty = false;
        last_sync = now;
    }
};

push_journal::push_journal(std::string dir, const std::string& fingerprint, int rank, bool may_create, bool restart)
    : impl_(std::make_unique<impl>()) {
    impl_->dir = std::move(dir);
    impl_->prepare(fingerprint, may_create, restart);
    impl_->open_own_log(rank);
}

push_journal::~push_journal() = default;

bool push_journal::done(request_id id) const {
    return impl_->done.count(id) != 0;
}

std::uint64_t push_journal::recorded_at_open() const noexcept {
    return impl_->at_open;
}

void push_journal::record(request_id id, const char* status) {
    impl_->record(id, status);
}

void push_journal::sync() {
    impl_->sync_now(std::chrono::steady_clock::now());
}

}  // namespace tsbatch::storage
