#include "algo/dataset/matrix_profile_plan.hpp"

#include <algorithm>

namespace tsbatch {

std::uint64_t mp_tile_side(std::uint64_t windows, std::uint64_t side) {
    return std::max(side, (windows + max_tile_rows - 1) / max_tile_rows);
}

double mp_tile_cost(const mp_tile& t, std::size_t m) {
    const double diagonals = static_cast<double>((t.row1 - t.row0) + (t.col1 - t.col0));
    return static_cast<double>(tile_cells(t)) + diagonals * static_cast<double>(m);
}

mp_plan plan_matrix_profile(std::span<const mp_job_request> requests, std::size_t m, std::uint64_t exclusion,
                            std::uint64_t side, int nranks) {
    mp_plan plan;
    for (const auto& r : requests) {
        mp_job job;
        job.row = r.row;
        job.partner = r.partner;
        job.windows = r.points >= m ? r.points - m + 1 : 0;
        job.partner_windows = r.partner_points >= m ? r.partner_points - m + 1 : 0;
        job.side = mp_tile_side(std::max(job.windows, job.partner_windows), side);
        job.first_tile = plan.tiles.size();
        const auto tiles = job.self_join() ? self_join_tiles(job.windows, exclusion, job.side)
                                           : ab_join_tiles(job.windows, job.partner_windows, job.side);
        for (const auto& t : tiles) {
            plan.tiles.push_back({plan.jobs.size(), t});
            plan.tile_cost.push_back(mp_tile_cost(t, m));
        }
        job.tile_count = tiles.size();
        plan.jobs.push_back(job);
    }
    plan.rank_tiles = partition_contiguous(plan.tile_cost, nranks);
    return plan;
}

}  // namespace tsbatch
