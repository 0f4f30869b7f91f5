// The dataset-wide `pattern_search` operator: the kernel (pattern_search.hpp) searches every
// series of the run; this file reads the parameters, finds the pattern (inline values, or a
// stretch of a series of the run, wherever it lives) and writes the global matches as a
// table on rank 0.
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "algo/dataset/dataset_support.hpp"
#include "algo/dataset/pattern_search.hpp"
#include "algo/operator.hpp"
#include "algo/param_fields.hpp"
#include "core/error.hpp"
#include "core/time.hpp"

namespace tsbatch {
namespace {

struct pattern_settings {
    std::string pattern;  ///< numbers separated by commas, or a series id
    std::optional<std::int64_t> from, to;
    pattern_params p;                       ///< p.exclusion is replaced by `exclusion` or its default
    std::optional<std::int64_t> exclusion;  ///< absent: default_exclusion(m)

    static const param_fields<pattern_settings>& fields();
};

// "1.5, 2, -3" as numbers; nullopt when any item is not a number (then it names a series).
std::optional<std::vector<double>> inline_values(const std::string& text) {
    std::vector<double> v;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
        if (b == std::string::npos) return std::nullopt;
        const std::string s = item.substr(b, e - b + 1);
        char* end = nullptr;
        const double x = std::strtod(s.c_str(), &end);
        if (end != s.c_str() + s.size()) return std::nullopt;
        v.push_back(x);
    }
    if (v.empty()) return std::nullopt;
    return v;
}

class pattern_search_op final : public dataset_operator {
public:
    explicit pattern_search_op(pattern_settings s) : s_(std::move(s)) {}

    std::vector<column_spec> columns(std::size_t) const override {
        return {{"rank", column_type::int64, "", "1 = the closest match"},
                {"start", column_type::int64, "", "index of the window's first point in its series"},
                {"start_time", column_type::int64, unit_epoch_ms, "time of the window's first point"},
                {"end_time", column_type::int64, unit_epoch_ms, "time of the window's last point"},
                {"distance", column_type::float64, "", "z-normalised Euclidean or DTW distance to the pattern"}};
    }

    void apply(const dataset_input& in, const comm& c, dataset_outputs& out) const override {
        const series_batch& batch = *in.series;
        const auto local = views_of(batch);
        const std::vector<double> pattern = find_pattern(batch, c);
        pattern_params p = s_.p;
        p.exclusion = s_.exclusion ? static_cast<std::size_t>(*s_.exclusion) : default_exclusion(pattern.size());
        const auto matches = pattern_search(c, local, in.first_row, pattern, p);

        std::vector<std::uint64_t> rows;
        for (const auto& m : matches) rows.push_back(m.series_row);
        auto identities = identities_of_rows(c, batch.meta, in.first_row, rows);
        if (!c.is_root()) return;
        auto& table = out.table(0);
        for (std::size_t k = 0; k < matches.size(); ++k) {
            table.meta.push_back(std::move(identities[k]));
            row_sink row(table);
            row.set(0, static_cast<std::int64_t>(k + 1));
            row.set(1, static_cast<std::int64_t>(matches[k].start));
            row.set(2, matches[k].start_time);
            row.set(3, matches[k].end_time);
            row.set(4, matches[k].distance);
        }
    }

private:
    // The pattern's values on every rank: inline numbers, or the points of the series whose id
    // is `pattern` (within [from, to) when given), sent by the rank that holds it.
    std::vector<double> find_pattern(const series_batch& batch, const comm& c) const {
        if (auto v = inline_values(s_.pattern)) return *v;
        std::vector<double> mine;
        std::uint64_t held = 0;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (batch.meta[i].id != s_.pattern) continue;
            ++held;
            const auto s = batch.series(i);
            for (std::size_t k = 0; k < s.size(); ++k)
                if ((!s_.from || s.time[k] >= *s_.from) && (!s_.to || s.time[k] < *s_.to)) mine.push_back(s.value[k]);
        }
        if (c.sum(held) == 0)
            throw param_error(
                "pattern",
                "'" + s_.pattern + "' is neither a list of numbers nor the id of a series of the step's input");
        const auto all = c.allgatherv(std::span<const double>(mine));
        if (all.size() < 2)
            throw param_error("pattern",
                              "series '" + s_.pattern + "' has " + std::to_string(all.size()) +
                                  " points in the range given by pattern_from/pattern_to; a pattern needs 2 or more");
        return all;
    }

    pattern_settings s_;
};

const param_fields<pattern_settings>& pattern_settings::fields() {
    using P = pattern_settings;
    // An inline pattern is checked before any data is read; a series id only once found.
    static const auto fields =
        param_fields<P>([](const P& s) {
            if (auto values = inline_values(s.pattern)) check_pattern_params(*values, s.p);
        })
            .string("pattern", &P::pattern,
                    "the pattern: numbers separated by commas, or the id of a series of the input")
            .required()
            .timestamp("pattern_from", &P::from, "with a series id as pattern: its first point at or after this time")
            .derived("its first point")
            .timestamp("pattern_to", &P::to, "with a series id as pattern: its points before this time")
            .derived("its last point")
            .choice(
                "distance", [](P& s) -> auto& { return s.p.distance; }, pattern_distance_names,
                "euclidean_znorm (MASS) or dtw (Sakoe-Chiba band)")
            .number(
                "band", [](P& s) -> auto& { return s.p.band; },
                "dtw: band half-width as a fraction of the pattern length")
            .min(0)
            .max(1)
            .integer(
                "top_k", [](P& s) -> auto& { return s.p.top_k; }, "matches reported")
            .min(1)
            .integer("exclusion", &P::exclusion,
                     "matches of one series closer than this many points to a better one are dropped")
            .derived("ceil(m/2)")
            .min(0);
    return fields;
}

}  // namespace

operator_def make_pattern_search_def() {
    operator_def d = describe_dataset_operator<pattern_settings>(
        "pattern_search",
        "dataset-wide: the windows of every series most similar to a pattern (z-normalised Euclidean by MASS, "
        "or DTW with LB_Keogh pruning), as a global top-k");
    d.outputs = {{"", data_kind::table, "the matches, best first: series, start, end and distance"}};
    d.bind = bind_from_fields<pattern_settings, pattern_search_op, &bound_operator::dataset>;
    return d;
}

}  // namespace tsbatch
