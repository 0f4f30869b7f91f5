#include "storage/export_format.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "core/tags.hpp"
#include "core/temp_file.hpp"
#include "core/time.hpp"

namespace tsbatch::storage {

// ---------------------------------------------------------------------------------------
// `tsdb import` lines

namespace {

/// "-9223372036854775808" is the longest int64.
constexpr std::size_t max_timestamp_chars = 20;

/// Points formatted per block: the output is grown by a block's worst case at once and cut
/// back after, which keeps the per-point loop free of capacity checks without reserving the
/// worst case of a whole (possibly huge) series.
constexpr std::size_t points_per_block = 4096;

/// " k1=v1 k2=v2\n": what follows the value on every line of a series.
std::string import_line_tail(std::string_view tags) {
    std::string tail;
    tail.reserve(tags.size() + 2);
    for (const auto& [key, value] : split_tags(tags)) {
        tail += ' ';
        tail += key;
        tail += '=';
        tail += value;
    }
    tail += '\n';
    return tail;
}

}  // namespace

std::uint64_t append_import_lines(std::string& out, std::string_view metric, std::string_view tags,
                                  series_view points, time_encoding enc) {
    const std::string tail = import_line_tail(tags);
    const std::size_t max_line = metric.size() + 1 + max_timestamp_chars + 1 + max_value_chars + tail.size();
    const std::size_t n = points.size();
    std::uint64_t lines = 0;
    for (std::size_t begin = 0; begin < n; begin += points_per_block) {
        const std::size_t end = std::min(n, begin + points_per_block);
        const std::size_t at = out.size();
        out.resize(at + (end - begin) * max_line);
        char* p = out.data() + at;
        for (std::size_t i = begin; i < end; ++i) {
            const double v = points.value[i];
            if (std::isnan(v)) continue;
            std::memcpy(p, metric.data(), metric.size());
            p += metric.size();
            *p++ = ' ';
            p = std::to_chars(p, p + max_timestamp_chars, opentsdb_timestamp(points.time[i], enc)).ptr;
            *p++ = ' ';
            p += format_value(v, p);
            std::memcpy(p, tail.data(), tail.size());
            p += tail.size();
            ++lines;
        }
        out.resize(static_cast<std::size_t>(p - out.data()));
    }
    return lines;
}

// ---------------------------------------------------------------------------------------
// CSV

namespace {

void append_csv_field(std::string& out, std::string_view field) {
    if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += field;
        return;
    }
    out += '"';
    for (const char c : field) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

/// ",metric,tag1,tag2\n": the cells after the value, the same on every row of a series.
std::string csv_row_tail(std::string_view metric, std::string_view tags, const std::vector<std::string>& tag_keys) {
    std::string tail = ",";
    append_csv_field(tail, metric);
    for (const auto& key : tag_keys) {
        tail += ',';
        if (const auto value = tag_value(tags, key)) append_csv_field(tail, *value);
    }
    tail += '\n';
    return tail;
}

}  // namespace

std::string csv_header(const std::vector<std::string>& tag_keys) {
    std::string h = "time,value,metric";
    for (const auto& key : tag_keys) {
        h += ',';
        append_csv_field(h, key);
    }
    h += '\n';
    return h;
}

std::uint64_t append_csv_rows(std::string& out, std::string_view metric, std::string_view tags,
                              series_view points, const std::vector<std::string>& tag_keys) {
    const std::string tail = csv_row_tail(metric, tags, tag_keys);
    char value[max_value_chars];
    for (std::size_t i = 0; i < points.size(); ++i) {
        out += format_iso8601(points.time[i]);
        out += ',';
        const double v = points.value[i];
        if (!std::isnan(v)) out.append(value, format_value(v, value));
        out += tail;
    }
    return points.size();
}

// ---------------------------------------------------------------------------------------
// Table and matrix CSV

namespace {

bool is_timestamp(const column_spec& c) { return c.type == column_type::int64 && c.unit == unit_epoch_ms; }

/// A float cell: empty for NaN, "inf"/"-inf", else the text that reads back exactly (-0 too,
/// which format_value writes as "0" for OpenTSDB's sake).
void append_number_cell(std::string& out, double v) {
    if (std::isnan(v)) return;
    if (v == 0 && std::signbit(v)) {
        out += "-0";
        return;
    }
    char text[max_value_chars];
    out.append(text, format_value(v, text));
}

void append_integer_cell(std::string& out, std::int64_t v) {
    char text[24];
    out.append(text, static_cast<std::size_t>(std::to_chars(text, text + sizeof text, v).ptr - text));
}

}  // namespace

std::string table_csv_header(const std::vector<column_spec>& columns) {
    std::string h;
    for (const auto& c : columns) {
        if (!h.empty()) h += ',';
        append_csv_field(h, c.name);
        if (is_timestamp(c)) {
            h += ',';
            append_csv_field(h, c.name + "_ms");
        }
    }
    h += '\n';
    return h;
}

void append_table_csv_rows(std::string& out, const table_batch& rows) {
    const std::size_t n = rows.columns.empty() ? 0 : rows.columns.front().size();
    for (std::size_t i = 0; i < n; ++i) {
        bool first = true;
        for (const auto& col : rows.columns) {
            if (!first) out += ',';
            first = false;
            switch (col.spec.type) {
            case column_type::int64:
                if (is_timestamp(col.spec)) {
                    out += format_iso8601(col.ints[i]);
                    out += ',';
                }
                append_integer_cell(out, col.ints[i]);
                break;
            case column_type::float64:
                append_number_cell(out, col.floats[i]);
                break;
            case column_type::string:
                append_csv_field(out, col.strings[i]);
                break;
            }
        }
        out += '\n';
    }
}

std::string matrix_csv_header(std::string_view corner, const std::vector<std::string>& col_labels) {
    std::string h;
    append_csv_field(h, corner);
    for (const auto& label : col_labels) {
        h += ',';
        append_csv_field(h, label);
    }
    h += '\n';
    return h;
}

void append_matrix_csv_row(std::string& out, std::string_view label, std::span<const double> values) {
    append_csv_field(out, label);
    for (const double v : values) {
        out += ',';
        append_number_cell(out, v);
    }
    out += '\n';
}

// ---------------------------------------------------------------------------------------
// export_file

namespace {

constexpr std::size_t input_block = std::size_t{1} << 20;
constexpr std::size_t output_block = std::size_t{256} << 10;

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

struct export_file::impl {
    std::string path;
    std::string temp;
    int fd = -1;
    z_stream zs{};
    bool deflating = false;
    bool committed = false;
    bool failed = false;
    std::string in;  ///< input gathered up to input_block bytes before it is deflated
    std::vector<unsigned char> out = std::vector<unsigned char>(output_block);

