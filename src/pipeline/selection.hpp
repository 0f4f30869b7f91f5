#pragma once
// input.select (DESIGN §5): which series of the input collection a run reads, decided from
// their metric and canonical tags only, so every rank computes the same list.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/tags.hpp"
#include "pipeline/config.hpp"

namespace tsbatch {

/// Rows (ascending) whose metric matches `sel.metric` (any when empty) and whose tags match
/// `sel.tags`. `metrics` and `tags` hold one entry per row of the collection.
std::vector<std::uint64_t> select_rows(const std::vector<std::string>& metrics, const std::vector<std::string>& tags,
                                       const select_config& sel);

}  // namespace tsbatch
