// `cut_by_reference`: cuts the series of a group to the intervals where the group's
// reference series meets a condition (IKATS's "cut by metric", without its eval()).
//
// Contract (tests/unit/algo/series/test_cut_by_reference.cpp):
// - Series are grouped by the value of the tag `group_by`. The run orders its series by that
//   value (storage order within a group) and keeps each group whole on one rank, so the
//   reference's runs are never split at a chunk or rank boundary.
// - In each group exactly one series matches `reference` (a selector: `metric_glob`,
//   `metric_glob{tag=glob,...}` or `{tag=glob,...}`). None or several is an error of that
//   group: with run.on_series_error: skip its series are listed in /_run_skipped and left out
//   of every output; with fail the run stops (exit 3) naming the group. A series without the
//   group_by tag belongs to no group and is an error the same way.
// - `condition` is evaluated on the reference's values (cut_y's grammar; NaN never holds).
//   The maximal runs of consecutive reference points where it holds become closed intervals
//   [first time, last time] of the run ("ends included"); a one-point run is [t, t].
// - Output: every other series of the group, in run order, keeping exactly its points whose
//   timestamp lies in one of the intervals (NaN values too: the cut selects by time). A
//   series with no point inside stays as an empty series; the reference itself is not output.
//
// Cost: one pass over the reference (condition) and one merge-like pass over each member.
#include "algo/series/cut_by_reference.hpp"

#include <algorithm>
#include <stdexcept>

#include "algo/operator.hpp"
#include "algo/param_fields.hpp"
#include "algo/series/cut_y.hpp"
#include "core/glob.hpp"
#include "core/tags.hpp"

namespace tsbatch {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

class cut_by_reference_op final : public group_operator {
public:
    cut_by_reference_op(std::string reference_text, series_selector reference, std::string tag, condition cond)
        : reference_text_(std::move(reference_text)),
          reference_(std::move(reference)),
          tag_(std::move(tag)),
          cond_(std::move(cond)) {}

    const std::string& group_tag() const override { return tag_; }

    void apply(std::span<const group_member> group, series_batch& out) const override {
        if (!tag_value(group.front().meta->tags, tag_))
            throw group_error("the series has no tag '" + tag_ + "', so it belongs to no group");
        const group_member* ref = nullptr;
        std::string matched;
        std::size_t n_matched = 0;
        for (const auto& m : group)
            if (reference_.matches(m.meta->metric, m.meta->tags)) {
                ref = &m;
                matched += (n_matched++ ? ", '" : "'") + m.meta->id + "'";
            }
        if (n_matched == 0)
            throw group_error("no series matches the reference '" + reference_text_ + "' (" +
                              std::to_string(group.size()) + " series in the group)");
        if (n_matched > 1)
            throw group_error(std::to_string(n_matched) + " series match the reference '" + reference_text_ +
                              "': " + matched + "; exactly one is needed");
        const auto runs = condition_runs(ref->data, cond_);
        for (const auto& m : group) {
            if (&m == ref) continue;
            auto sink = out.open_series(*m.meta);
            keep_in_intervals(m.data, runs, sink);
            out.close_series();
        }
    }

private:
    std::string reference_text_;
    series_selector reference_;
    std::string tag_;
    condition cond_;
};

}  // namespace

std::vector<time_interval> condition_runs(series_view s, const condition& cond) {
    thread_local std::vector<std::uint8_t> mask;
    mask.resize(s.size());
    cond.evaluate(s.value, mask);
    std::vector<time_interval> runs;
    for (std::size_t i = 0; i < s.size();) {
        if (mask[i] == 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j + 1 < s.size() && mask[j + 1] != 0) ++j;
        runs.push_back({s.time[i], s.time[j]});
        i = j + 1;
    }
    return runs;
}

