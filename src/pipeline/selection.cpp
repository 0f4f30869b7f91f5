#include "pipeline/selection.hpp"

#include "core/glob.hpp"

namespace tsbatch {

std::vector<std::uint64_t> select_rows(const std::vector<std::string>& metrics, const std::vector<std::string>& tags,
                                       const select_config& sel) {
    std::vector<std::uint64_t> rows;
    for (std::size_t i = 0; i < metrics.size(); ++i)
        if ((sel.metric.empty() || glob_match(sel.metric, metrics[i])) && tags_match(tags[i], sel.tags))
            rows.push_back(i);
    return rows;
}

}  // namespace tsbatch
