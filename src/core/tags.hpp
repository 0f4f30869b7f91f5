#pragma once
// Canonical tag strings (DESIGN §3): "k1=v1,k2=v2", sorted by key, "" when none.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tsbatch {

/// The value of tag `key` in canonical tags "k1=v1,k2=v2", or nullopt when the key is absent.
std::optional<std::string_view> tag_value(std::string_view tags, std::string_view key);

/// Whether canonical tags "k1=v1,k2=v2" have every key of `want` with a value matching its glob.
bool tags_match(std::string_view tags, const std::map<std::string, std::string>& want);

}  // namespace tsbatch
