#include "pipeline/selection.hpp"

#include "core/glob.hpp"

namespace tsbatch {

bool tags_match(std::string_view tags, const std::map<std::string, std::string>& want) {
    for (const auto& [key, pattern] : want) {
        bool found = false;
        std::size_t pos = 0;
        while (pos <= tags.size()) {
            auto comma = tags.find(',', pos);
            if (comma == std::string_view::npos) comma = tags.size();
            const auto item = tags.substr(pos, comma - pos);
            const auto eq = item.find('=');
            if (eq != std::string_view::npos && item.substr(0, eq) == key) {
                found = glob_match(pattern, item.substr(eq + 1));
                break;
            }
            pos = comma + 1;
        }
        if (!found) return false;
    }
    return true;
}

std::vector<std::uint64_t> select_rows(const std::vector<std::string>& metrics, const std::vector<std::string>& tags,
                                       const select_config& sel) {
    std::vector<std::uint64_t> rows;
    for (std::size_t i = 0; i < metrics.size(); ++i)
        if ((sel.metric.empty() || glob_match(sel.metric, metrics[i])) && tags_match(tags[i], sel.tags))
            rows.push_back(i);
    return rows;
}

}  // namespace tsbatch
