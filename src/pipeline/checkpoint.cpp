#include "pipeline/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>

#include "core/error.hpp"

namespace tsbatch {
namespace {

constexpr std::string_view magic = "TSBCKPT1";

// A fast 64-bit checksum of the bytes (8 at a time): chunk files are made durable in groups
// (see save()), so after a machine crash a file may exist with lost contents; the checksum
// tells such a file from a good one.
std::uint64_t checksum(std::string_view bytes) {
    std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ bytes.size();
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, bytes.data() + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
    }
    for (; i < bytes.size(); ++i) h = (h ^ static_cast<unsigned char>(bytes[i])) * 0x100000001b3ULL;
    h ^= h >> 32;
    return h;
}

// --- writing ------------------------------------------------------------------------------

class writer {
public:
    template <class T>
    void pod(const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        out_.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    void text(const std::string& s) {
        pod(static_cast<std::uint64_t>(s.size()));
        out_ += s;
    }
    template <class T>
    void array(const std::vector<T>& v) {
        pod(static_cast<std::uint64_t>(v.size()));
        out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    }
    void meta(const series_meta& m) {
        text(m.id);
        text(m.metric);
        text(m.tags);
        pod(m.source_index);
    }
    void reserve(std::size_t n) { out_.reserve(n); }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

void write_series(writer& w, const series_batch& b) {
    w.pod(static_cast<std::uint64_t>(b.meta.size()));
    for (const auto& m : b.meta) w.meta(m);
    w.array(b.offset);
    w.array(b.time);
    w.array(b.value);
}

void write_table(writer& w, const table_batch& t) {
    w.pod(static_cast<std::uint64_t>(t.meta.size()));
    for (const auto& m : t.meta) w.meta(m);
    w.pod(static_cast<std::uint64_t>(t.columns.size()));
    for (const auto& c : t.columns) {
        w.text(c.spec.name);
        w.pod(static_cast<std::uint8_t>(c.spec.type));
        w.text(c.spec.unit);
        w.text(c.spec.summary);
        w.array(c.ints);
        w.array(c.floats);
        w.pod(static_cast<std::uint64_t>(c.strings.size()));
        for (const auto& s : c.strings) w.text(s);
    }
}

// --- reading ------------------------------------------------------------------------------

class reader {
public:
    reader(std::string_view bytes, const std::string& what) : in_(bytes), what_(what) {}

    template <class T>
    T pod() {
        T v;
        need(sizeof v);
        std::memcpy(&v, in_.data() + pos_, sizeof v);
        pos_ += sizeof v;
        return v;
    }
    std::string text() {
        const auto n = count(1);
        std::string s(in_.substr(pos_, n));
        pos_ += n;
        return s;
    }
    template <class T>
    std::vector<T> array() {
        const auto n = count(sizeof(T));
        std::vector<T> v(n);
        if (n) std::memcpy(v.data(), in_.data() + pos_, n * sizeof(T));
        pos_ += n * sizeof(T);
        return v;
    }
    series_meta meta() {
        series_meta m;
        m.id = text();
        m.metric = text();
        m.tags = text();
        m.source_index = pod<std::uint64_t>();
        return m;
    }
    // A count of items of `item_bytes` each that must still fit in the input.
    std::size_t count(std::size_t item_bytes) {
        const auto n = pod<std::uint64_t>();
        if (item_bytes != 0 && n > (in_.size() - pos_) / item_bytes) damaged();
        return static_cast<std::size_t>(n);
    }
    bool at_end() const { return pos_ == in_.size(); }
    [[noreturn]] void damaged() const {
        throw input_error("checkpoint file " + what_ + " is damaged (not a complete tsbatch checkpoint chunk)");
    }

private:
    void need(std::size_t n) const {
        if (n > in_.size() - pos_) damaged();
    }
    std::string_view in_;
    std::size_t pos_ = 0;
    const std::string& what_;
};

series_batch read_series(reader& r) {
    series_batch b;
    const auto n = r.count(1);
    b.meta.reserve(n);
    for (std::size_t i = 0; i < n; ++i) b.meta.push_back(r.meta());
    b.offset = r.array<std::uint64_t>();
    b.time = r.array<std::int64_t>();
    b.value = r.array<double>();
    if (b.offset.size() != n + 1 || b.time.size() != b.value.size() || b.offset.back() != b.time.size()) r.damaged();
    return b;
}

table_batch read_table(reader& r) {
    table_batch t;
    const auto rows = r.count(1);
    for (std::size_t i = 0; i < rows; ++i) t.meta.push_back(r.meta());
    const auto cols = r.count(1);
    for (std::size_t c = 0; c < cols; ++c) {
        table_column col;
        col.spec.name = r.text();
        const auto type = r.pod<std::uint8_t>();
        if (type > static_cast<std::uint8_t>(column_type::string)) r.damaged();
        col.spec.type = static_cast<column_type>(type);
        col.spec.unit = r.text();
        col.spec.summary = r.text();
        col.ints = r.array<std::int64_t>();
        col.floats = r.array<double>();
        const auto ns = r.count(8);
        for (std::size_t i = 0; i < ns; ++i) col.strings.push_back(r.text());
        t.columns.push_back(std::move(col));
    }
    return t;
}

// --- files --------------------------------------------------------------------------------

[[noreturn]] void fail_io(const std::string& what, const std::string& path) {
    throw output_error("checkpoint: cannot " + what + " " + path + ": " + std::strerror(errno));
}

void fsync_path(const std::string& path, int flags) {
    const int fd = ::open(path.c_str(), flags);
    if (fd < 0) fail_io("open", path);
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) fail_io("sync", path);
}

// Writes `bytes` to a temporary file renamed to `path`, so that `path` is absent or complete
// as long as the machine stays up; returns the still open descriptor for a later fdatasync.
int write_and_rename(const std::string& path, std::string_view bytes) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) fail_io("create", tmp);
    std::size_t done = 0;
    while (done < bytes.size()) {
        const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            ::unlink(tmp.c_str());
            fail_io("write", tmp);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        ::close(fd);
        ::unlink(tmp.c_str());
        fail_io("rename", tmp);
    }
    return fd;
}

