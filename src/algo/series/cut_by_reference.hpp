#pragma once
// `cut_by_reference`: in each group of series (same value of the `group_by` tag), the
// intervals where the group's reference series meets a condition cut the other series.
// See cut_by_reference.cpp for the exact contract.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "algo/condition/condition.hpp"
#include "core/series.hpp"

namespace tsbatch {

/// A closed time interval [first, last] in ms.
struct time_interval {
    std::int64_t first = 0;
    std::int64_t last = 0;
    friend bool operator==(const time_interval&, const time_interval&) = default;
};

/// The maximal runs of consecutive points of `s` where `cond` holds, as closed intervals
/// from the run's first to its last timestamp (a run of one point is [t, t]).
std::vector<time_interval> condition_runs(series_view s, const condition& cond);

/// Writes the points of `s` whose time lies in one of `runs` (sorted, disjoint) to `out`.
void keep_in_intervals(series_view s, const std::vector<time_interval>& runs, series_sink& out);

/// Which series is a group's reference: `metric_glob`, `metric_glob{tag=glob,...}` or
/// `{tag=glob,...}` (any metric), matched against a series' metric and canonical tags.
class series_selector {
public:
    /// Throws std::invalid_argument with a message that says what is wrong.
    static series_selector parse(std::string_view text);
    bool matches(std::string_view metric, std::string_view tags) const;

private:
    std::string metric_ = "*";
    std::map<std::string, std::string> tags_;
};

}  // namespace tsbatch
