// The dataset-wide `matrix_profile` operator: for each series, the z-normalised Euclidean
// distance from every window to its nearest neighbour (and that neighbour's index), within
// the series (self-join) or against the reference series of its group (AB-join, `join`),
// plus the top motif pairs and discords.
//
// How it runs on R ranks (plan in matrix_profile_plan.hpp, kernel in
// kernels/matrix_profile.hpp):
// 1. Every rank learns every series' length (and group and reference flag for a join) and
//    computes the same plan: all tiles of all profiles in run order, cut into R runs of
//    near-equal cost.
// 2. The ranks holding a series send it to every rank with one of its tiles, and to the rank
//    holding a series that is joined against it (that rank recomputes the final distances).
// 3. Each rank computes its tiles and sends the merged candidates of each profile it does not
//    hold to the rank that holds it, which merges them (max score, ties to the smaller index:
//    an exact, order-free merge), settles constant windows, recomputes every reported
//    distance exactly and writes the outputs.
// The tiles depend on the data alone, so the outputs are the same bits for any rank count.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "algo/dataset/dataset_support.hpp"
#include "algo/dataset/matrix_profile_plan.hpp"
#include "algo/kernels/matrix_profile.hpp"
#include "algo/operator.hpp"
#include "algo/param_fields.hpp"
#include "algo/series/cut_by_reference.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"
#include "core/stop_request.hpp"
#include "core/tags.hpp"

namespace tsbatch {
namespace {

struct mp_params {
    std::int64_t window = 0;
    std::optional<std::int64_t> exclusion;
    std::int64_t top_k = 3;
    std::optional<std::string> join;
    std::optional<std::string> group_by;
    std::int64_t tile = 4096;
    bool normalize = true;

    std::uint64_t effective_exclusion() const {
        return static_cast<std::uint64_t>(exclusion ? *exclusion : (window + 3) / 4);
    }
    static const param_fields<mp_params>& fields();
};

constexpr std::int64_t min_mp_window = 3;

void check_mp_params(const mp_params& p) {
    if (p.group_by && !p.join) throw param_error("group_by", "applies to a join only: set join too");
    if (p.join) {
        try {
            (void)series_selector::parse(*p.join);
        } catch (const std::invalid_argument& e) {
            throw param_error("join", e.what());
        }
    }
}

const param_fields<mp_params>& mp_params::fields() {
    using P = mp_params;
    static const param_fields<P> f =
        param_fields<P>(check_mp_params)
            .integer("window", &P::window, "window length in points")
            .required()
            .min(min_mp_window)
            .integer("exclusion", &P::exclusion,
                     "windows i, j with |i - j| <= exclusion are not neighbours in a self-join, nor both "
                     "reported among the top motifs or discords")
            .derived("ceil(window / 4), as STUMPY")
            .min(0)
            .integer("top_k", &P::top_k, "motif pairs and discords reported per series")
            .min(0)
            .boolean("normalize", &P::normalize,
                     "z-normalise each window (shape only); false: plain Euclidean distance (level and scale count)")
            .string("join", &P::join,
                    "AB-join: each series against the series of its group this selector matches (metric glob, "
                    "metric{tag=glob,...} or {tag=glob,...}); that reference gets no profile of its own")
            .derived("none: self-join")
            .string("group_by", &P::group_by, "the tag whose value makes the groups of a join")
            .derived("none: all series form one group")
            .integer("tile", &P::tile,
                     "side of the square tiles of the distance matrix (windows); results are the same bits for "
                     "any rank count with the same tile")
            .min(8);
    return f;
}

// Columns of the `top` table.
enum top_column : std::size_t { col_kind, col_rank, col_start, col_start_time, col_neighbor, col_neighbor_time, col_distance };

// A series a rank holds or received: its times and values.
struct held_series {
    std::vector<std::int64_t> time;
    std::vector<double> value;
};

class matrix_profile_op final : public dataset_operator {
public:
    explicit matrix_profile_op(mp_params p)
        : p_(std::move(p)), join_(p_.join ? std::optional(series_selector::parse(*p_.join)) : std::nullopt) {}

