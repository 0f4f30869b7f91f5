#include "algo/dataset/motifs.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <utility>

#include "algo/kernels/vector_lanes.hpp"
#include "core/error.hpp"
#include "parallel/agreement.hpp"

namespace tsbatch {
namespace {

// The most rounds the exchange is split into (64 Ki: beyond that a round holds a few windows).
constexpr std::uint64_t max_rounds = 1u << 16;

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
    motif_window_set taken(p.window);
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
