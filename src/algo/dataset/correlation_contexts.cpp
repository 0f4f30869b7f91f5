// `correlation` with `group_by` (IKATS's correlation loop, aligned on timestamps by default):
// the series are grouped into contexts by the value of a tag (a flight, a well, a batch) and
// the variables of a context are its series' metrics. Each context gets its own
// variables x variables matrix, and every pair of variables gets the mean and variance of its
// r across the contexts where that r is a number.
//
// - A series without the tag belongs to no context and is left out (counted in the attr
//   series_without_context). No series with the tag at all is a parameter error.
// - Two series with one metric in one context is an input error naming both.
// - Contexts and variables are numbered in sorted order (byte order of their names). The
//   matrices r and overlap (best_r and lag with max_lag) stack the contexts: the row of
//   variable a in context k is k * V + a, the column of variable b is b. A variable absent
//   from a context leaves its row and column of that context NaN (overlap 0).
// - r_mean, r_variance (population, like numpy.nanvar) and r_contexts are V x V.
//
// Distribution: every rank learns every series' (context, variable, points) by one gather of
// the names; the contexts are cut into consecutive ranges of about equal cost, one per rank,
// and each series is sent once to its context's rank, which computes the context's matrix
// with the same tile engine as the N x N case. Memory per rank: its share of the data, plus
// O(V^2) for the statistics and O(N) names.
//
// Rank-count independence: a pair's r depends only on its two series. The sums behind r_mean
// and r_variance are exact: each r (and r^2, as the exact sum of two doubles) is added in
// fixed point with 100 fractional bits in 128-bit integers, whose sums do not depend on their
// order; rounding happens once, at the end.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "algo/dataset/correlation_op.hpp"
#include "algo/dataset/dataset_support.hpp"
#include "algo/params.hpp"
#include "core/error.hpp"
#include "core/tags.hpp"

namespace tsbatch {
namespace {

__extension__ using fixed128 = __int128;

constexpr int fraction_bits = 100;

// x * 2^100 truncated to an integer: exact for |x| >= 2^-47, off by less than 2^-100 below.
// |x| <= 4 leaves 2^24 contexts of headroom in the sums.
fixed128 to_fixed(double x) {
    return static_cast<fixed128>(std::ldexp(x, fraction_bits));
}

long double from_fixed(fixed128 v) {
    return std::ldexp(static_cast<long double>(v), -fraction_bits);
}

// Where each series of the run belongs, the same on every rank.
struct context_map {
    std::vector<std::string> contexts, variables;  // sorted
    /// Per global row: its context and variable index, or -1 when it has no context.
    std::vector<std::int64_t> context_of, variable_of;
    std::vector<std::uint64_t> points;  // per global row
    /// Per context: (variable, global row) of its series, by variable.
    std::vector<std::vector<std::pair<std::uint32_t, std::uint64_t>>> members;
    std::uint64_t without_context = 0;
};

context_map map_contexts(const correlation_settings& s, const series_batch& batch, const comm& c) {
    byte_writer w;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto tag = tag_value(batch.meta[i].tags, s.group_by);
        w.pod(static_cast<std::uint8_t>(tag.has_value()));
        w.text(tag ? std::string(*tag) : std::string());
        w.text(batch.meta[i].metric);
        w.text(batch.meta[i].id);
        w.pod(static_cast<std::uint64_t>(batch.count(i)));
    }
    struct row_key {
        bool has_context;
        std::string context, variable, id;
    };
    std::vector<row_key> rows;
    context_map m;
    for (const auto& part : allgather_bytes(c, w.take())) {
        byte_reader r(part);
        while (!r.at_end()) {
            row_key k;
            k.has_context = r.pod<std::uint8_t>() != 0;
            k.context = r.text();
            k.variable = r.text();
            k.id = r.text();
            m.points.push_back(r.pod<std::uint64_t>());
            rows.push_back(std::move(k));
        }
    }
    for (const auto& k : rows)
        if (k.has_context) {
            m.contexts.push_back(k.context);
            m.variables.push_back(k.variable);
        } else {
            ++m.without_context;
        }
    for (auto* names : {&m.contexts, &m.variables}) {
        std::sort(names->begin(), names->end());
        names->erase(std::unique(names->begin(), names->end()), names->end());
    }
    if (m.contexts.empty())
        throw param_error("group_by", "no series of the step's input has the tag '" + s.group_by + "'");
    const auto index_in = [](const std::vector<std::string>& names, const std::string& name) {
        return static_cast<std::int64_t>(std::lower_bound(names.begin(), names.end(), name) - names.begin());
    };
    m.members.resize(m.contexts.size());
    for (std::size_t g = 0; g < rows.size(); ++g) {
        m.context_of.push_back(rows[g].has_context ? index_in(m.contexts, rows[g].context) : -1);
        m.variable_of.push_back(rows[g].has_context ? index_in(m.variables, rows[g].variable) : -1);
        if (rows[g].has_context)
            m.members[static_cast<std::size_t>(m.context_of[g])].emplace_back(
                static_cast<std::uint32_t>(m.variable_of[g]), g);
    }
    for (std::size_t k = 0; k < m.members.size(); ++k) {
        auto& mem = m.members[k];
        std::sort(mem.begin(), mem.end());
        for (std::size_t i = 1; i < mem.size(); ++i)
            if (mem[i].first == mem[i - 1].first)
                throw input_error("correlation: series '" + rows[mem[i - 1].second].id + "' and '" +
                                  rows[mem[i].second].id + "' both have metric '" + m.variables[mem[i].first] +
                                  "' in context " + s.group_by + "=" + m.contexts[k] +
                                  "; group_by needs at most one series per metric in each context");
    }
    return m;
}

// The rank computing each context: consecutive ranges of about equal cost (pairs times
// points, plus the cells written), the same on every rank.
std::vector<int> context_owners(const context_map& m, int ranks) {
    const double V = static_cast<double>(m.variables.size());
    std::vector<double> cost;
    double total = 0;
    for (const auto& mem : m.members) {
        double points = 0;
        for (const auto& [v, row] : mem) points += static_cast<double>(m.points[row]);
        cost.push_back(static_cast<double>(mem.size()) * points + V * V / 8);
        total += cost.back();
    }
    std::vector<int> owner;
    double before = 0;
    for (double x : cost) {
        const double middle = total > 0 ? (before + x / 2) / total : 0;
        owner.push_back(std::min(ranks - 1, static_cast<int>(middle * ranks)));
        before += x;
    }
    return owner;
}

// The series of the contexts this rank computes, by global row: its own ones viewed in place,
// the others received from the ranks holding them.
class routed_series {
public:
    routed_series(const context_map& m, const std::vector<int>& owner, const series_batch& batch,
                  std::uint64_t first_row, const comm& c) {
        std::vector<byte_writer> to(static_cast<std::size_t>(c.size()));
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const std::uint64_t g = first_row + i;
            if (m.context_of[g] < 0) continue;
            const int dest = owner[static_cast<std::size_t>(m.context_of[g])];
            if (dest == c.rank()) {
                local_.emplace(g, batch.series(i));
                continue;
            }
            auto& w = to[static_cast<std::size_t>(dest)];
            w.pod(g);
            w.array(batch.series(i).time);
            w.array(batch.series(i).value);
        }
        std::vector<std::vector<std::byte>> send;
        for (auto& w : to) send.push_back(w.take());
        for (const auto& part : c.alltoallv(std::move(send))) {
            byte_reader r(part);
            while (!r.at_end()) {
                const auto g = r.pod<std::uint64_t>();
                auto& s = received_[g];
                s.time = r.array<std::int64_t>();
                s.value = r.array<double>();
            }
        }
    }