    [[noreturn]] void fail(const std::string& what) {
        failed = true;
        throw output_error(what);
    }

    void write_all(const unsigned char* data, std::size_t size) {
        while (size > 0) {
            const ssize_t n = ::write(fd, data, size);
            if (n < 0) {
                if (errno == EINTR) continue;
                fail("cannot write " + path + " (temporary file " + temp + "): " + errno_text(errno));
            }
            data += n;
            size -= static_cast<std::size_t>(n);
        }
    }

    /// Deflates `data` with `flush` and writes what comes out, with Z_FINISH until the stream
    /// ends. A plain file gets `data` itself.
    void deflate_block(std::string_view data, int flush) {
        if (!deflating) {  // a plain file
            write_all(reinterpret_cast<const unsigned char*>(data.data()), data.size());
            return;
        }
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
        zs.avail_in = static_cast<uInt>(data.size());
        for (;;) {
            zs.next_out = out.data();
            zs.avail_out = static_cast<uInt>(out.size());
            const int rc = deflate(&zs, flush);
            if (rc == Z_STREAM_ERROR)
                fail("cannot compress " + path + ": zlib: " + (zs.msg != nullptr ? zs.msg : "stream error"));
            write_all(out.data(), out.size() - zs.avail_out);
            if (flush == Z_FINISH ? rc == Z_STREAM_END : (zs.avail_in == 0 && zs.avail_out != 0)) break;
        }
    }