// Writes `bytes` to `path` so that `path` is either absent or complete, also after a crash.
void write_durably(const std::string& path, std::string_view bytes) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) fail_io("create", tmp);
    std::size_t done = 0;
    while (done < bytes.size()) {
        const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            ::unlink(tmp.c_str());
            fail_io("write", tmp);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fdatasync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        fail_io("sync", tmp);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        fail_io("rename", tmp);
    }
    fsync_path(std::filesystem::path(path).parent_path().string(), O_RDONLY | O_DIRECTORY);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw input_error("checkpoint: cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

namespace {

// Bytes serialize_execution will need, near enough to write without reallocating.
std::size_t serialized_size(const execution& ex) {
    std::size_t n = 256;
    const auto meta_bytes = [](const std::vector<series_meta>& meta) {
        std::size_t b = 0;
        for (const auto& m : meta) b += 40 + m.id.size() + m.metric.size() + m.tags.size();
        return b;
    };
    for (const auto& s : ex.steps)
        for (const auto& o : s.outputs) {
            n += 128 + meta_bytes(o.series.meta) + 8 * (o.series.offset.size() + o.series.time.size() + o.series.value.size());
            n += meta_bytes(o.table.meta);
            for (const auto& c : o.table.columns) {
                n += 64 + 8 * (c.ints.size() + c.floats.size());
                for (const auto& str : c.strings) n += 8 + str.size();
            }
        }
    for (const auto& s : ex.skipped) n += 24 + s.id.size() + s.reason.size();
    return n;
}

}  // namespace

std::string serialize_execution(const execution& ex) {
    writer w;
    w.reserve(serialized_size(ex));
    for (char ch : magic) w.pod(ch);
    w.pod(static_cast<std::uint64_t>(ex.steps.size()));
    for (const auto& s : ex.steps) {
        w.text(s.name);
        w.text(s.op);
        w.pod(s.seconds);
        w.pod(static_cast<std::uint64_t>(s.outputs.size()));
        for (const auto& o : s.outputs) {
            w.text(o.name);
            w.pod(static_cast<std::uint8_t>(o.kind));
            if (o.kind == data_kind::series)
                write_series(w, o.series);
            else
                write_table(w, o.table);
        }
    }
    w.pod(static_cast<std::uint64_t>(ex.skipped.size()));
    for (const auto& s : ex.skipped) {
        w.pod(s.source_index);
        w.text(s.id);
        w.text(s.reason);
    }
    w.pod(ex.series_done);
    w.pod(ex.points_done);
    auto bytes = w.take();
    const auto sum = checksum(bytes);
    bytes.append(reinterpret_cast<const char*>(&sum), sizeof sum);
    return bytes;
}

execution deserialize_execution(std::string_view bytes, const std::string& what) {
    std::uint64_t sum = 0;
    if (bytes.size() < sizeof sum) reader(bytes, what).damaged();
    std::memcpy(&sum, bytes.data() + bytes.size() - sizeof sum, sizeof sum);
    bytes.remove_suffix(sizeof sum);
    if (checksum(bytes) != sum) reader(bytes, what).damaged();
    reader r(bytes, what);
    for (char ch : magic)
        if (r.pod<char>() != ch) r.damaged();
    execution ex;
    const auto steps = r.count(1);
    for (std::size_t k = 0; k < steps; ++k) {
        step_result s;
        s.name = r.text();
        s.op = r.text();
        s.seconds = r.pod<double>();
        const auto outs = r.count(1);
        for (std::size_t o = 0; o < outs; ++o) {
            step_output out;
            out.name = r.text();
            const auto kind = r.pod<std::uint8_t>();
            if (kind == static_cast<std::uint8_t>(data_kind::series)) {
                out.kind = data_kind::series;
                out.series = read_series(r);
            } else if (kind == static_cast<std::uint8_t>(data_kind::table)) {
                out.kind = data_kind::table;
                out.table = read_table(r);
            } else {
                r.damaged();
            }
            s.outputs.push_back(std::move(out));
        }
        ex.steps.push_back(std::move(s));
    }
    const auto skipped = r.count(1);
    for (std::size_t i = 0; i < skipped; ++i) {
        skipped_series s;
        s.source_index = r.pod<std::uint64_t>();
        s.id = r.text();
        s.reason = r.text();
        ex.skipped.push_back(std::move(s));
    }
    ex.series_done = r.pod<std::uint64_t>();
    ex.points_done = r.pod<std::uint64_t>();
    if (!r.at_end()) r.damaged();
    return ex;
}

namespace {

void append_series(series_batch& whole, series_batch&& next) {
    for (std::size_t i = 0; i < next.meta.size(); ++i) whole.append(std::move(next.meta[i]), next.series(i));
}

void append_table(table_batch& whole, table_batch&& next) {
    whole.meta.insert(whole.meta.end(), std::make_move_iterator(next.meta.begin()), std::make_move_iterator(next.meta.end()));
    if (whole.columns.empty()) {
        whole.columns = std::move(next.columns);
        return;
    }
    for (std::size_t c = 0; c < whole.columns.size() && c < next.columns.size(); ++c) {
        auto& w = whole.columns[c];
        auto& n = next.columns[c];
        w.ints.insert(w.ints.end(), n.ints.begin(), n.ints.end());
        w.floats.insert(w.floats.end(), n.floats.begin(), n.floats.end());
        w.strings.insert(w.strings.end(), std::make_move_iterator(n.strings.begin()), std::make_move_iterator(n.strings.end()));
    }
}

}  // namespace

void append_execution(execution& whole, execution&& next) {
    if (whole.steps.empty()) {
        whole = std::move(next);
        return;
    }
    if (whole.steps.size() != next.steps.size()) throw internal_error("append_execution: step lists differ");
    for (std::size_t k = 0; k < whole.steps.size(); ++k) {
        auto& w = whole.steps[k];
        auto& n = next.steps[k];
        if (w.outputs.size() != n.outputs.size()) throw internal_error("append_execution: outputs differ");
        w.seconds += n.seconds;
        for (std::size_t o = 0; o < w.outputs.size(); ++o) {
            if (w.outputs[o].kind == data_kind::series)
                append_series(w.outputs[o].series, std::move(n.outputs[o].series));
            else
                append_table(w.outputs[o].table, std::move(n.outputs[o].table));
        }
    }
    whole.skipped.insert(whole.skipped.end(), std::make_move_iterator(next.skipped.begin()),
                         std::make_move_iterator(next.skipped.end()));
    whole.series_done += next.series_done;
    whole.points_done += next.points_done;
}

checkpoint_store::checkpoint_store(std::string dir, const std::string& fingerprint, bool may_create, bool restart)
    : dir_(std::move(dir)) {
    namespace fs = std::filesystem;
    const std::string header = (fs::path(dir_) / "header").string();
    std::error_code ec;
    if (may_create) {
        if (restart) fs::remove_all(dir_, ec);
        fs::create_directories(dir_, ec);
        if (!fs::is_directory(dir_, ec)) throw output_error("cannot create the checkpoint directory " + dir_);
        if (!fs::exists(header, ec)) {
            write_durably(header, fingerprint);
            return;
        }
    }
    if (!fs::exists(header, ec))
        throw output_error("checkpoint directory " + dir_ +
                           " has no header: it must be on a file system that every rank sees");
    if (read_file(header) != fingerprint)
        throw config_error("checkpoint " + dir_ +
                           " belongs to another run (the config, the input or the tsbatch version changed); remove it, "
                           "or run with --restart to discard it");
}

std::string checkpoint_store::chunk_path(std::size_t k) const {
    char name[32];
    std::snprintf(name, sizeof name, "chunk-%08zu.bin", k);
    return (std::filesystem::path(dir_) / name).string();
}

bool checkpoint_store::has(std::size_t k) const {
    std::error_code ec;
    return std::filesystem::exists(chunk_path(k), ec);
}

execution checkpoint_store::load(std::size_t k) const {
    const auto path = chunk_path(k);
    return deserialize_execution(read_file(path), path);
}

void checkpoint_store::save(std::size_t k, const execution& ex) {
    pending_.push_back(write_and_rename(chunk_path(k), serialize_execution(ex)));
    if (std::chrono::steady_clock::now() - last_sync_ >= sync_interval) sync();
}

void checkpoint_store::sync() {
    if (pending_.empty()) return;
    bool ok = true;
    for (int fd : pending_) {
        ok = ::fdatasync(fd) == 0 && ok;
        ok = ::close(fd) == 0 && ok;
    }
    pending_.clear();
    if (!ok) fail_io("sync chunk files in", dir_);
    fsync_path(dir_, O_RDONLY | O_DIRECTORY);
    last_sync_ = std::chrono::steady_clock::now();
}

checkpoint_store::~checkpoint_store() {
    // No flush here: a run that completes removes its checkpoint anyway, and a stopped run
    // calls sync() itself. The files are complete in the page cache either way.
    for (int fd : pending_) ::close(fd);
}

void checkpoint_store::remove() const {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

}  // namespace tsbatch
