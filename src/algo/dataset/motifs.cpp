// Cross-series motif discovery; the contract is in motifs.hpp.
//
// Reference: tests/fixtures/make_motif_fixtures.py re-implements the method in numpy (scipy's
// normal quantiles for the breakpoints) and runs a brute force over every pair of windows.
#include "algo/dataset/motifs.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <set>
#include <string>
#include <utility>

#include "algo/params.hpp"
#include "algo/series/sax.hpp"
#include "algo/kernels/vector_lanes.hpp"
#include "core/error.hpp"
#include "parallel/agreement.hpp"

namespace tsbatch {
namespace {

using detail::lane_sum;
using detail::load;
using detail::splat;
using detail::unroll;
using detail::vec_d;
using detail::vec_n;
using detail::vec_step;

constexpr double inf_v = std::numeric_limits<double>::infinity();

// Spread below this fraction of the level is rounding noise (pattern_search's rule).
constexpr double flat_rel = 1e-13;

// Early abandoning stops a distance once its partial sum exceeds radius^2 * w by this factor:
// a partial sum of at most 1e6 squares is off by less than 1e-9 relative, so an abandoned pair
// is certainly beyond the radius and the verdict never depends on where the check fell.
constexpr double abandon_margin = 1.0 + 1e-6;

// The most rounds the exchange is split into (64 Ki: beyond that a round holds a few windows).
constexpr std::uint64_t max_rounds = 1u << 16;

// ---- Sums in lane order (see the header) ----------------------------------------------

double lane_fold(const double* x, std::size_t n) noexcept {
    vec_d acc[unroll] = {};
    std::size_t i = 0;
    for (; i + vec_step <= n; i += vec_step)
        for (std::size_t u = 0; u < unroll; ++u) acc[u] += load(x + i + vec_n * u);
    double s = lane_sum(acc);
    for (; i < n; ++i) s += x[i];
    return s;
}

double lane_fold_squared_deviations(const double* x, std::size_t n, double mean) noexcept {
    vec_d acc[unroll] = {};
    const vec_d m = splat(mean);
    std::size_t i = 0;
    for (; i + vec_step <= n; i += vec_step)
        for (std::size_t u = 0; u < unroll; ++u) {
            const vec_d d = load(x + i + vec_n * u) - m;
            acc[u] += d * d;
        }
    double s = lane_sum(acc);
    for (; i < n; ++i) s += (x[i] - mean) * (x[i] - mean);
    return s;
}

// sum (a_i - b_i)^2 in lane order, or +inf once a partial sum (every two blocks, lanes added in
// any order: only a bound) exceeds `bound`.
double squared_distance_bounded(const double* a, const double* b, std::size_t n, double bound) noexcept {
    vec_d acc[unroll] = {};
    std::size_t i = 0;
    std::size_t blocks = 0;
    for (; i + vec_step <= n; i += vec_step) {
        for (std::size_t u = 0; u < unroll; ++u) {
            const vec_d d = load(a + i + vec_n * u) - load(b + i + vec_n * u);
            acc[u] += d * d;
        }
        if ((++blocks & 1u) == 0) {
            const vec_d t = (acc[0] + acc[1]) + (acc[2] + acc[3]);
            if (t[0] + t[1] > bound) return inf_v;
        }
    }
    double s = lane_sum(acc);
    for (; i < n; ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
    return s;
}

// ---- PAA ------------------------------------------------------------------------------

// Segments of the PAA that prunes pairs before their distance: d^2 >= (w/L) sum_k (PAA_a,k -
// PAA_b,k)^2 (Keogh's lower bound; it holds with fractional segments, by Jensen per segment),
// 16 values for the cost of a quarter of a 64-point distance; on random walks it rejects 98%
// of the pairs of a bucket. Pruning only skips pairs whose bound exceeds radius^2 * w by the
// abandon margin, so it never changes a result.
constexpr std::size_t bound_segments = 16;
static_assert(bound_segments % vec_step == 0);

// The PAA of z into out.size() segments (header: fractional boundaries, left to right).
void paa_into(std::span<const double> z, std::span<double> out) noexcept {
    const std::uint64_t w = z.size();
    const std::uint64_t s = out.size();
    const double wd = static_cast<double>(w);
    if (w % s == 0) {  // whole points only, each with weight S: the same sums, no boundary work
        const double sd = static_cast<double>(s);
        const std::uint64_t per = w / s;
        for (std::uint64_t k = 0; k < s; ++k) {
            double acc = 0.0;
            for (std::uint64_t i = k * per; i < (k + 1) * per; ++i) acc += sd * z[i];
            out[k] = acc / wd;
        }
        return;
    }
    for (std::uint64_t k = 0; k < s; ++k) {
        // In units of 1/S point: segment k is [k*w, (k+1)*w), point i is [i*S, (i+1)*S).
        const std::uint64_t lo = k * w, hi = (k + 1) * w;
        double acc = 0.0;
        for (std::uint64_t i = lo / s; i < (hi + s - 1) / s; ++i) {
            const std::uint64_t overlap = std::min((i + 1) * s, hi) - std::max(i * s, lo);
            acc += static_cast<double>(overlap) * z[i];
        }
        out[k] = acc / wd;
    }
}

// sum_k (a_k - b_k)^2 over bound_segments values (any order: it is only compared with a
// bound that has a margin).
inline double bound_distance(const double* a, const double* b) noexcept {
    vec_d acc[unroll] = {};
    for (std::size_t i = 0; i < bound_segments; i += vec_step)
        for (std::size_t u = 0; u < unroll; ++u) {
            const vec_d d = load(a + i + vec_n * u) - load(b + i + vec_n * u);
            acc[u] += d * d;
        }
    const vec_d t = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    return t[0] + t[1];
}

// ---- Words ----------------------------------------------------------------------------

// Letter of v: the number of breakpoints strictly below it (sorted ascending).
unsigned letter_of(double v, const std::vector<double>& bp) noexcept {
    return static_cast<unsigned>(std::lower_bound(bp.begin(), bp.end(), v) - bp.begin());
}

std::vector<double> breakpoints(std::size_t alphabet) {
    return sax_gaussian_breakpoints(static_cast<std::int64_t>(alphabet));
}

// splitmix64's finaliser: spreads a word over owners and rounds.
std::uint64_t mix(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

// k * 2^-32 of n, for a 32-bit k: a uniform pick in [0, n) without a division's bias.
std::uint64_t scale32(std::uint64_t k32, std::uint64_t n) noexcept {
    return (k32 * n) >> 32;
}

// ---- Selection ------------------------------------------------------------------------

// Windows of the groups selected so far, for conflict tests.
class window_set {
public:
    explicit window_set(std::size_t window) : half_((window - 1) / 2) {}

    bool conflicts(std::uint64_t row, std::uint64_t start) const {
        // 2|s - s'| < w  <=>  |s - s'| <= (w - 1) / 2 for integers.
        const std::uint64_t lo = start >= half_ ? start - half_ : 0;
        const auto it = set_.lower_bound({row, lo});
        return it != set_.end() && it->first == row && it->second <= start + half_;
    }
    bool conflicts(const motif_group& g) const {
        if (conflicts(g.centre.series_row, g.centre.start)) return true;
        for (const auto& m : g.members)
            if (conflicts(m.series_row, m.start)) return true;
        return false;
    }
    void add(const motif_group& g) {
        set_.insert({g.centre.series_row, g.centre.start});
        for (const auto& m : g.members) set_.insert({m.series_row, m.start});
    }

private:
    std::uint64_t half_;
    std::set<std::pair<std::uint64_t, std::uint64_t>> set_;
};

// ---- Groups of one bucket piece -------------------------------------------------------

struct candidate_member {
    std::uint64_t row;
    double d2;
    std::uint64_t start;
    std::size_t index;  // in the piece
};

// The groups of the home centres of entries[idx[0..n)], then their greedy selection.
void piece_candidates(std::span<const motif_entry> entries, std::span<const std::size_t> idx, const motif_params& p,
                      std::vector<motif_group>& out) {
    const std::size_t w = p.window;
    const double t2 = p.radius * p.radius * static_cast<double>(w);
    const double bound = t2 * abandon_margin;
    // The pruning PAA of every entry of the piece, and the bound in its units.
    const std::size_t nb = std::min(bound_segments, w);
    const double paa_bound = bound * static_cast<double>(nb) / static_cast<double>(w);
    const std::size_t n = idx.size();
    std::vector<double> lb(n * bound_segments, 0.0);  // unused segments stay 0 (w < 16)
    std::vector<std::uint64_t> rows(n);
    for (std::size_t q = 0; q < n; ++q) {
        paa_into(entries[idx[q]].z, std::span<double>(lb).subspan(q * bound_segments, nb));
        rows[q] = entries[idx[q]].window.series_row;
    }
    std::vector<motif_group> groups;
    std::vector<candidate_member> cand;
    for (std::size_t qi = 0; qi < n; ++qi) {
        const motif_entry& c = entries[idx[qi]];
        if (!c.home) continue;
        cand.clear();
        const double* lc = lb.data() + qi * bound_segments;
        for (std::size_t qj = 0; qj < n; ++qj) {
            if (rows[qj] == rows[qi] || bound_distance(lc, lb.data() + qj * bound_segments) > paa_bound) continue;
            const std::size_t j = idx[qj];
            const motif_entry& v = entries[j];
            const double d2 = squared_distance_bounded(c.z.data(), v.z.data(), w, bound);
            if (d2 <= t2) cand.push_back({v.window.series_row, d2, v.window.start, j});
        }
        if (cand.empty()) continue;
        std::sort(cand.begin(), cand.end(), [](const candidate_member& a, const candidate_member& b) {
            if (a.row != b.row) return a.row < b.row;
            if (a.d2 != b.d2) return a.d2 < b.d2;
            return a.start < b.start;
        });
        motif_group g;
        g.centre = c.window;
        double total = 0.0;
        for (std::size_t q = 0; q < cand.size(); ++q) {
            if (q > 0 && cand[q].row == cand[q - 1].row) continue;  // a farther window of that series
            const motif_window& mw = entries[cand[q].index].window;
            const double d = std::sqrt(cand[q].d2);
            g.members.push_back({mw.series_row, mw.start, mw.start_time, mw.end_time, d});
            total += d;
        }
        g.mean_distance = total / static_cast<double>(g.members.size());
        groups.push_back(std::move(g));
    }
    auto kept = motif_select(std::move(groups), w, std::numeric_limits<std::size_t>::max());
    for (auto& g : kept) out.push_back(std::move(g));
}

// ---- Exchange -------------------------------------------------------------------------

// One bucket entry on the wire, followed by its w z-values.
struct wire_entry {
    std::uint64_t row;
    std::uint64_t start;
    std::int64_t start_time;
    std::int64_t end_time;
    motif_word word;
    std::uint64_t home;
};
static_assert(sizeof(wire_entry) == 48);

struct wire_group_head {
    std::uint64_t row;
    std::uint64_t start;
    std::int64_t start_time;
    std::int64_t end_time;
    double mean;
    std::uint64_t members;
};

template <class T>
void put(std::vector<std::byte>& buf, const T& v) {
    const auto* b = reinterpret_cast<const std::byte*>(&v);
    buf.insert(buf.end(), b, b + sizeof v);
}

template <class T>
T take(std::span<const std::byte> buf, std::size_t& pos) {
    if (buf.size() - pos < sizeof(T)) throw internal_error("motifs: message shorter than its contents");
    T v;
    std::memcpy(&v, buf.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
}

std::vector<std::byte> pack_group(const motif_group& g) {
    std::vector<std::byte> buf;
    put(buf, wire_group_head{g.centre.series_row, g.centre.start, g.centre.start_time, g.centre.end_time,
                             g.mean_distance, g.members.size()});
    for (const auto& m : g.members) put(buf, m);
    return buf;
}

motif_group unpack_group(std::span<const std::byte> buf, std::size_t& pos) {
    const auto h = take<wire_group_head>(buf, pos);
    motif_group g;
    g.centre = {h.row, h.start, h.start_time, h.end_time};
    g.mean_distance = h.mean;
    g.members.reserve(h.members);
    for (std::uint64_t k = 0; k < h.members; ++k) g.members.push_back(take<motif_member>(buf, pos));
    return g;
}

// Per-rank counts, gathered once at the end.
struct local_counts {
    std::uint64_t windows = 0, skipped_nan = 0, skipped_flat = 0, entries = 0, buckets = 0, split_buckets = 0,
                  largest_bucket = 0, candidates = 0;
};

// The entries of this rank's windows, round by round. Round 0 encodes every window (and
// counts the skipped ones); when there are more rounds it keeps each window's words (2 bytes a
// grid window, 8 an entry, against the 48 + 8w bytes each entry costs on the wire), so later
// rounds only z-normalise the windows that have an entry in them again.
class entry_source {
public:
    entry_source(std::span<const series_view> local, std::uint64_t first_row, const motif_params& p,
                 std::uint64_t rounds)
        : local_(local), first_row_(first_row), p_(p), enc_(p), rounds_(rounds), z_(p.window) {}

    void build(std::uint64_t round, std::vector<std::vector<std::byte>>& send, local_counts& counts) {
        const std::size_t w = p_.window;
        const bool keep = round == 0 && rounds_ > 1;
        std::size_t grid = 0, cursor = 0;
        for (std::size_t i = 0; i < local_.size(); ++i) {
            const series_view s = local_[i];
            for (std::size_t start = 0; start + w <= s.size(); start += p_.step, ++grid) {
                std::span<const motif_word> words;
                if (round == 0) {
                    const auto status = motif_znormalize(s.value.subspan(start, w), z_);
                    if (status != motif_window_status::ok) {
                        ++(status == motif_window_status::flat ? counts.skipped_flat : counts.skipped_nan);
                        if (keep) word_counts_.push_back(0);
                        continue;
                    }
                    enc_.encode(z_, code_);
                    words = code_.words;
                    if (keep) {
                        word_counts_.push_back(static_cast<std::uint16_t>(words.size()));
                        cache_.insert(cache_.end(), words.begin(), words.end());
                    }
                } else {
                    words = std::span<const motif_word>(cache_).subspan(cursor, word_counts_[grid]);
                    cursor += words.size();
                    if (std::none_of(words.begin(), words.end(), [&](motif_word x) { return round_of(x) == round; }))
                        continue;
                    motif_znormalize(s.value.subspan(start, w), z_);  // ok: it was in round 0
                }
                for (std::size_t j = 0; j < words.size(); ++j) {
                    if (round_of(words[j]) != round) continue;
                    auto& buf = send[owner_of(words[j], send.size())];
                    put(buf, wire_entry{first_row_ + i, start, s.time[start], s.time[start + w - 1], words[j],
                                        j == 0 ? 1u : 0u});
                    const auto* b = reinterpret_cast<const std::byte*>(z_.data());
                    buf.insert(buf.end(), b, b + w * sizeof(double));
                    ++counts.entries;
                }
            }
        }
    }

private:
    // The high half of the hash picks the round, the low half the owner: independent.
    std::uint64_t round_of(motif_word x) const noexcept { return scale32(mix(x) >> 32, rounds_); }
    static std::size_t owner_of(motif_word x, std::size_t owners) noexcept {
        return static_cast<std::size_t>(scale32(mix(x) & 0xffffffffULL, owners));
    }

    std::span<const series_view> local_;
    std::uint64_t first_row_;
    const motif_params& p_;
    motif_encoder enc_;
    std::uint64_t rounds_;
    std::vector<double> z_;
    motif_code code_;
    std::vector<std::uint16_t> word_counts_;  // per grid window (0: skipped)
    std::vector<motif_word> cache_;           // the words of the windows, in grid order
};

// The candidates of every bucket this rank received in one round.
void process_round(const std::vector<std::vector<std::byte>>& recv, const motif_params& p,
                   std::vector<motif_group>& pool, local_counts& counts) {
    const std::size_t w = p.window;
    const std::size_t record = sizeof(wire_entry) + w * sizeof(double);
    std::size_t total = 0;
    for (const auto& b : recv) total += b.size() / record;
    struct parsed {
        wire_entry head;
        std::size_t offset;  // of its z-values in `values`
    };
    std::vector<parsed> in;
    in.reserve(total);
    // Copied out: the byte buffers promise no alignment. Not zeroed first: every value is written.
    const auto values_store = std::make_unique_for_overwrite<double[]>(total * w);
    const std::span<const double> values(values_store.get(), total * w);
    for (const auto& b : recv) {
        if (b.size() % record != 0) throw internal_error("motifs: truncated exchange message");
        for (std::size_t pos = 0; pos < b.size(); pos += record) {
            parsed e;
            std::memcpy(&e.head, b.data() + pos, sizeof e.head);
            e.offset = in.size() * w;
            std::memcpy(values_store.get() + e.offset, b.data() + pos + sizeof(wire_entry), w * sizeof(double));
            in.push_back(e);
        }
    }
    std::vector<std::size_t> order(in.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&in](std::size_t a, std::size_t b) {
        const auto& x = in[a].head;
        const auto& y = in[b].head;
        if (x.word != y.word) return x.word < y.word;
        if (x.row != y.row) return x.row < y.row;
        return x.start < y.start;
    });
    std::vector<motif_entry> bucket;
    for (std::size_t lo = 0; lo < order.size();) {
        std::size_t hi = lo + 1;
        while (hi < order.size() && in[order[hi]].head.word == in[order[lo]].head.word) ++hi;
        bucket.clear();
        for (std::size_t q = lo; q < hi; ++q) {
            const parsed& e = in[order[q]];
            bucket.push_back({{e.head.row, e.head.start, e.head.start_time, e.head.end_time},
                              e.head.home != 0,
                              values.subspan(e.offset, w)});
        }
        const std::size_t before = pool.size();
        auto got = motif_bucket_candidates(bucket, p);
        for (auto& g : got) pool.push_back(std::move(g));
        ++counts.buckets;
        counts.split_buckets += bucket.size() > p.max_bucket ? 1 : 0;
        counts.largest_bucket = std::max<std::uint64_t>(counts.largest_bucket, bucket.size());
        counts.candidates += pool.size() - before;
        lo = hi;
    }
}

// Rounds that keep this rank's entries per round within the budget (an upper bound on them:
// every grid window with every probe word).
std::uint64_t rounds_needed(std::uint64_t grid_windows, const motif_params& p) {
    const double bytes = static_cast<double>(grid_windows) * std::ldexp(1.0, static_cast<int>(p.probes)) *
                         static_cast<double>(sizeof(wire_entry) + p.window * sizeof(double));
    const double r = std::ceil(bytes / static_cast<double>(p.exchange_bytes));
    return r <= 1.0 ? 1 : r >= static_cast<double>(max_rounds) ? max_rounds : static_cast<std::uint64_t>(r);
}

// The exact greedy selection over the union of every rank's candidates (sorted): each step,
// each rank proposes its best candidate that conflicts with nothing selected; the best
// proposal is selected.
std::vector<motif_group> select_distributed(const comm& c, std::vector<motif_group>& pool, const motif_params& p) {
    std::sort(pool.begin(), pool.end(), motif_group_before);
    window_set taken(p.window);
    std::vector<motif_group> out;
    std::size_t cursor = 0;
    while (out.size() < p.top_k) {
        while (cursor < pool.size() && taken.conflicts(pool[cursor])) ++cursor;
        const std::vector<std::byte> mine = cursor < pool.size() ? pack_group(pool[cursor]) : std::vector<std::byte>{};
        std::vector<std::size_t> counts;
        const std::vector<std::byte> all = c.allgatherv(std::span<const std::byte>(mine), &counts);
        int best_rank = -1;
        motif_group best;
        std::size_t pos = 0;
        for (std::size_t r = 0; r < counts.size(); ++r) {
            if (counts[r] == 0) continue;
            const std::size_t end = pos + counts[r];
            motif_group g = unpack_group(std::span<const std::byte>(all).first(end), pos);
            if (pos != end) throw internal_error("motifs: malformed proposal");
            if (best_rank < 0 || motif_group_before(g, best)) {
                best = std::move(g);
                best_rank = static_cast<int>(r);
            }
        }
        if (best_rank < 0) break;
        if (best_rank == c.rank()) ++cursor;
        taken.add(best);
        out.push_back(std::move(best));
    }
    return out;
}

std::string row_text(std::uint64_t row, std::int64_t points) {
    return "series row " + std::to_string(row) + ", " + std::to_string(points) + " points";
}

}  // namespace

// ---- Parameters ---------------------------------------------------------------------

void check_motif_params(const motif_params& p) {
    if (p.window < min_motif_window || p.window > max_motif_window)
        throw param_error("window", "must be in [" + std::to_string(min_motif_window) + ", " +
                                        std::to_string(max_motif_window) + "], got " + std::to_string(p.window));
    if (p.top_k < 1) throw param_error("top_k", "must be >= 1");
    if (!(p.radius > 0.0 && p.radius <= 2.0))
        throw param_error("radius", "must be in (0, 2] (a fraction of sqrt(window); 2 admits every pair)");
    if (p.step < 1) throw param_error("step", "must be >= 1");
    if (p.segments < 1 || p.segments > max_motif_segments)
        throw param_error("segments", "must be in [1, " + std::to_string(max_motif_segments) + "], got " +
                                          std::to_string(p.segments));
    if (p.segments > p.window)
        throw param_error(
            "segments", "must not exceed window (" + std::to_string(p.window) + "), got " + std::to_string(p.segments));
    if (p.alphabet < 2 || p.alphabet > max_motif_alphabet)
        throw param_error("alphabet", "must be in [2, " + std::to_string(max_motif_alphabet) + "], got " +
                                          std::to_string(p.alphabet));
    if (p.probes > std::min(max_motif_probes, p.segments))
        throw param_error("probes", "must be in [0, min(" + std::to_string(max_motif_probes) + ", segments)], got " +
                                        std::to_string(p.probes));
    if (p.max_bucket < 2) throw param_error("max_bucket", "must be >= 2");
    if (p.exchange_bytes < min_motif_exchange_bytes)
        throw param_error("exchange_bytes", "must be >= " + std::to_string(min_motif_exchange_bytes));
}

double motif_threshold(const motif_params& p) {
    return p.radius * std::sqrt(static_cast<double>(p.window));
}

// ---- Building blocks ------------------------------------------------------------------

motif_window_status motif_znormalize(std::span<const double> x, std::span<double> z) {
    const std::size_t n = x.size();
    double top = 0.0;
    for (const double v : x) {
        if (!std::isfinite(v)) return motif_window_status::non_finite;
        top = std::max(top, std::fabs(v));
    }
    if (top == 0.0) return motif_window_status::flat;
    // Scale by 2^-e so that max |x| is in [0.5, 1): exact, and no square below can overflow.
    int e = 0;
    std::frexp(top, &e);
    if (e > -1000 && e < 1000) {
        const double s = std::ldexp(1.0, -e);
        for (std::size_t i = 0; i < n; ++i) z[i] = x[i] * s;
    } else {
        for (std::size_t i = 0; i < n; ++i) z[i] = std::ldexp(x[i], -e);
    }
    const double nd = static_cast<double>(n);
    const double mean = lane_fold(z.data(), n) / nd;
    const double sd = std::sqrt(lane_fold_squared_deviations(z.data(), n, mean) / nd);
    if (sd <= flat_rel * std::fabs(mean)) return motif_window_status::flat;
    for (std::size_t i = 0; i < n; ++i) z[i] = (z[i] - mean) / sd;
    return motif_window_status::ok;
}

double motif_squared_distance(std::span<const double> a, std::span<const double> b) noexcept {
    return squared_distance_bounded(a.data(), b.data(), std::min(a.size(), b.size()), inf_v);
}

motif_encoder::motif_encoder(const motif_params& p) : p_(p), bp_((check_motif_params(p), breakpoints(p.alphabet))) {}

void motif_encoder::paa(std::span<const double> z, std::span<double> out) const {
    paa_into(z, out);
}

void motif_encoder::encode(std::span<const double> z, motif_code& out) const {
    const std::size_t segs = p_.segments;
    double v[max_motif_segments];
    paa(z, std::span<double>(v, segs));
    const double r2 = p_.radius * p_.radius * static_cast<double>(segs);
    struct flip {
        double gap;
        std::size_t k;
        unsigned to;
    };
    flip flips[max_motif_segments];
    std::size_t nflips = 0;
    motif_word home_word = 0;
    for (std::size_t k = 0; k < segs; ++k) {
        const unsigned l = letter_of(v[k], bp_);
        home_word |= static_cast<motif_word>(l) << (4 * k);
        // The nearest other letter: across the nearest breakpoint, the lower one on a tie.
        bool any = false;
        flip f{0.0, k, 0};
        if (l > 0) {
            f = {v[k] - bp_[l - 1], k, l - 1};
            any = true;
        }
        if (l < bp_.size()) {
            const double up = bp_[l] - v[k];
            if (!any || up < f.gap) f = {up, k, l + 1};
            any = true;
        }
        if (any && f.gap * f.gap <= r2) flips[nflips++] = f;
    }
    std::sort(flips, flips + nflips,
              [](const flip& a, const flip& b) { return a.gap != b.gap ? a.gap < b.gap : a.k < b.k; });
    const std::size_t m = std::min(nflips, p_.probes);
    out.words.clear();
    out.words.push_back(home_word);
    for (std::uint32_t mask = 1; mask < (1u << m); ++mask) {
        double cost = 0.0;
        motif_word word = home_word;
        for (std::size_t j = 0; j < m; ++j) {
            if (!(mask & (1u << j))) continue;
            cost += flips[j].gap * flips[j].gap;
            word = (word & ~(motif_word{15} << (4 * flips[j].k))) |
                   (static_cast<motif_word>(flips[j].to) << (4 * flips[j].k));
        }
        if (cost <= r2) out.words.push_back(word);
    }
}

bool motif_windows_conflict(std::uint64_t row_a, std::uint64_t start_a, std::uint64_t row_b, std::uint64_t start_b,
                            std::size_t window) noexcept {
    if (row_a != row_b) return false;
    const std::uint64_t d = start_a > start_b ? start_a - start_b : start_b - start_a;
    return 2 * d < window;
}

bool motif_group_before(const motif_group& a, const motif_group& b) noexcept {
    if (a.members.size() != b.members.size()) return a.members.size() > b.members.size();
    if (a.mean_distance != b.mean_distance) return a.mean_distance < b.mean_distance;
    if (a.centre.series_row != b.centre.series_row) return a.centre.series_row < b.centre.series_row;
    return a.centre.start < b.centre.start;
}

std::vector<motif_group> motif_select(std::vector<motif_group> groups, std::size_t window, std::size_t top_k) {
    std::sort(groups.begin(), groups.end(), motif_group_before);
    window_set taken(window);
    std::vector<motif_group> out;
    for (auto& g : groups) {
        if (out.size() >= top_k) break;
        if (taken.conflicts(g)) continue;
        taken.add(g);
        out.push_back(std::move(g));
    }
    return out;
}

std::vector<std::size_t> motif_piece_sizes(std::size_t n, std::size_t max_bucket) {
    if (n == 0) return {};
    const std::size_t pieces = (n + max_bucket - 1) / max_bucket;
    const std::size_t base = n / pieces, extra = n % pieces;
    std::vector<std::size_t> out(pieces, base);
    for (std::size_t j = 0; j < extra; ++j) ++out[j];
    return out;
}

motif_fine_key motif_fine(std::span<const double> z, std::size_t segments) {
    static const std::vector<double> fine_bp = breakpoints(motif_fine_alphabet);
    double v[max_motif_segments];
    paa_into(z, std::span<double>(v, segments));
    motif_fine_key key{};
    for (std::size_t k = 0; k < segments; ++k) key[k] = static_cast<std::uint8_t>(letter_of(v[k], fine_bp));
    return key;
}

std::vector<motif_group> motif_bucket_candidates(std::span<const motif_entry> bucket, const motif_params& p) {
    std::vector<std::size_t> order(bucket.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    const bool split = bucket.size() > p.max_bucket;
    std::vector<motif_fine_key> fine;
    if (split)
        for (const auto& e : bucket) fine.push_back(motif_fine(e.z, p.segments));
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const motif_entry& x = bucket[a];
        const motif_entry& y = bucket[b];
        if (split && fine[a] != fine[b]) return fine[a] < fine[b];
        if (x.window.series_row != y.window.series_row) return x.window.series_row < y.window.series_row;
        return x.window.start < y.window.start;
    });
    std::vector<motif_group> out;
    std::size_t at = 0;
    for (const std::size_t n : motif_piece_sizes(bucket.size(), p.max_bucket)) {
        piece_candidates(bucket, std::span<const std::size_t>(order).subspan(at, n), p, out);
        at += n;
    }
    return out;
}

// ---- The distributed search -----------------------------------------------------------

motif_result find_motifs(const comm& c, std::span<const series_view> local_series, std::uint64_t first_row,
                         const motif_params& p) {
    check_motif_params(p);  // the same on every rank: every rank throws alike
    const std::size_t w = p.window;
    std::int64_t longest = -1;
    std::uint64_t longest_row = 0;
    local_counts counts;
    agreed_phase(c, [&] {
        for (std::size_t i = 0; i < local_series.size(); ++i) {
            const std::size_t n = local_series[i].size();
            if (static_cast<std::int64_t>(n) > longest) {
                longest = static_cast<std::int64_t>(n);
                longest_row = first_row + i;
            }
            if (n >= w) counts.windows += (n - w) / p.step + 1;
        }
    });
    const std::int64_t global_longest = c.max(longest);
    if (global_longest < static_cast<std::int64_t>(w)) {
        if (global_longest < 0) throw input_error("motifs: there are no series to search");
        // The lowest row among the longest series (collective, so every rank names the same).
        const std::int64_t row = -c.max(longest == global_longest ? -static_cast<std::int64_t>(longest_row)
                                                                  : std::numeric_limits<std::int64_t>::min());
        throw input_error("motifs: window " + std::to_string(w) + " is longer than every series (the longest is " +
                          row_text(static_cast<std::uint64_t>(row), global_longest) +
                          "): a window must fit in at least one series");
    }
    const auto rounds = static_cast<std::uint64_t>(c.max(static_cast<std::int64_t>(rounds_needed(counts.windows, p))));
    const auto ranks = static_cast<std::size_t>(c.size());
    std::vector<motif_group> pool;
    entry_source source(local_series, first_row, p, rounds);
    for (std::uint64_t round = 0; round < rounds; ++round) {
        std::vector<std::vector<std::byte>> send(ranks);
        agreed_phase(c, [&] { source.build(round, send, counts); });
        const auto recv = c.alltoallv(std::move(send));
        agreed_phase(c, [&] { process_round(recv, p, pool, counts); });
    }
    motif_result result;
    result.groups = select_distributed(c, pool, p);
    // Counts are integers: their sum does not depend on the order.
    const std::vector<local_counts> all = c.allgather(counts);
    motif_stats& st = result.stats;
    for (const auto& a : all) {
        st.windows += a.windows;
        st.skipped_nan += a.skipped_nan;
        st.skipped_flat += a.skipped_flat;
        st.entries += a.entries;
        st.buckets += a.buckets;
        st.split_buckets += a.split_buckets;
        st.largest_bucket = std::max(st.largest_bucket, a.largest_bucket);
        st.candidates += a.candidates;
    }
    st.rounds = rounds;
    return result;
}

}  // namespace tsbatch
