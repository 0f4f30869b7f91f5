#pragma once
// Where the matrix profile's work goes: every series' distance matrix is cut into tiles
// (algo/kernels/matrix_profile.hpp) whose size depends on the series alone, all tiles of all
// series form one list in run order, and each rank takes a contiguous run of it of
// near-equal cost. So one 10 M-point series is spread over every rank, 10,000 short ones
// are spread series-wise, and a mix of both balances by cells, the O(n^2) cost itself.
// Pure: every rank computes the same plan from the same (allgathered) description.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "algo/kernels/matrix_profile.hpp"
#include "parallel/partition.hpp"

namespace tsbatch {

/// One profile to compute: the windows of series `row` against those of `partner` (the same
/// row for a self-join, the group's reference for an AB-join). Rows are global run rows.
struct mp_job {
    std::uint64_t row = 0;
    std::uint64_t partner = 0;
    std::uint64_t windows = 0;          ///< of `row`
    std::uint64_t partner_windows = 0;  ///< of `partner`
    std::uint64_t side = 0;             ///< tile side for this job
    std::size_t first_tile = 0;         ///< index of its first tile in mp_plan::tiles
    std::size_t tile_count = 0;

    bool self_join() const noexcept { return row == partner; }
};

struct mp_plan_tile {
    std::size_t job = 0;
    mp_tile tile;
};

struct mp_plan {
    std::vector<mp_job> jobs;
    std::vector<mp_plan_tile> tiles;
    std::vector<index_range> rank_tiles;  ///< the tiles of each rank
    std::vector<double> tile_cost;
};

/// What the plan needs to know of one job before its tiles exist.
struct mp_job_request {
    std::uint64_t row = 0;
    std::uint64_t partner = 0;
    std::uint64_t points = 0;
    std::uint64_t partner_points = 0;
};

/// The tile side for a series of `windows` windows: `side` (the operator's `tile`), grown so
/// that no series has more than max_tile_rows tile rows (a 10 M-point series then makes
/// ~500,000 tiles, not millions).
std::uint64_t mp_tile_side(std::uint64_t windows, std::uint64_t side);
inline constexpr std::uint64_t max_tile_rows = 1024;

/// Estimated cost of a tile: its cells plus the exact covariance that starts each of its
/// diagonals (window m multiply-adds per diagonal).
double mp_tile_cost(const mp_tile& t, std::size_t m);

/// The plan for `requests` (in run order) with window `m`, self-join exclusion `exclusion`,
/// base tile side `side`, over `nranks` ranks.
mp_plan plan_matrix_profile(std::span<const mp_job_request> requests, std::size_t m, std::uint64_t exclusion,
                            std::uint64_t side, int nranks);

}  // namespace tsbatch
