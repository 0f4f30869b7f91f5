// `discretize`: one table row per series, columns `{agg}_b{n}` (for each aggregation in the
// order given, buckets n = 1..B).
//
// Contract (tests/fixtures/make_operator_fixtures.py is an independent numpy reference):
// - Buckets have equal duration over [start, end] (first and last timestamps): bucket n is
//   [start + (n-1)*D/B, start + n*D/B) in exact arithmetic, D = end - start, the last bucket
//   closed at end. IKATS rounded the duration up to ceil(D/B) ms and closed buckets on the
//   right, so its last buckets could be short or empty; here every point lands in the bucket
//   its exact position says. A one-point series puts its point in bucket 1.
// - Aggregations over the non-NaN values of the bucket: min, max, mean, std (population,
//   ddof 0, as IKATS). An empty bucket (or one with only NaN) is NaN in every column, and an
//   empty series gives a row of NaN. A constant bucket has mean exactly that value, std 0.
// - `aggregations` is a comma-separated list of distinct names from {min, max, mean, std}
//   (spaces around names are ignored); an empty list, an unknown or a repeated name is a
//   param_error naming `aggregations`.
//
// Speed: one pass over the values. Bucket boundaries come from paa's duration_segmenter
// (galloping search, no per-point division); each bucket is reduced by the cheapest shared
// kernel that gives what the aggregations need: the NaN-skipping sum for mean alone, the
// range kernel for min/max alone, otherwise quality_stats' one-pass blocked moments (accurate
// std without a second pass).
#include "algo/series/discretize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "algo/operator.hpp"
#include "algo/series/paa.hpp"
#include "algo/series/quality_stats.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

// In enum order.
constexpr const char* aggregation_names[] = {"min", "max", "mean", "std"};

const char* name_of(discretize_aggregation a) {
    return aggregation_names[static_cast<int>(a)];
}

class discretize_op final : public table_operator {
public:
    explicit discretize_op(discretize_params p) : p_(std::move(p)), columns_(discretize_columns(p_)) {}
    const std::vector<column_spec>& columns() const override { return columns_; }
    void apply(series_view in, row_sink& row) const override {
        std::vector<double> out(columns_.size());
        discretize(in, p_, out);
        for (std::size_t k = 0; k < out.size(); ++k) row.set(k, out[k]);
    }

private:
    discretize_params p_;
    std::vector<column_spec> columns_;
};

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t");
    return s.substr(first, last - first + 1);
}

struct bucket_stats {
    double min = nan_v;
    double max = nan_v;
    double mean = nan_v;
    double std = nan_v;
};

}  // namespace

std::vector<discretize_aggregation> parse_discretize_aggregations(std::string_view text) {
    std::vector<discretize_aggregation> out;
    if (trim(text).empty()) throw param_error("aggregations", "must list at least one of {min, max, mean, std}");
    std::size_t pos = 0;
    while (true) {
        const std::size_t comma = text.find(',', pos);
        const std::string_view name = trim(text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos));
        bool found = false;
        for (std::size_t k = 0; k < std::size(aggregation_names); ++k) {
            if (name == aggregation_names[k]) {
                const auto a = static_cast<discretize_aggregation>(k);
                if (std::find(out.begin(), out.end(), a) != out.end())
                    throw param_error("aggregations", "lists '" + std::string(name) + "' twice");
                out.push_back(a);
                found = true;
            }
        }
        if (!found)
            throw param_error("aggregations", "must be a comma-separated list of {min, max, mean, std}, got '" +
                                                  std::string(name) + "' in '" + std::string(text) + "'");
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return out;
}

