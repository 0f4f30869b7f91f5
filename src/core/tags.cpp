#include "core/tags.hpp"

#include "core/glob.hpp"

namespace tsbatch {

std::vector<std::pair<std::string_view, std::string_view>> split_tags(std::string_view canonical) {
    std::vector<std::pair<std::string_view, std::string_view>> pairs;
    std::size_t pos = 0;
    while (pos < canonical.size()) {
        auto comma = canonical.find(',', pos);
        if (comma == std::string_view::npos) comma = canonical.size();
        const auto item = canonical.substr(pos, comma - pos);
        const auto eq = item.find('=');
        if (eq == std::string_view::npos)
            pairs.emplace_back(item, std::string_view{});
        else
            pairs.emplace_back(item.substr(0, eq), item.substr(eq + 1));
        pos = comma + 1;
    }
    // "a=1," has an empty last part: keep it so that check_series reports it.
    if (!canonical.empty() && canonical.back() == ',') pairs.emplace_back(std::string_view{}, std::string_view{});
    return pairs;
}

std::optional<std::string_view> tag_value(std::string_view tags, std::string_view key) {
    for (const auto& [k, v] : split_tags(tags))
        if (k == key) return v;
    return std::nullopt;
}

bool tags_match(std::string_view tags, const std::map<std::string, std::string>& want) {
    for (const auto& [key, pattern] : want) {
        const auto value = tag_value(tags, key);
        if (!value || !glob_match(pattern, *value)) return false;
    }
    return true;
}

}  // namespace tsbatch
