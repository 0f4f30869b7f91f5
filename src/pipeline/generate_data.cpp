#include "pipeline/generate_data.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "core/memory.hpp"
#include "io/staged.hpp"
#include "parallel/agreement.hpp"
#include "parallel/partition.hpp"
#include "pipeline/staged_output.hpp"

namespace tsbatch {

int generate_staged_file(const comm& c, const generate_request& req) {
    const auto t0 = std::chrono::steady_clock::now();
    if (req.opt.mean_points != 0 && req.opt.series > std::numeric_limits<std::uint64_t>::max() / req.opt.mean_points)
        throw usage_error("--series x --points overflows 64 bits");
    // Every rank plans the same lengths and takes a contiguous range of near-equal points;
    // each series depends on (seed, index) alone, so the file is the same for any rank count.
    series_batch batch;
    double gen_s = 0;
    agreed_phase(c, [&] {  // memory can run out on one rank only
        const auto lengths = plan_series_lengths(req.opt);
        const auto chunks = make_chunks(lengths);
        std::vector<double> cost(chunks.size());
        for (std::size_t k = 0; k < chunks.size(); ++k)
            for (auto i = chunks[k].begin; i < chunks[k].end; ++i) cost[k] += 20.0 + static_cast<double>(lengths[i]);
        const auto ranges = partition_contiguous(cost, c.size());
        const auto mine = series_of(chunks, ranges[static_cast<std::size_t>(c.rank())]);
        std::uint64_t local_points = 0;
        for (auto i = mine.begin; i < mine.end; ++i) local_points += lengths[i];
        reserve_huge(batch.time, local_points);
        reserve_huge(batch.value, local_points);
        for (auto i = mine.begin; i < mine.end; ++i) generate_series(req.opt, i, lengths[i], batch);
        gen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    });

    write_staged_file(c, req.output, batch, req.compression, [&](staged_writer& out) {
        out.set_attr("/", "generator", std::string("tsbatch generate"));
        out.set_attr("/", "generator_seed", static_cast<std::int64_t>(req.opt.seed));
        out.set_attr("/", "generator_series", static_cast<std::int64_t>(req.opt.series));
        out.set_attr("/", "generator_mean_points", static_cast<std::int64_t>(req.opt.mean_points));
        if (req.opt.heavy_series > 0) {
            out.set_attr("/", "generator_heavy_series", static_cast<std::int64_t>(req.opt.heavy_series));
            out.set_attr("/", "generator_heavy_factor", req.opt.heavy_factor);
        }
    });
    const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto max_gen = c.allgather(gen_s);
    const auto series_of_ranks = c.allgather(static_cast<std::uint64_t>(batch.size()));
    if (c.is_root()) {
        double g = 0;
        for (auto x : max_gen) g = std::max(g, x);
        const double pts = static_cast<double>(req.opt.series * req.opt.mean_points);
        std::printf("generated %s: %llu series, %.0f points on %d rank%s in %.2f s (generation %.2f s, %.1f M points/s)\n",
                    req.output.c_str(), static_cast<unsigned long long>(req.opt.series), pts, c.size(),
                    c.size() > 1 ? "s" : "", total_s, g, pts / std::max(total_s, 1e-9) / 1e6);
        // How the work was shared (a rank with 0 had nothing: the data is smaller than a chunk
        // per rank, see run.chunk_series in DESIGN §5).
        if (c.size() > 1) {
            std::string shares;
            for (auto n : series_of_ranks) shares += (shares.empty() ? "" : ", ") + std::to_string(n);
            std::printf("series per rank: %s\n", shares.c_str());
        }
    }
    return 0;
}

}  // namespace tsbatch