    series_view at(std::uint64_t row) const {
        if (auto it = local_.find(row); it != local_.end()) return it->second;
        const auto& s = received_.at(row);
        return {std::span<const std::int64_t>(s.time), std::span<const double>(s.value)};
    }

private:
    struct owned {
        std::vector<std::int64_t> time;
        std::vector<double> value;
    };
    std::map<std::uint64_t, series_view> local_;
    std::map<std::uint64_t, owned> received_;
};

// Exact sums of r and r^2 over contexts, per (row variable, column variable).
struct context_sums {
    std::size_t V = 0;
    std::vector<fixed128> sum, sum_sq;
    std::vector<std::uint64_t> count;

    explicit context_sums(std::size_t variables) : V(variables), sum(V * V, 0), sum_sq(V * V, 0), count(V * V, 0) {}

    void add(std::size_t a, std::size_t b, double r) {
        const double sq = r * r;
        const double sq_error = std::fma(r, r, -sq);  // r^2 = sq + sq_error exactly
        for (const std::size_t at : {a * V + b, b * V + a}) {
            sum[at] += to_fixed(r);
            sum_sq[at] += to_fixed(sq) + to_fixed(sq_error);
            ++count[at];
            if (a == b) break;
        }
    }
};

// The rows [begin, end) of V rows that rank q finalises.
std::pair<std::size_t, std::size_t> band_of(std::size_t V, int q, int R) {
    return {V * static_cast<std::size_t>(q) / static_cast<std::size_t>(R),
            V * static_cast<std::size_t>(q + 1) / static_cast<std::size_t>(R)};
}