void keep_in_intervals(series_view s, const std::vector<time_interval>& runs, series_sink& out) {
    // Both are sorted: for each run, the points in it form one block found by binary search.
    auto from = s.time.begin();
    for (const auto& r : runs) {
        const auto first = std::lower_bound(from, s.time.end(), r.first);
        const auto last = std::upper_bound(first, s.time.end(), r.last);
        const auto at = static_cast<std::size_t>(first - s.time.begin());
        const auto k = static_cast<std::size_t>(last - first);
        out.append(s.time.subspan(at, k), s.value.subspan(at, k));
        from = last;
    }
}

series_selector series_selector::parse(std::string_view text) {
    series_selector sel;
    text = trim(text);
    if (text.empty())
        throw std::invalid_argument("is empty; write a metric (glob), metric{tag=value,...} or {tag=value}");
    const auto brace = text.find('{');
    const auto metric = trim(text.substr(0, brace));
    if (!metric.empty()) sel.metric_ = std::string(metric);
    if (brace == std::string_view::npos) {
        if (metric.find('}') != std::string_view::npos) throw std::invalid_argument("has a '}' without a '{'");
        return sel;
    }
    if (text.back() != '}') throw std::invalid_argument("must end with '}' after the tags, as in gw.level{site=BH*}");
    auto body = text.substr(brace + 1, text.size() - brace - 2);
    while (!trim(body).empty()) {
        const auto comma = body.find(',');
        const auto item = trim(body.substr(0, comma));
        const auto eq = item.find('=');
        if (eq == std::string_view::npos || trim(item.substr(0, eq)).empty() || trim(item.substr(eq + 1)).empty())
            throw std::invalid_argument("tag '" + std::string(item) + "' is not of the form key=value");
        const std::string key(trim(item.substr(0, eq)));
        if (sel.tags_.count(key) != 0) throw std::invalid_argument("names tag '" + key + "' twice");
        sel.tags_[key] = std::string(trim(item.substr(eq + 1)));
        if (comma == std::string_view::npos) break;
        body.remove_prefix(comma + 1);
    }
    return sel;
}

bool series_selector::matches(std::string_view metric, std::string_view tags) const {
    return glob_match(metric_, metric) && tags_match(tags, tags_);
}

namespace {

// The parameters as written; bind() parses the selector and the condition.
struct cut_by_reference_settings {
    std::string reference;
    std::string group_by;
    std::string condition;

    static const param_fields<cut_by_reference_settings>& fields();
};

const param_fields<cut_by_reference_settings>& cut_by_reference_settings::fields() {
    using P = cut_by_reference_settings;
    static const auto fields =
        param_fields<P>()
            .string("reference", &P::reference,
                    "selects the reference series of a group: metric glob, metric{tag=glob,...} or {tag=glob,...}")
            .required()
            .string("group_by", &P::group_by,
                    "tag whose value groups the series (each group needs exactly one reference)")
            .required()
            .string("condition", &P::condition,
                    "expression over the reference's values y (as cut_y); its maximal runs, ends included, are kept")
            .required();
    return fields;
}

}  // namespace

operator_def make_cut_by_reference_def() {
    operator_def d = describe_operator<cut_by_reference_settings>(
        "cut_by_reference",
        "cut the series of each group to the intervals where the group's reference meets a condition",
        {.per_point = 1.5, .per_series = 80.0});
    d.bind = [](const param_values& v) {
        const cut_by_reference_settings given = cut_by_reference_settings::fields().read(v);
        const std::string& ref = given.reference;
        series_selector sel;
        try {
            sel = series_selector::parse(ref);
        } catch (const std::invalid_argument& e) {
            throw param_error("reference", "'" + ref + "' " + e.what());
        }
        const std::string tag(trim(given.group_by));
        if (tag.empty() || tag.find_first_of("=,{} ") != std::string::npos)
            throw param_error("group_by", "must be a tag name, got '" + given.group_by + "'");
        bound_operator b;
        b.group = std::make_unique<cut_by_reference_op>(ref, std::move(sel), tag,
                                                        parse_condition_param(given.condition, "condition"));
        return b;
    };
    return d;
}

}  // namespace tsbatch
