// `cut`: keeps the points of one time range.
//
// Contract (tests/fixtures/make_operator_fixtures.py is an independent numpy reference):
// - At most one of `to` and `nb_points` is given, and to > from (bind throws param_error
//   otherwise, naming the parameter).
// - With to: the points with from <= t < to (half-open, so consecutive cuts never share a
//   point; IKATS kept both ends). With nb_points: the first nb_points points with t >= from,
//   fewer when the series ends first (IKATS warned; here it is normal). With neither: every
//   point with t >= from ("from 1980 onwards").
// - Points are kept as they are, NaN values included: cut selects by time, not by value.
// - A series with no point in the range gives an empty series, which is written like any
//   other (IKATS silently dropped it from the output).
// - from / to are timestamps (ISO 8601, UTC without a zone, or epoch ms); any int64 is valid,
//   before 1970 included.
//
// Speed: timestamps are sorted, so the range is found by binary search (O(log N)) and the
// kept points are appended in one block (series_sink::append); points outside the range are
// never touched.
#include "algo/series/cut.hpp"

#include <algorithm>
#include <string>

#include "algo/operator.hpp"

namespace tsbatch {
void check_cut_params(const cut_params& p) {
    if (p.to && p.nb_points)
        throw param_error("nb_points", "cannot be given together with to: give at most one of to and nb_points");
    if (p.to && *p.to <= p.from)
        throw param_error(
            "to", "must be after from (" + format_timestamp_param(p.from) + "), got " + format_timestamp_param(*p.to));
    if (p.nb_points && *p.nb_points < 1)
        throw param_error("nb_points", "must be >= 1, got " + std::to_string(*p.nb_points));
}

const param_fields<cut_params>& cut_params::fields() {
    using P = cut_params;
    static const auto fields =
        param_fields<P>(check_cut_params)
            .timestamp("from", &P::from, "first instant kept (inclusive); ISO 8601, UTC without a zone, or epoch ms")
            .required()
            .timestamp("to", &P::to,
                       "end of the range (exclusive), after from; give at most one of to and nb_points (neither: "
                       "to the end of the series)")
            .derived("end of the series (or nb_points)")
            .integer("nb_points", &P::nb_points,
                     "number of points kept from `from` on (fewer where the series ends); instead of to")
            .derived("none (or to)")
            .min(1);
    return fields;
}

cut_range cut_indices(std::span<const std::int64_t> time, const cut_params& p) {
    check_cut_params(p);
    const auto begin = time.begin();
    const auto first = std::lower_bound(begin, time.end(), p.from);
    auto last = first;
    if (p.to) {
        last = std::lower_bound(first, time.end(), *p.to);
    } else if (!p.nb_points) {
        last = time.end();
    } else {
        const auto left = static_cast<std::uint64_t>(time.end() - first);
        last = first + static_cast<std::ptrdiff_t>(std::min(left, static_cast<std::uint64_t>(*p.nb_points)));
    }
    return {static_cast<std::size_t>(first - begin), static_cast<std::size_t>(last - begin)};
}

void cut(series_view in, const cut_params& p, series_sink& out) {
    const cut_range r = cut_indices(in.time, p);
    const std::size_t k = r.last - r.first;
    out.append(in.time.subspan(r.first, k), in.value.subspan(r.first, k));
}

operator_def make_cut_def() {
    // A binary search and one block copy of the kept points: at most a cheap pass over the
    // input, usually much less.
    return series_function_def<cut_params, cut>(
        "cut",
        "keep the points in [from, to), the first nb_points at or after from, or all from `from` on "
        "(empty results are kept)",
        {0.5, 10.0});
}

}  // namespace tsbatch