    std::vector<column_spec> columns(std::size_t) const override {
        return {{"kind", column_type::string, "", "motif or discord"},
                {"rank", column_type::int64, "", "1 = the closest motif pair / the farthest discord"},
                {"start", column_type::int64, "", "index of the window's first point in its series"},
                {"start_time", column_type::int64, unit_epoch_ms, "time of the window's first point"},
                {"neighbor", column_type::int64, "",
                 "index of the nearest window (in the join's reference for an AB-join)"},
                {"neighbor_time", column_type::int64, unit_epoch_ms, "time of the nearest window's first point"},
                {"distance", column_type::float64, "", "z-normalised Euclidean distance between the two windows"}};
    }

    void apply(const dataset_input& in, const comm& c, dataset_outputs& out) const override;

private:
    // Every rank's view of the series: lengths, owners, and the jobs to run.
    struct layout {
        std::vector<std::uint64_t> points;       // per global row
        std::vector<std::uint64_t> rank_first;   // first global row of each rank (+ total)
        std::vector<mp_job_request> requests;
        int owner(std::uint64_t row) const {
            return static_cast<int>(std::upper_bound(rank_first.begin(), rank_first.end(), row) - rank_first.begin()) - 1;
        }
    };
    layout describe(const dataset_input& in, const comm& c) const;

