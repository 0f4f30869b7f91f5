#include "core/tags.hpp"

#include "core/glob.hpp"

namespace tsbatch {

std::optional<std::string_view> tag_value(std::string_view tags, std::string_view key) {
    std::size_t pos = 0;
    while (pos < tags.size()) {
        auto comma = tags.find(',', pos);
        if (comma == std::string_view::npos) comma = tags.size();
        const auto item = tags.substr(pos, comma - pos);
        const auto eq = item.find('=');
        if (eq != std::string_view::npos && item.substr(0, eq) == key) return item.substr(eq + 1);
        pos = comma + 1;
    }
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
