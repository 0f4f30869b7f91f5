#pragma once
// The points of a run of series handed over piece by piece, so that whoever writes them
// never needs them in memory at once: a rank's series outputs are held partly in a temporary
// file (pipeline/output_spool.hpp) and written to the result file from there in bounded
// pieces (io/staged.hpp).
#include <cstdint>

#include "core/series.hpp"

namespace tsbatch {

class point_source {
public:
    virtual ~point_source() = default;
    /// Points in all.
    virtual std::uint64_t size() const = 0;
    /// The most points one piece() hands over (at least 1).
    virtual std::uint64_t piece_points() const = 0;
    /// Points [at, at + n), with n <= piece_points() and at + n <= size(); the spans stay
    /// valid until the next call.
    virtual series_view piece(std::uint64_t at, std::uint64_t n) = 0;
};

/// The points of a series_batch in memory, in one piece.
class batch_points final : public point_source {
public:
    explicit batch_points(const series_batch& b) : b_(b) {}
    std::uint64_t size() const override { return b_.point_count(); }
    std::uint64_t piece_points() const override { return b_.point_count() > 0 ? b_.point_count() : 1; }
    series_view piece(std::uint64_t at, std::uint64_t n) override {
        return {std::span<const std::int64_t>(b_.time).subspan(at, n),
                std::span<const double>(b_.value).subspan(at, n)};
    }

private:
    const series_batch& b_;
};

}  // namespace tsbatch