    mp_params p_;
    std::optional<series_selector> join_;
};

matrix_profile_op::layout matrix_profile_op::describe(const dataset_input& in, const comm& c) const {
    const series_batch& batch = *in.series;
    const std::size_t m = static_cast<std::size_t>(p_.window);
    layout l;
    std::vector<std::uint64_t> local_points;
    for (std::size_t i = 0; i < batch.size(); ++i) local_points.push_back(batch.count(i));
    l.points = c.allgatherv(std::span<const std::uint64_t>(local_points));
    l.rank_first = c.allgather(in.first_row);
    l.rank_first.push_back(l.points.size());
    // Every rank sees every length, so every rank throws the same error.
    for (std::uint64_t r = 0; r < l.points.size(); ++r)
        if (l.points[r] < m)
            throw param_error("window", "window " + std::to_string(m) + " is longer than series '" +
                                            id_of_row(c, batch.meta, in.first_row, r) + "' (" +
                                            std::to_string(l.points[r]) + " points)");
    if (!join_) {
        for (std::uint64_t r = 0; r < l.points.size(); ++r) l.requests.push_back({r, r, l.points[r], l.points[r]});
        return l;
    }
    // AB-join: group keys and reference flags of every row.
    std::vector<std::string> keys;
    std::vector<std::uint8_t> is_ref;
    for (const auto& meta : batch.meta) {
        std::string key;
        if (p_.group_by) {
            const auto v = tag_value(meta.tags, *p_.group_by);
            key = v ? "=" + std::string(*v) : std::string();  // "" = no such tag
        } else {
            key = "=";
        }
        keys.push_back(std::move(key));
        is_ref.push_back(join_->matches(meta.metric, meta.tags) ? 1 : 0);
    }
    const auto all_keys = c.allgather_strings(keys);
    const auto all_ref = c.allgatherv(std::span<const std::uint8_t>(is_ref));
    std::map<std::string, std::vector<std::uint64_t>> refs;
    for (std::uint64_t r = 0; r < all_keys.size(); ++r) {
        if (all_keys[r].empty())
            throw input_error("matrix_profile: series '" + id_of_row(c, batch.meta, in.first_row, r) +
                              "' has no tag '" + *p_.group_by + "' (group_by)");
        if (all_ref[r]) refs[all_keys[r]].push_back(r);
    }
    const auto group_name = [&](const std::string& key) {
        return p_.group_by ? "group " + *p_.group_by + key : std::string("the run");
    };
    for (std::uint64_t r = 0; r < all_keys.size(); ++r) {
        if (all_ref[r]) continue;
        const auto it = refs.find(all_keys[r]);
        if (it == refs.end())
            throw input_error("matrix_profile: no series of " + group_name(all_keys[r]) + " matches join '" +
                              *p_.join + "'");
        if (it->second.size() > 1)
            throw input_error("matrix_profile: " + std::to_string(it->second.size()) + " series of " +
                              group_name(all_keys[r]) + " match join '" + *p_.join + "' ('" +
                              id_of_row(c, batch.meta, in.first_row, it->second[0]) + "', '" +
                              id_of_row(c, batch.meta, in.first_row, it->second[1]) + "'); it must select one");
        const std::uint64_t ref = it->second.front();
        l.requests.push_back({r, ref, l.points[r], l.points[ref]});
    }
    return l;
}

std::vector<std::byte> pack_series(std::uint64_t row, series_view s) {
    byte_writer w;
    w.pod(row);
    w.array(s.time);
    w.array(s.value);
    return w.take();
}

void append_bytes(std::vector<std::byte>& to, const std::vector<std::byte>& from) {
    to.insert(to.end(), from.begin(), from.end());
}

// --- snapshots (run.checkpoint) ----------------------------------------------------------
// A snapshot holds the tiles one rank finished and its merged candidates so far (of every
// profile it touched). Merging candidates is idempotent and order-free, so a resumed run
// merges every snapshot once, skips their tiles, and still gives the same bits.

constexpr std::uint64_t snapshot_version = 1;

std::vector<std::byte> encode_snapshot(const std::vector<std::uint64_t>& tiles,
                                       const std::map<std::size_t, profile_part>& partial) {
    byte_writer w;
    w.pod(snapshot_version);
    w.array(tiles);
    w.pod(static_cast<std::uint64_t>(partial.size()));
    for (const auto& [job, part] : partial) {
        w.pod(static_cast<std::uint64_t>(job));
        w.array(part.score);
        w.array(part.index);
    }
    return w.take();
}

struct damaged_snapshot {};

// The snapshots of earlier attempts: rank q reads every R-th one and merges its candidates;
// every rank learns which tiles are done. Collective. A damaged snapshot is left out: its
// tiles are computed again.
void resume_from_snapshots(const comm& c, work_journal& journal, const mp_plan& plan, std::vector<std::uint8_t>& done,
                           std::map<std::size_t, profile_part>& partial) {
    // One listing for every rank: a fast rank may save a snapshot while a slow one lists.
    std::string listing;
    if (c.is_root())
        for (const auto& n : journal.snapshots()) listing += n + "\n";
    listing = c.broadcast(listing);
    std::vector<std::string> names;
    for (std::size_t at = 0; at < listing.size();) {
        const auto end = listing.find('\n', at);
        names.push_back(listing.substr(at, end - at));
        at = end + 1;
    }
    std::vector<std::uint64_t> local_done;
    for (std::size_t k = static_cast<std::size_t>(c.rank()); k < names.size(); k += static_cast<std::size_t>(c.size())) {
        const auto bytes = journal.load(names[k]);
        if (!bytes) continue;
        try {
            byte_reader r(*bytes, [] { throw damaged_snapshot{}; });
            if (r.pod<std::uint64_t>() != snapshot_version) continue;
            const auto tiles = r.array<std::uint64_t>();
            std::map<std::size_t, profile_part> parts;
            const auto jobs = r.pod<std::uint64_t>();
            for (std::uint64_t j = 0; j < jobs; ++j) {
                const auto job = static_cast<std::size_t>(r.pod<std::uint64_t>());
                profile_part p;
                p.score = r.array<double>();
                p.index = r.array<std::int64_t>();
                if (job >= plan.jobs.size() || p.size() != plan.jobs[job].windows || p.index.size() != p.size())
                    throw damaged_snapshot{};
                parts.emplace(job, std::move(p));
            }
            for (auto t : tiles)
                if (t >= plan.tiles.size()) throw damaged_snapshot{};
            for (auto& [job, p] : parts) {
                auto it = partial.find(job);
                if (it == partial.end())
                    partial.emplace(job, std::move(p));
                else
                    it->second.merge(p);
            }
            local_done.insert(local_done.end(), tiles.begin(), tiles.end());
        } catch (const damaged_snapshot&) {
        }
    }
    for (auto t : c.allgatherv(std::span<const std::uint64_t>(local_done))) done[t] = 1;
}

// --- candidates to the holders ------------------------------------------------------------
// A profile computed on one rank goes to the rank holding its series in one message. A profile
// several ranks worked on (a long series) is cut into one segment per contributing rank: each
// contributor receives every rank's piece of its segment and merges them, then sends the merged
// segment to the holder. So the holder receives each window's candidates once instead of once
// per rank, and no rank holds more than about two profiles' worth of one series.

void pack_part(std::vector<std::byte>& to, std::size_t job, const profile_part& p, std::uint64_t from,
               std::uint64_t end) {
    byte_writer w;
    w.pod(static_cast<std::uint64_t>(job));
    w.pod(from);
    const auto a = static_cast<std::size_t>(from - p.first), n = static_cast<std::size_t>(end - from);
    w.array(std::span<const double>(p.score).subspan(a, n));
    w.array(std::span<const std::int64_t>(p.index).subspan(a, n));
    append_bytes(to, w.take());
}

// Every part in `messages`, with its job.
std::vector<std::pair<std::size_t, profile_part>> unpack_parts(const std::vector<std::vector<std::byte>>& messages) {
    std::vector<std::pair<std::size_t, profile_part>> parts;
    for (const auto& bytes : messages) {
        byte_reader r(bytes);
        while (!r.at_end()) {
            const auto job = static_cast<std::size_t>(r.pod<std::uint64_t>());
            profile_part p;
            p.first = r.pod<std::uint64_t>();
            p.score = r.array<double>();
            p.index = r.array<std::int64_t>();
            parts.emplace_back(job, std::move(p));
        }
    }
    return parts;
}

// Merges `p` into into[job], which starts as a part covering `windows` windows from 0, or as a
// copy of `p` when `windows` is 0 (every part of that job covers the same windows).
void merge_part(std::map<std::size_t, profile_part>& into, std::size_t job, profile_part&& p, std::uint64_t windows) {
    auto it = into.find(job);
    if (it == into.end()) {
        if (windows == 0) {
            into.emplace(job, std::move(p));
            return;
        }
        it = into.emplace(job, profile_part(0, windows)).first;
    }
    it->second.merge(p);
}

template <class Layout>
std::map<std::size_t, profile_part> gather_candidates(const comm& c, const mp_plan& plan, const Layout& l,
                                                      std::map<std::size_t, profile_part> partial) {
    const int R = c.size();
    // The ranks whose tiles cover each job: a contiguous range, since tiles are in job order.
    std::vector<int> lo(plan.jobs.size(), R), hi(plan.jobs.size(), -1);
    for (int q = 0; q < R; ++q) {
        const auto range = plan.rank_tiles[static_cast<std::size_t>(q)];
        if (range.empty()) continue;
        for (std::size_t j = plan.tiles[range.begin].job; j <= plan.tiles[range.end - 1].job; ++j) {
            lo[j] = std::min(lo[j], q);
            hi[j] = std::max(hi[j], q);
        }
    }
    const auto shared = [&](std::size_t j) { return hi[j] > lo[j]; };
    const auto segment = [&](std::size_t j, int s) {  // [from, end) of segment s of job j
        const std::uint64_t w = plan.jobs[j].windows, k = static_cast<std::uint64_t>(hi[j] - lo[j] + 1);
        return std::pair<std::uint64_t, std::uint64_t>{w * static_cast<std::uint64_t>(s) / k,
                                                        w * static_cast<std::uint64_t>(s + 1) / k};
    };
    const auto holder = [&](std::size_t j) { return l.owner(plan.jobs[j].row); };

    std::vector<std::vector<std::byte>> send(static_cast<std::size_t>(R));
    for (const auto& [j, p] : partial) {
        if (!shared(j)) {
            pack_part(send[static_cast<std::size_t>(holder(j))], j, p, p.first, p.first + p.size());
            continue;
        }
        for (int s = 0; s <= hi[j] - lo[j]; ++s) {
            const auto [from, end] = segment(j, s);
            if (end > from) pack_part(send[static_cast<std::size_t>(lo[j] + s)], j, p, from, end);
        }
    }
    partial.clear();
    // Parts of unshared jobs reach their holder; segments of shared ones their merger.
    std::map<std::size_t, profile_part> held, segments;
    for (auto& [j, p] : unpack_parts(c.alltoallv(std::move(send)))) {
        if (shared(j))
            merge_part(segments, j, std::move(p), 0);
        else
            merge_part(held, j, std::move(p), plan.jobs[j].windows);
    }
    std::vector<std::vector<std::byte>> to_holders(static_cast<std::size_t>(R));
    for (const auto& [j, p] : segments)
        pack_part(to_holders[static_cast<std::size_t>(holder(j))], j, p, p.first, p.first + p.size());
    segments.clear();
    for (auto& [j, p] : unpack_parts(c.alltoallv(std::move(to_holders))))
        merge_part(held, j, std::move(p), plan.jobs[j].windows);
    return held;
}

void matrix_profile_op::apply(const dataset_input& in, const comm& c, dataset_outputs& out) const {
    const series_batch& batch = *in.series;
    const std::size_t m = static_cast<std::size_t>(p_.window);
    const std::uint64_t exclusion = p_.effective_exclusion();
    const layout l = describe(in, c);
    const mp_plan plan =
        plan_matrix_profile(l.requests, m, exclusion, static_cast<std::uint64_t>(p_.tile), c.size());
    const int me = c.rank(), R = c.size();
    const auto local_row = [&](std::uint64_t row) { return static_cast<std::size_t>(row - in.first_row); };
    const auto owned = [&](std::uint64_t row) { return l.owner(row) == me; };

    // Which rows each rank needs: those of its tiles, and the partners of the jobs it holds.
    std::vector<std::set<std::uint64_t>> needs(static_cast<std::size_t>(R));
    for (int q = 0; q < R; ++q) {
        const auto range = plan.rank_tiles[static_cast<std::size_t>(q)];
        for (std::size_t t = range.begin; t < range.end; ++t) {
            const mp_job& job = plan.jobs[plan.tiles[t].job];
            needs[static_cast<std::size_t>(q)].insert(job.row);
            needs[static_cast<std::size_t>(q)].insert(job.partner);
        }
    }
    for (const auto& job : plan.jobs) needs[static_cast<std::size_t>(l.owner(job.row))].insert(job.partner);

    // Ship the series.
    std::vector<std::vector<std::byte>> send(static_cast<std::size_t>(R));
    for (int q = 0; q < R; ++q) {
        if (q == me) continue;
        for (std::uint64_t row : needs[static_cast<std::size_t>(q)])
            if (owned(row)) append_bytes(send[static_cast<std::size_t>(q)], pack_series(row, batch.series(local_row(row))));
    }
    std::map<std::uint64_t, held_series> received;
    for (const auto& bytes : c.alltoallv(std::move(send))) {
        byte_reader r(bytes);
        while (!r.at_end()) {
            const auto row = r.pod<std::uint64_t>();
            held_series s;
            s.time = r.array<std::int64_t>();
            s.value = r.array<double>();
            received.emplace(row, std::move(s));
        }
    }
    const auto series_of = [&](std::uint64_t row) -> series_view {
        if (owned(row)) return batch.series(local_row(row));
        const auto& s = received.at(row);
        return {s.time, s.value};
    };
    std::map<std::uint64_t, window_stats> stats;
    // A series' window statistics, computed once per rank. Plain distances between two series
    // need both relative to one shift: a series joined against a reference takes the
    // reference's (the reference's first finite value); a series is the row of one job only.
    const auto stats_of = [&](std::uint64_t row, std::optional<std::uint64_t> shift_from = std::nullopt) -> const window_stats& {
        auto it = stats.find(row);
        if (it == stats.end()) {
            std::optional<double> shift;
            if (!p_.normalize && shift_from) shift = window_shift(series_of(*shift_from).value);
            it = stats.emplace(row, compute_window_stats(series_of(row).value, m, p_.normalize, shift)).first;
        }
        return it->second;
    };
    const auto row_stats = [&](const mp_job& job) -> const window_stats& {
        return job.self_join() ? stats_of(job.row) : stats_of(job.row, job.partner);
    };

    // Compute this rank's tiles, merged per job; with a checkpoint, skip those an earlier
    // attempt finished and record the new ones now and then.
    std::map<std::size_t, profile_part> partial;
    std::vector<std::uint8_t> done(plan.tiles.size(), 0);
    if (in.journal) resume_from_snapshots(c, *in.journal, plan, done, partial);
    const auto my_tiles = plan.rank_tiles[static_cast<std::size_t>(me)];
    std::vector<std::uint64_t> finished;
    bool stopped = false;
    profile_part rows, cols;
    for (std::size_t t = my_tiles.begin; t < my_tiles.end && !stopped; ++t) {
        if (done[t]) continue;
        const std::size_t j = plan.tiles[t].job;
        const mp_job& job = plan.jobs[j];
        auto it = partial.find(j);
        if (it == partial.end()) it = partial.emplace(j, profile_part(0, job.windows)).first;
        const window_stats& a = row_stats(job);
        if (job.self_join()) {
            compute_tile(a, a, plan.tiles[t].tile, rows, &cols);
            it->second.merge(rows);
            it->second.merge(cols);
        } else {
            compute_tile(a, stats_of(job.partner), plan.tiles[t].tile, rows, nullptr);
            it->second.merge(rows);
        }
        finished.push_back(t);
        if (in.journal && in.journal->due()) in.journal->save(encode_snapshot(finished, partial));
        stopped = stop_requested() != 0;
    }
    if (in.journal && !finished.empty()) in.journal->save(encode_snapshot(finished, partial));
    if (c.max(stopped ? 1 : 0) != 0) {
        if (in.journal) in.journal->sync();
        std::uint64_t before = 0;
        for (auto d : done) before += d;
        const auto now = before + c.sum(finished.size());
        throw interrupted_error("stopped by a signal (SIGTERM or SIGUSR1) during matrix_profile: " +
                                std::to_string(now) + " of " + std::to_string(plan.tiles.size()) + " tiles " +
                                (in.journal ? "are recorded in the checkpoint; run the same command again to resume"
                                            : "were done, and the run has no checkpoint to keep them"));
    }

    std::map<std::size_t, profile_part> held = gather_candidates(c, plan, l, std::move(partial));

    // Finish the jobs this rank holds, in run order.
    auto& profile_out = out.series(0);
    auto& index_out = out.series(1);
    auto& top = out.table(2);
    std::vector<double> distance;
    std::vector<std::int64_t> index;
    for (std::size_t j = 0; j < plan.jobs.size(); ++j) {
        const mp_job& job = plan.jobs[j];
        if (!owned(job.row)) continue;
        const window_stats& a = row_stats(job);
        const window_stats& b = stats_of(job.partner);
        auto it = held.find(j);
        profile_part p = it != held.end() ? std::move(it->second) : profile_part(0, job.windows);
        // (Plain distances have no constant windows: nothing to settle then.)
        if (job.self_join())
            settle_constant_windows(a, exclusion, p);
        else
            settle_constant_windows_ab(a, b, p);
        distance.assign(job.windows, 0.0);
        index.assign(job.windows, -1);
        finish_profile(a, b, p, distance, index);

        const series_view s = series_of(job.row);
        const series_view partner = series_of(job.partner);
        const series_meta& meta = batch.meta[local_row(job.row)];
        const auto times = s.time.subspan(0, job.windows);
        profile_out.append(meta, {times, distance});
        {
            auto sink = index_out.open_series(meta);
            auto span = sink.extend(job.windows);
            std::copy(times.begin(), times.end(), span.time.begin());
            for (std::size_t k = 0; k < job.windows; ++k) span.value[k] = static_cast<double>(index[k]);
            index_out.close_series();
        }
        const auto k = static_cast<std::size_t>(p_.top_k);
        const auto add_rows = [&](const char* kind, const std::vector<mp_event>& events, bool pair_in_series) {
            for (std::size_t e = 0; e < events.size(); ++e) {
                const auto& ev = events[e];
                // A self-join motif is a pair of windows of this series; otherwise the
                // neighbour is a window of the partner.
                const series_view& nb_series = pair_in_series ? s : partner;
                top.meta.push_back(meta);
                row_sink row(top);
                row.set(col_kind, std::string(kind));
                row.set(col_rank, static_cast<std::int64_t>(e + 1));
                row.set(col_start, static_cast<std::int64_t>(ev.start));
                row.set(col_start_time, s.time[ev.start]);
                row.set(col_neighbor, ev.neighbor);
                row.set(col_neighbor_time, nb_series.time[static_cast<std::size_t>(ev.neighbor)]);
                row.set(col_distance, ev.distance);
            }
        };
        add_rows("motif", top_motifs(distance, index, exclusion, k, job.self_join()), job.self_join());
        add_rows("discord", top_discords(distance, index, exclusion, k), job.self_join());
    }
}

}  // namespace

operator_def make_matrix_profile_def() {
    operator_def d;
    d.name = "matrix_profile";
    d.summary =
        "dataset-wide: exact z-normalised nearest-neighbour distance of every window (self-join, or AB-join "
        "against a group's reference), with the top motif pairs and discords; one long series is spread over "
        "every rank in tiles fixed by the data";
    d.params = mp_params::fields().specs();
    d.outputs = {{"profile", data_kind::series, "distance from each window (stamped at its start) to its nearest "
                                                "neighbour; +inf where the window holds NaN or inf"},
                 {"index", data_kind::series, "start index of the nearest neighbour's window, -1 where none"},
                 {"top", data_kind::table, "the top_k motif pairs and discords of each series"}};
    d.dataset_wide = true;
    d.cost = {0.0, 0.0};
    d.bind = [](const param_values& v) {
        bound_operator b;
        b.dataset = std::make_unique<matrix_profile_op>(mp_params::fields().read(v));
        return b;
    };
    return d;
}

}  // namespace tsbatch