// Collective: adds every rank's sums of the rows each rank finalises (one exchange) and
// writes that band of r_mean, r_variance and r_contexts.
void write_context_statistics(const context_sums& sums, const comm& c, dataset_outputs& out) {
    const std::size_t V = sums.V;
    const int R = c.size();
    std::vector<std::vector<std::byte>> send;
    for (int q = 0; q < R; ++q) {
        const auto [begin, end] = band_of(V, q, R);
        byte_writer w;
        w.array(std::span<const fixed128>(sums.sum).subspan(begin * V, (end - begin) * V));
        w.array(std::span<const fixed128>(sums.sum_sq).subspan(begin * V, (end - begin) * V));
        w.array(std::span<const std::uint64_t>(sums.count).subspan(begin * V, (end - begin) * V));
        send.push_back(w.take());
    }
    const auto [begin, end] = band_of(V, c.rank(), R);
    const std::size_t cells = (end - begin) * V;
    std::vector<fixed128> sum(cells, 0), sum_sq(cells, 0);
    std::vector<std::uint64_t> count(cells, 0);
    for (const auto& part : c.alltoallv(std::move(send))) {
        byte_reader r(part);
        const auto s = r.array<fixed128>(), sq = r.array<fixed128>();
        const auto n = r.array<std::uint64_t>();
        for (std::size_t k = 0; k < cells; ++k) {
            sum[k] += s[k];
            sum_sq[k] += sq[k];
            count[k] += n[k];
        }
    }
    std::vector<double> mean(cells), variance(cells), contexts(cells);
    for (std::size_t k = 0; k < cells; ++k) {
        contexts[k] = static_cast<double>(count[k]);
        if (count[k] == 0) {
            mean[k] = variance[k] = std::numeric_limits<double>::quiet_NaN();
            continue;
        }
        const long double n = static_cast<long double>(count[k]);
        const long double m = from_fixed(sum[k]) / n;
        mean[k] = static_cast<double>(m);
        variance[k] = count[k] == 1 ? 0.0 : static_cast<double>(std::max(0.0L, from_fixed(sum_sq[k]) / n - m * m));
    }
    const std::vector<std::pair<correlation_output, const std::vector<double>*>> parts{
        {corr_out_r_mean, &mean}, {corr_out_r_variance, &variance}, {corr_out_r_contexts, &contexts}};
    for (const auto& [o, values] : parts) {
        auto& sink = out.matrix(o);
        sink.create(V, V, {"variable", "variable"});
        if (cells > 0) sink.write(begin, 0, end - begin, V, *values);
    }
}

}  // namespace

void correlate_by_context(const correlation_settings& s, const dataset_input& in, const comm& c, dataset_outputs& out) {
    const series_batch& batch = *in.series;
    const context_map m = map_contexts(s, batch, c);
    const std::size_t C = m.contexts.size(), V = m.variables.size();

    auto& axis = out.table(corr_out_series);
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const std::uint64_t g = in.first_row + i;
        const std::int64_t k = m.context_of[g], v = m.variable_of[g];
        axis.meta.push_back(batch.meta[i]);
        row_sink row(axis);
        row.set(0, static_cast<std::int64_t>(batch.count(i)));
        row.set(1, k < 0 ? std::string() : m.contexts[static_cast<std::size_t>(k)]);
        row.set(2, k < 0 ? std::string() : batch.meta[i].metric);
        row.set(3, k);
        row.set(4, v);
        row.set(5, k < 0 ? std::int64_t{-1} : k * static_cast<std::int64_t>(V) + v);
    }

    const auto owner = context_owners(m, c.size());
    const routed_series routed(m, owner, batch, in.first_row, c);
    top_pairs_keeper top(s.top_pairs);
    std::array<std::uint64_t, corr_status_count> status_counts{};
    context_sums sums(V);
    corr_tile_target target{
        create_pair_matrices(s, out, C * V, V, {"context,variable", "variable"}), 0, &top, &status_counts, {}};
    target.on_pair = [&](std::uint64_t a, std::uint64_t b, const corr_result& r) {
        if (r.at_zero.status == corr_status::ok) sums.add(a, b, r.at_zero.r);
    };
    for (std::size_t k = 0; k < C; ++k) {
        if (owner[k] != c.rank()) continue;
        // The context as a block of V slots, one per variable; absent ones stay empty.
        std::vector<series_view> slots(V);
        std::vector<char> present(V, 0);
        std::vector<std::uint64_t> input_rows(V, 0);
        for (const auto& [v, row] : m.members[k]) {
            slots[v] = routed.at(row);
            present[v] = 1;
            input_rows[v] = row;
        }
        const corr_prepared_block prep = prepare_block(slots, s.corr);
        const corr_block block{slots, prep, 0, &input_rows, &present};
        target.row_offset = k * V;
        correlate_tile(block, block, true, s.corr, target);
    }
    write_context_statistics(sums, c, out);

    auto& rm = out.matrix(corr_out_r);
    rm.set_attr("group_by", s.group_by);
    rm.set_attr("contexts", static_cast<double>(C));
    rm.set_attr("variables", static_cast<double>(V));
    rm.set_attr("series_without_context", static_cast<double>(m.without_context));
    finish_pair_outputs(c, s, status_counts, top, batch.meta, in.first_row, out);
}

}  // namespace tsbatch
