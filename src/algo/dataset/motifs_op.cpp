// The dataset-wide `motifs` operator: the kernel (motifs.hpp) finds groups of similar windows
// across series; this file reads the parameters and writes the groups as one table on rank 0,
// a row per window (the centre first, then its members in series order).
#include <string>
#include <vector>

#include "algo/dataset/dataset_support.hpp"
#include "algo/dataset/motifs.hpp"
#include "algo/operator.hpp"
#include "algo/param_fields.hpp"

namespace tsbatch {
namespace {

class motifs_op final : public dataset_operator {
public:
    explicit motifs_op(motif_params p) : p_(p) {}

    std::vector<column_spec> columns(std::size_t) const override {
        return {{"group", column_type::int64, "", "1 = the group of most series"},
                {"role", column_type::string, "", "centre or member"},
                {"series_count", column_type::int64, "", "series in the group, centre included"},
                {"start", column_type::int64, "", "index of the window's first point in its series"},
                {"start_time", column_type::int64, unit_epoch_ms, "time of the window's first point"},
                {"end_time", column_type::int64, unit_epoch_ms, "time of the window's last point"},
                {"distance", column_type::float64, "", "z-normalised Euclidean distance to the centre (0 for it)"}};
    }

    void apply(const dataset_input& in, const comm& c, dataset_outputs& out) const override {
        const series_batch& batch = *in.series;
        const auto result = find_motifs(c, views_of(batch), in.first_row, p_);
        std::vector<std::uint64_t> rows;
        for (const auto& g : result.groups) {
            rows.push_back(g.centre.series_row);
            for (const auto& m : g.members) rows.push_back(m.series_row);
        }
        auto identities = identities_of_rows(c, batch.meta, in.first_row, rows);
        if (!c.is_root() || rows.empty()) return;
        auto& table = out.table(0);
        std::size_t k = 0;
        for (std::size_t g = 0; g < result.groups.size(); ++g) {
            const auto& grp = result.groups[g];
            const auto add = [&](const char* role, std::uint64_t start, std::int64_t t0, std::int64_t t1, double d) {
                table.meta.push_back(std::move(identities[k++]));
                row_sink row(table);
                row.set(0, static_cast<std::int64_t>(g + 1));
                row.set(1, std::string(role));
                row.set(2, static_cast<std::int64_t>(grp.series_count()));
                row.set(3, static_cast<std::int64_t>(start));
                row.set(4, t0);
                row.set(5, t1);
                row.set(6, d);
            };
            add("centre", grp.centre.start, grp.centre.start_time, grp.centre.end_time, 0.0);
            for (const auto& m : grp.members) add("member", m.start, m.start_time, m.end_time, m.distance);
        }
    }

private:
    motif_params p_;
};

const param_fields<motif_params>& motif_fields() {
    using P = motif_params;
    static const param_fields<P> fields =
        param_fields<P>()
            .integer("window", &P::window, "window length in points")
            .required()
            .min(min_motif_window)
            .max(max_motif_window)
            .integer("top_k", &P::top_k, "groups reported")
            .min(1)
            .number("radius", &P::radius,
                    "members lie within radius * sqrt(window) of the centre (0.2: correlation >= 0.98)")
            .above(0)
            .max(2)
            .integer("step", &P::step, "points between window starts")
            .min(1)
            .integer("segments", &P::segments, "PAA segments of the SAX word")
            .min(1)
            .max(max_motif_segments)
            .integer("alphabet", &P::alphabet, "SAX letters")
            .min(2)
            .max(max_motif_alphabet)
            .integer("probes", &P::probes, "uncertain segments whose neighbouring letters are probed too")
            .min(0)
            .max(max_motif_probes)
            .integer("max_bucket", &P::max_bucket, "windows compared together at most (larger buckets are split)")
            .min(2);
    return fields;
}

}  // namespace

operator_def make_motifs_def() {
    operator_def d;
    d.name = "motifs";
    d.summary =
        "dataset-wide: groups of similar windows seen in different series (SAX buckets with probing, exact "
        "z-normalised distances), the groups of most series first";
    d.params = motif_fields().specs();
    d.outputs = {{"", data_kind::table, "one row per window of each group: the centre, then its members"}};
    d.dataset_wide = true;
    d.cost = {0.0, 0.0};
    d.bind = [](const param_values& v) {
        const motif_params p = motif_fields().read(v);
        check_motif_params(p);
        bound_operator b;
        b.dataset = std::make_unique<motifs_op>(p);
        return b;
    };
    return d;
}

}  // namespace tsbatch
