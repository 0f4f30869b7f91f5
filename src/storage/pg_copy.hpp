#pragma once
// PostgreSQL's binary COPY format (`COPY ... FROM STDIN (FORMAT binary)`), written a row at
// a time: binary, so that float8 values arrive with their exact bits (NaN and infinities
// included) and nothing is parsed on the server. Big-endian fields, each with its length.
#include <cstdint>
#include <string>
#include <string_view>

namespace tsbatch::storage {

/// PostgreSQL's epoch (2000-01-01T00:00:00Z) in Unix milliseconds.
inline constexpr std::int64_t pg_epoch_unix_ms = 946'684'800'000;

class pg_copy_writer {
public:
    /// Starts the data with the format's signature and header.
    pg_copy_writer();

    /// A row of `fields` fields; exactly that many field calls follow.
    void begin_row(std::int16_t fields);
    void null();
    void int8(std::int64_t v);
    void float8(double v);
    void text(std::string_view utf8);
    /// A jsonb value from its JSON text (binary jsonb is version 1 and the text).
    void jsonb(std::string_view json);
    /// A timestamptz from Unix milliseconds. Returns false (writing nothing) when the
    /// instant is outside what int64 microseconds since 2000 hold.
    bool timestamptz_ms(std::int64_t unix_ms);

    /// The bytes so far; take() hands them over and starts an empty buffer (the header is
    /// in the first buffer only).
    const std::string& bytes() const noexcept { return out_; }
    std::string take();
    /// The end-of-data marker, after the last row.
    void finish();

private:
    void be16(std::int16_t v);
    void be32(std::int32_t v);
    void be64(std::uint64_t v);
    std::string out_;
};

/// A series id "metric{k1=v1,k2=v2}" split into its metric and canonical tags (DESIGN §3).
struct id_parts {
    std::string metric;
    std::string tags;
};
id_parts split_series_id(std::string_view id);

}  // namespace tsbatch::storage
