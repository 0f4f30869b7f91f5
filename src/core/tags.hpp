#pragma once
// Canonical tag strings (DESIGN §3): "k1=v1,k2=v2", sorted by key, "" when none.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tsbatch {

/// Splits canonical tags "k1=v1,k2=v2" ("" = none) into pairs, each at its first '='. A part
/// without '=' gives an empty value, and a trailing ',' an empty last pair, so that a caller
/// checking names sees them.
std::vector<std::pair<std::string_view, std::string_view>> split_tags(std::string_view canonical);

/// The value of tag `key` in canonical tags "k1=v1,k2=v2", or nullopt when the key is absent.
std::optional<std::string_view> tag_value(std::string_view tags, std::string_view key);

/// Whether canonical tags "k1=v1,k2=v2" have every key of `want` with a value matching its glob.
bool tags_match(std::string_view tags, const std::map<std::string, std::string>& want);

}  // namespace tsbatch