void check_discretize_params(const discretize_params& p) {
    if (p.buckets < 1 || p.buckets > max_paa_segments)
        throw param_error("buckets",
                          "must be in [1, " + std::to_string(max_paa_segments) + "], got " + std::to_string(p.buckets));
    if (p.aggregations.empty()) throw param_error("aggregations", "must list at least one of {min, max, mean, std}");
    for (std::size_t i = 0; i < p.aggregations.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (p.aggregations[i] == p.aggregations[j])
                throw param_error("aggregations", std::string("lists '") + name_of(p.aggregations[i]) + "' twice");
}

const param_fields<discretize_params>& discretize_params::fields() {
    using P = discretize_params;
    static const auto fields =
        param_fields<P>(check_discretize_params)
            .integer("buckets", &P::buckets, "number of equal-duration buckets")
            .required()
            .min(1)
            .max(max_paa_segments)
            .custom(param_type::string, "aggregations",
                    "comma-separated list of {min, max, mean, std} (std: population); columns in this order",
                    [](P& p, const param_value& v) {
                        p.aggregations = parse_discretize_aggregations(std::get<std::string>(v));
                    })
            .defaults_to(std::string("mean"));
    return fields;
}

std::vector<column_spec> discretize_columns(const discretize_params& p) {
    std::vector<column_spec> cols;
    cols.reserve(p.aggregations.size() * static_cast<std::size_t>(p.buckets));
    for (const auto a : p.aggregations) {
        const std::string agg = name_of(a);
        const std::string what = a == discretize_aggregation::std ? "population std" : agg;
        for (std::int64_t n = 1; n <= p.buckets; ++n)
            cols.push_back({agg + "_b" + std::to_string(n), column_type::float64, "",
                            what + " of the non-NaN values of bucket " + std::to_string(n) + " (NaN when empty)"});
    }
    return cols;
}

void discretize(series_view in, const discretize_params& p, std::span<double> out) {
    check_discretize_params(p);
    const auto nb = static_cast<std::size_t>(p.buckets);
    bool need_min = false;
    bool need_max = false;
    bool need_mean = false;
    bool need_std = false;
    for (const auto a : p.aggregations) {
        need_min |= a == discretize_aggregation::min;
        need_max |= a == discretize_aggregation::max;
        need_mean |= a == discretize_aggregation::mean;
        need_std |= a == discretize_aggregation::std;
    }
    const bool need_range = need_min || need_max;
    duration_segmenter seg(in.time, nb);
    std::size_t begin = 0;
    for (std::size_t n = 0; n < nb; ++n) {
        const std::size_t end = seg.next_end();
        const auto v = in.value.subspan(begin, end - begin);
        begin = end;
        bucket_stats b;
        if (need_std || (need_mean && need_range)) {
            const value_moments m = compute_value_moments(v);
            b.min = m.min;
            b.max = m.max;
            b.mean = m.mean;
            b.std = std::sqrt(m.variance(0));
        } else if (need_mean) {
            const non_nan_sum s = sum_non_nan(v);
            b.mean = s.count > 0.0 ? s.sum / s.count : nan_v;
        } else {
            const value_range r = compute_value_range(v);
            b.min = r.min;
            b.max = r.max;
        }
        for (std::size_t a = 0; a < p.aggregations.size(); ++a) {
            double x = nan_v;
            switch (p.aggregations[a]) {
                case discretize_aggregation::min:
                    x = b.min;
                    break;
                case discretize_aggregation::max:
                    x = b.max;
                    break;
                case discretize_aggregation::mean:
                    x = b.mean;
                    break;
                case discretize_aggregation::std:
                    x = b.std;
                    break;
            }
            out[a * nb + n] = x;
        }
    }
}

operator_def make_discretize_def() {
    // One streaming pass over the values; bucket boundaries by search on the timestamps.
    operator_def d = describe_operator<discretize_params>(
        "discretize",
        "aggregations of equal-duration buckets over [start, end]: one row per series, columns {agg}_b{n}",
        {1.2, 50.0});
    d.outputs = {{"", data_kind::table, ""}};
    d.bind = bind_from_fields<discretize_params, discretize_op, &bound_operator::table>;
    return d;
}

}  // namespace tsbatch
