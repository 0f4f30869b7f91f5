#include "storage/pg_copy.hpp"

#include <bit>
#include <cstring>
#include <limits>


namespace tsbatch::storage {

pg_copy_writer::pg_copy_writer() {
    // "PGCOPY\n\377\r\n\0", then flags (no OIDs) and the header extension length, both 0.
    static constexpr char signature[] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};
    out_.append(signature, sizeof signature);
    be32(0);
    be32(0);
}

void pg_copy_writer::be16(std::int16_t v) {
    const auto u = static_cast<std::uint16_t>(v);
    out_ += static_cast<char>(u >> 8);
    out_ += static_cast<char>(u & 0xFF);
}

void pg_copy_writer::be32(std::int32_t v) {
    const auto u = static_cast<std::uint32_t>(v);
    for (int shift = 24; shift >= 0; shift -= 8) out_ += static_cast<char>((u >> shift) & 0xFF);
}

void pg_copy_writer::be64(std::uint64_t u) {
    for (int shift = 56; shift >= 0; shift -= 8) out_ += static_cast<char>((u >> shift) & 0xFF);
}

void pg_copy_writer::begin_row(std::int16_t fields) { be16(fields); }
void pg_copy_writer::null() { be32(-1); }

void pg_copy_writer::int8(std::int64_t v) {
    be32(8);
    be64(static_cast<std::uint64_t>(v));
}

void pg_copy_writer::float8(double v) {
    be32(8);
    be64(std::bit_cast<std::uint64_t>(v));
}

void pg_copy_writer::text(std::string_view utf8) {
    be32(static_cast<std::int32_t>(utf8.size()));
    out_.append(utf8);
}

void pg_copy_writer::jsonb(std::string_view json) {
    be32(static_cast<std::int32_t>(json.size() + 1));
    out_ += '\1';
    out_.append(json);
}

bool pg_copy_writer::timestamptz_ms(std::int64_t unix_ms) {
    constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / 1000;
    if (unix_ms > limit + pg_epoch_unix_ms || unix_ms < -limit + pg_epoch_unix_ms) return false;
    be32(8);
    be64(static_cast<std::uint64_t>((unix_ms - pg_epoch_unix_ms) * 1000));
    return true;
}

std::string pg_copy_writer::take() {
    std::string done;
    done.swap(out_);
    return done;
}

void pg_copy_writer::finish() { be16(-1); }

id_parts split_series_id(std::string_view id) {
    const auto brace = id.find('{');
    if (brace == std::string_view::npos || id.back() != '}') return {std::string(id), ""};
    return {std::string(id.substr(0, brace)), std::string(id.substr(brace + 1, id.size() - brace - 2))};
}

}  // namespace tsbatch::storage