    void flush_input() {
        if (in.empty()) return;
        deflate_block(in, Z_NO_FLUSH);
        in.clear();
    }

    /// Makes the file and its name durable before it counts as written.
    void sync_and_close() {
        if (::fsync(fd) != 0) fail("cannot sync " + path + " (temporary file " + temp + "): " + errno_text(errno));
        const int fd_was = fd;
        fd = -1;
        if (::close(fd_was) != 0) fail("cannot close " + path + " (temporary file " + temp + "): " + errno_text(errno));
    }

    void rename_into_place() {
        if (::rename(temp.c_str(), path.c_str()) != 0)
            fail("cannot rename " + temp + " to " + path + ": " + errno_text(errno));
        // The directory entry is durable only once the directory is synced. Some parallel
        // file systems refuse fsync on a directory; the data itself is already synced, so
        // that is not worth failing an export for.
        const auto dir = std::filesystem::path(path).parent_path();
        const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)::fsync(dfd);
            ::close(dfd);
        }
    }

    ~impl() {
        if (deflating) deflateEnd(&zs);
        if (fd >= 0) ::close(fd);
        if (!committed && !temp.empty()) ::unlink(temp.c_str());
    }
};

export_file::export_file(std::string path, int level) : impl_(std::make_unique<impl>()), path_(std::move(path)) {
    if (level != plain && (level < Z_DEFAULT_COMPRESSION || level > Z_BEST_COMPRESSION))
        throw usage_error("gzip level " + std::to_string(level) + " for " + path_ + " is not between 0 and 9");
    impl& d = *impl_;
    d.path = path_;
    remove_abandoned_temp_files(path_);  // left by an export killed while writing this file
    d.temp = temp_path_for(path_);
    d.fd = ::open(d.temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (d.fd < 0) {
        const int err = errno;
        const std::string temp = std::move(d.temp);
        d.temp.clear();  // nothing was created, so the destructor must not remove anything
        throw output_error("cannot create " + path_ + " (temporary file " + temp + "): " + errno_text(err));
    }
    d.in.reserve(input_block);
    if (level == plain) return;
    // windowBits 16 + 15: a gzip (RFC 1952) wrapper with no name and mtime 0, so the same
    // data always gives the same bytes.
    if (deflateInit2(&d.zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw output_error("cannot start compressing " + path_ + ": zlib: " +
                           (d.zs.msg != nullptr ? d.zs.msg : "out of memory"));
    d.deflating = true;
}

export_file::~export_file() = default;

void export_file::write(std::string_view bytes) {
    impl& d = *impl_;
    if (d.committed) throw internal_error("export_file::write after commit of " + path_);
    if (d.failed) throw output_error("cannot write " + path_ + ": an earlier write failed");
    bytes_in_ += bytes.size();
    while (!bytes.empty()) {
        // Blocks of a full buffer go straight to zlib: copying them first gains nothing.
        if (d.in.empty() && bytes.size() >= input_block) {
            const auto block = bytes.substr(0, input_block);
            d.deflate_block(block, Z_NO_FLUSH);
            bytes.remove_prefix(block.size());
            continue;
        }
        const std::size_t take = std::min(bytes.size(), input_block - d.in.size());
        d.in.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (d.in.size() == input_block) d.flush_input();
    }
}

void export_file::commit() {
    impl& d = *impl_;
    if (d.committed) throw internal_error("export_file::commit called twice for " + path_);
    if (d.failed) throw output_error("cannot finish " + path_ + ": an earlier write failed");
    d.deflate_block(d.in, Z_FINISH);
    d.in.clear();
    d.sync_and_close();
    d.rename_into_place();
    d.committed = true;
}

}  // namespace tsbatch::storage
