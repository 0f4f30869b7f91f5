#include "pipeline/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "core/temp_file.hpp"

namespace tsbatch {
namespace {

constexpr std::string_view magic = "TSBCKPT2";

// A fast 64-bit checksum of the bytes: chunk files are made durable in groups (see save()),
// so after a machine crash a file may exist with lost contents; the checksum tells such a file
// from a good one. Four independent lanes over 32-byte blocks keep it well above memory speed;
// bytes arrive in pieces (the chunk file is written straight from the output arrays), so it is
// a stream: any split of the same bytes gives the same sum.
class checksum_stream {
public:
    void add(const char* p, std::size_t n) {
        total_ += n;
        if (held_ > 0) {
            const auto take = std::min(n, block - held_);
            std::memcpy(buf_ + held_, p, take);
            held_ += take;
            p += take;
            n -= take;
            if (held_ < block) return;
            mix(buf_);
            held_ = 0;
        }
        for (; n >= block; p += block, n -= block) mix(p);
        std::memcpy(buf_, p, n);
        held_ = n;
    }
    std::uint64_t finish() const {
        std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ total_;
        for (auto lane : lanes_) h = (h ^ lane) * 0xff51afd7ed558ccdULL, h ^= h >> 29;
        for (std::size_t i = 0; i < held_; ++i) h = (h ^ static_cast<unsigned char>(buf_[i])) * 0x100000001b3ULL;
        return h ^ (h >> 32);
    }

private:
    static constexpr std::size_t block = 32;
    void mix(const char* p) {
        for (std::size_t j = 0; j < 4; ++j) {
            std::uint64_t w;
            std::memcpy(&w, p + 8 * j, 8);
            lanes_[j] = (lanes_[j] ^ w) * 0xff51afd7ed558ccdULL;
            lanes_[j] ^= lanes_[j] >> 29;
        }
    }
    std::uint64_t lanes_[4] = {1, 2, 3, 4};
    char buf_[block] = {};
    std::size_t held_ = 0;
    std::uint64_t total_ = 0;
};

std::uint64_t checksum(std::string_view bytes) {
    checksum_stream c;
    c.add(bytes.data(), bytes.size());
    return c.finish();
}

// --- writing ------------------------------------------------------------------------------

// Lays out a chunk file as pieces: small fields are copied into one buffer, large arrays are
// referenced where they are, so that saving a chunk copies its points only into the kernel.
class writer {
public:
    template <class T>
    void pod(const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        copy(reinterpret_cast<const char*>(&v), sizeof v);
    }
    void text(const std::string& s) {
        pod(static_cast<std::uint64_t>(s.size()));
        copy(s.data(), s.size());
    }
    template <class T>
    void array(const std::vector<T>& v) {
        pod(static_cast<std::uint64_t>(v.size()));
        const auto bytes = v.size() * sizeof(T);
        if (bytes < by_reference) {
            copy(reinterpret_cast<const char*>(v.data()), bytes);
        } else {
            pieces_.push_back({reinterpret_cast<const char*>(v.data()), 0, bytes});
        }
    }
    void meta(const series_meta& m) {
        text(m.id);
        text(m.metric);
        text(m.tags);
        pod(m.source_index);
    }
    /// Appends the checksum of everything so far; the layout is complete.
    void seal() {
        checksum_stream sum;
        for_each([&](const char* p, std::size_t n) { sum.add(p, n); });
        pod(sum.finish());
    }
    /// Calls f(pointer, bytes) for every piece in order.
    template <class F>
    void for_each(F&& f) const {
        for (const auto& p : pieces_)
            if (p.bytes) f(p.data ? p.data : small_.data() + p.offset, p.bytes);
    }

private:
    static constexpr std::size_t by_reference = 4096;
    struct piece {
        const char* data;  ///< nullptr: the piece is small_[offset, offset + bytes)
        std::size_t offset;
        std::size_t bytes;
    };
    void copy(const char* p, std::size_t n) {
        if (pieces_.empty() || pieces_.back().data) pieces_.push_back({nullptr, small_.size(), 0});
        small_.append(p, n);
        pieces_.back().bytes += n;
    }
    std::string small_;
    std::vector<piece> pieces_;
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

// A reader of one chunk file: damaged bytes are an input_error naming the file.
byte_reader chunk_reader(std::string_view bytes, const std::string& what) {
    return byte_reader(bytes, [what] {
        throw input_error("checkpoint file " + what + " is damaged (not a complete tsbatch checkpoint chunk)");
    });
}

series_meta read_meta(byte_reader& r) {
    series_meta m;
    m.id = r.text();
    m.metric = r.text();
    m.tags = r.text();
    m.source_index = r.pod<std::uint64_t>();
    return m;
}

series_batch read_series(byte_reader& r) {
    series_batch b;
    const auto n = r.count(1);
    b.meta.reserve(n);
    for (std::size_t i = 0; i < n; ++i) b.meta.push_back(read_meta(r));
    b.offset = r.array<std::uint64_t>();
    b.time = r.array<std::int64_t>();
    b.value = r.array<double>();
    if (b.offset.size() != n + 1 || b.time.size() != b.value.size() || b.offset.back() != b.time.size()) r.damaged();
    return b;
}

table_batch read_table(byte_reader& r) {
    table_batch t;
    const auto rows = r.count(1);
    for (std::size_t i = 0; i < rows; ++i) t.meta.push_back(read_meta(r));
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

// Writes the pieces f lays out (see writer::for_each) to a temporary file renamed to `path`,
// so that `path` is absent or complete as long as the machine stays up; returns the still
// open descriptor for a later fdatasync.
template <class ForEachPiece>
int write_and_rename(const std::string& path, ForEachPiece&& for_each_piece) {
    const std::string tmp = temp_path_for(path);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) fail_io("create", tmp);
    const auto fail = [&](const char* what) {
        const int saved = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        errno = saved;
        fail_io(what, tmp);
    };
    for_each_piece([&](const char* p, std::size_t n) {
        while (n > 0) {
            const auto k = ::write(fd, p, n);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) fail("write");
            p += k;
            n -= static_cast<std::size_t>(k);
        }
    });
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename");
    return fd;
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

void lay_out(writer& w, const execution& ex) {
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
    w.seal();
}

}  // namespace

std::string serialize_execution(const execution& ex) {
    writer w;
    lay_out(w, ex);
    std::string bytes;
    w.for_each([&](const char* p, std::size_t n) { bytes.append(p, n); });
    return bytes;
}

execution deserialize_execution(std::string_view bytes, const std::string& what) {
    std::uint64_t sum = 0;
    if (bytes.size() < sizeof sum) chunk_reader(bytes, what).damaged();
    std::memcpy(&sum, bytes.data() + bytes.size() - sizeof sum, sizeof sum);
    bytes.remove_suffix(sizeof sum);
    if (checksum(bytes) != sum) chunk_reader(bytes, what).damaged();
    byte_reader r = chunk_reader(bytes, what);
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

// The first non-empty part is taken over as it is (no copy); later ones are appended in bulk.
void append_series(series_batch& whole, series_batch&& next) {
    if (whole.meta.empty()) {
        whole = std::move(next);
        return;
    }
    const auto base = whole.time.size();
    whole.meta.insert(whole.meta.end(), std::make_move_iterator(next.meta.begin()),
                      std::make_move_iterator(next.meta.end()));
    for (std::size_t i = 1; i < next.offset.size(); ++i) whole.offset.push_back(base + next.offset[i]);
    whole.time.insert(whole.time.end(), next.time.begin(), next.time.end());
    whole.value.insert(whole.value.end(), next.value.begin(), next.value.end());
}

void append_table(table_batch& whole, table_batch&& next) {
    if (whole.meta.empty()) {
        whole = std::move(next);
        return;
    }
    whole.meta.insert(whole.meta.end(), std::make_move_iterator(next.meta.begin()),
                      std::make_move_iterator(next.meta.end()));
    if (whole.columns.empty()) {
        whole.columns = std::move(next.columns);
        return;
    }
    for (std::size_t c = 0; c < whole.columns.size() && c < next.columns.size(); ++c) {
        auto& w = whole.columns[c];
        auto& n = next.columns[c];
        w.ints.insert(w.ints.end(), n.ints.begin(), n.ints.end());
        w.floats.insert(w.floats.end(), n.floats.begin(), n.floats.end());
        w.strings.insert(w.strings.end(), std::make_move_iterator(n.strings.begin()),
                         std::make_move_iterator(n.strings.end()));
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
        // The header reaches the disk with the first chunks (sync()), not before: a run that
        // records nothing has nothing to lose, and short runs skip a disk flush. A crash
        // before that flush can leave an empty header, which is written again here.
        if (!fs::exists(header, ec) || fs::file_size(header, ec) == 0) {
            // Closed at once: on NFS, other nodes see the contents only after a close.
            const int fd = write_and_rename(header, [&](auto&& put) { put(fingerprint.data(), fingerprint.size()); });
            if (::close(fd) != 0) fail_io("write", header);
            header_unsynced_ = true;
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
    writer w;
    lay_out(w, ex);
    pending_.push_back(write_and_rename(chunk_path(k), [&](auto&& put) { w.for_each(put); }));
    if (std::chrono::steady_clock::now() - last_sync_ >= sync_interval) sync();
}

std::string checkpoint_store::piece_path(const std::string& name) const {
    for (char ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != '_')
            throw internal_error("checkpoint piece name '" + name + "' has a character other than [A-Za-z0-9._-]");
    return (std::filesystem::path(dir_) / ("piece-" + name + ".bin")).string();
}

std::vector<std::string> checkpoint_store::pieces(const std::string& prefix) const {
    std::vector<std::string> names;
    std::error_code ec;
    const std::string start = "piece-" + prefix;
    for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
        const std::string file = e.path().filename().string();
        // Temporary files of a write in progress (or killed) end otherwise and are skipped.
        if (file.rfind(start, 0) != 0 || file.size() < 4 || file.compare(file.size() - 4, 4, ".bin") != 0) continue;
        names.push_back(file.substr(6, file.size() - 10));
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::optional<std::string> checkpoint_store::load_piece(const std::string& name) const {
    const auto path = piece_path(name);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::nullopt;
    std::string bytes = read_file(path);
    if (bytes.size() < sizeof(std::uint64_t)) return std::nullopt;
    std::uint64_t sum;
    std::memcpy(&sum, bytes.data() + bytes.size() - sizeof sum, sizeof sum);
    bytes.resize(bytes.size() - sizeof sum);
    if (checksum(bytes) != sum) return std::nullopt;
    return bytes;
}

void checkpoint_store::save_piece(const std::string& name, std::string_view bytes) {
    const std::uint64_t sum = checksum(bytes);
    pending_.push_back(write_and_rename(piece_path(name), [&](auto&& put) {
        put(bytes.data(), bytes.size());
        put(reinterpret_cast<const char*>(&sum), sizeof sum);
    }));
    if (std::chrono::steady_clock::now() - last_sync_ >= sync_interval) sync();
}

void checkpoint_store::sync() {
    if (pending_.empty()) return;
    if (header_unsynced_) {
        fsync_path((std::filesystem::path(dir_) / "header").string(), O_RDONLY);
        header_unsynced_ = false;
    }
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
