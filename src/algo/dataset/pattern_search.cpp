#include "algo/dataset/pattern_search.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "parallel/agreement.hpp"

namespace tsbatch {

std::vector<pattern_match> pattern_search(const comm& c, std::span<const series_view> local_series,
                                          std::uint64_t first_row, std::span<const double> pattern,
                                          const pattern_params& p, pattern_search_stats* stats) {
    check_pattern_params(pattern, p);  // the same on every rank: every rank throws alike
    const std::size_t m = pattern.size();
    std::vector<pattern_candidate> local;
    std::int64_t longest = 0;
    agreed_phase(c, [&] {
        for (const auto& s : local_series) longest = std::max(longest, static_cast<std::int64_t>(s.size()));
        local = local_pattern_candidates(local_series, first_row, pattern, p, stats);
    });
    const std::int64_t global_longest = c.max(longest);
    if (global_longest < static_cast<std::int64_t>(m))
        throw input_error("pattern_search: the pattern has " + std::to_string(m) +
                          " points but the longest series has " + std::to_string(global_longest) +
                          ": a pattern must fit in at least one series");
    // Every rank's sorted top-k; the k smallest of their union is the answer (header).
    std::vector<pattern_candidate> all = c.allgatherv(std::span<const pattern_candidate>(local));
    std::sort(all.begin(), all.end(), candidate_before);
    if (all.size() > p.top_k) all.resize(p.top_k);
    std::vector<pattern_match> out;
    out.reserve(all.size());
    for (const auto& a : all) out.push_back(to_match(a));
    return out;
}

}  // namespace tsbatch
