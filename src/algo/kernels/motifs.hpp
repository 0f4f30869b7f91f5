#pragma once
// Kernels of the dataset-wide `motifs` operator: cross-series motif discovery, i.e. groups of
// similar windows seen in different series (the same pumping signature at several wells).
// IKATS's random projections did this job with a collision matrix over every pair of
// sequences, which needed 16 GB; this method keeps per-rank memory bounded and is exact in
// its verification. One rank's part; algo/dataset/motifs.hpp is the distributed search.
//
// Windows. A window is w = `window` consecutive points of one series (points, not a
// duration: resample irregular series first when a duration matters), starting at 0, step,
// 2*step, ... (while it fits). Windows holding a NaN or an infinity are skipped. Each window
// is z-normalised: x is scaled by the power of two that puts max|x| in [0.5, 1) (exact, so
// no square overflows or underflows whatever the magnitude), then mean = sum / w and the
// population std = sqrt(sum (x - mean)^2 / w), both sums in the lane order below, and
// z = (x - mean) / std. A window with std <= 1e-13 * |mean| (or all zeros) is flat and
// skipped: z-normalising it would blow rounding noise up into a full-scale shape, and every
// flat window would then "match" every other one; flat lines are not motifs (the same rule
// as pattern_search).
//
// Distance: the z-normalised Euclidean distance d = sqrt(sum_i (za_i - zb_i)^2), the sum in
// lane order: eight lanes, lane j adding the squares of elements j, j+8, j+16, ... of the
// whole blocks of 8 in order, the lanes added in order 0..7, then the tail elements in order.
// d^2 = 2w(1 - r) with r the Pearson correlation of the two windows, so d ranges over
// [0, 2 sqrt(w)] and d / sqrt(w) does not depend on w.
//
// Radius. `radius` is relative to sqrt(w): two windows are neighbours when
// d^2 <= radius^2 * w, i.e. r >= 1 - radius^2 / 2. The default 0.2 means r >= 0.98: random
// walks (groundwater levels look like them) already reach r ~ 0.97 between windows of
// unrelated series by chance when a few hundred windows per series are compared, so looser
// radii mostly collect trends; a recurring signature with noise at a few percent of its
// amplitude stays well inside 0.2 (tests/fixtures/make_motif_fixtures.py). For w = 64 the
// default is d <= 1.6; radius 2 (r >= -1) makes every pair neighbours.
//
// Groups and their order. A group is a centre window and, for each OTHER series, its window
// closest to the centre among the candidates within the radius (equal distances: the lower
// start); at most one member per series, so a group counts distinct sensors. A group needs one
// member at least. Groups are ranked by number of series (centre included) descending, then
// mean member distance ascending (the members' distances added in series-row order, divided
// by their number), then the centre's (series_row, start). Two windows conflict when they are
// in the same series and 2|start_a - start_b| < w (they overlap by more than half); two groups
// conflict when any window of one conflicts with any window of the other. Selection is greedy:
// walk the ranked groups and keep each that conflicts with none kept so far.
//
// Candidates (the method; why it is not all pairs). Every window is reduced to a SAX word:
// the PAA of z over `segments` equal parts (point i covers [i*S, (i+1)*S) and segment k covers
// [k*w, (k+1)*w) in units of 1/S point; a point cut by a boundary counts in both, weighted by
// its overlap; the weighted sum is taken left to right and divided by w), each segment value
// lettered by the N(0,1) breakpoints of `alphabet` (letter = number of breakpoints strictly
// below). The PAA lower-bounds the distance: d^2 >= (w/S) * sum_k (PAA_a,k - PAA_b,k)^2, so two
// neighbours have PAA vectors within radius * sqrt(S) of each other. Probing: for each segment
// the nearest other letter is the one across the nearest breakpoint (the lower one on a tie),
// at a gap g_k; the segments with g_k^2 <= radius^2 * S are sorted by (g_k, k) and the first
// `probes` of them kept; every non-empty subset of their flips whose cost sum g_k^2 (added in
// that order) is <= radius^2 * S gives a further word. A window is routed to the bucket of each
// of its words: to the bucket of its main (unflipped) word as a "home" entry, to the others as
// a visitor. In each bucket, the centres are the home entries, and the candidates of a centre
// are every entry of the bucket from another series. So a centre c sees a window v exactly when
// one of v's words is c's main word: every true neighbour whose PAA differs from c's by flips
// among v's `probes` most uncertain segments is found. Recall here means the fraction of the
// brute-force members (closest window within the radius per series, for each centre) that
// the method also finds; on 30 random walks of 400 points with w = 64 and the other defaults
// it was 0.66 / 0.87 / 0.965 / 0.998 for probes 0 / 1 / 2 / 3 (each probe doubles the
// entries, hence the default 2). Misses are neighbours whose PAA crosses a breakpoint in a
// segment v did not probe, or crosses two letters at once.
//
// Huge buckets. A bucket of more than `max_bucket` entries (a common shape, e.g. a steady rise
// on random-walk data, makes a few words very frequent) is sorted by its entries' fine keys
// (the same PAA values lettered with 64 N(0,1) letters, compared segment by segment), then
// (series_row, start), and cut into ceil(n / max_bucket) consecutive pieces of as equal sizes
// as possible (the first n mod pieces one larger); each piece is a bucket of its own. The
// work per entry is thus at most max_bucket distance computations, whatever the data; the
// price is that neighbours sorted into different pieces are not compared. Within a piece,
// Keogh's PAA lower bound on L = min(16, w) segments, d^2 >= (w/L) sum (PAA_a - PAA_b)^2, and
// early abandoning skip most of the work (98% of the pairs of random-walk buckets); both skip
// only pairs beyond radius^2 * w * (1 + 1e-6), far above the rounding of either sum, so they
// never change a result.
//
// Bounded memory, two stages of selection. Each bucket piece forms the groups of its centres
// exactly and greedily selects among them; the selected groups of a piece are disjoint, so
// they hold at most as many windows as the piece. Only these go on: the candidates. The
// answer is the greedy selection (top_k) over all candidates of all buckets.
// A group that loses against a better group of its own piece is not a candidate, even where
// that better group is later beaten by a conflicting group of another bucket: the price of
// never holding all groups (on the fixture the answer equals the brute force's top group).
//
// Distribution (find_motifs). Each rank encodes its own windows; an entry (48 bytes and the
// window's w z-values) goes to the rank chosen by a hash of its word, so a bucket is whole on
// one rank. Entries travel in rounds, an entry's round chosen by another part of the same
// hash; R rounds, the fewest that keep the largest rank's entries per round (bounded above by
// its grid windows times 2^probes) within `exchange_bytes`. Each round is one alltoallv; the
// owner sorts what it received, processes its buckets and keeps only their candidates.
// Memory per rank: its own series; about three times exchange_bytes during a round (what it
// sends, what it receives, the z-values copied out of the messages); with R > 1, the words of
// its windows (2 bytes a grid window and 8 an entry, so later rounds skip the encoding); and
// its candidates (at most its share of the entries, 40 bytes a window). Nothing grows with the
// number of series other ranks hold; the one excess is a bucket larger than a round, which is
// routed whole to its owner (a word that frequent cannot be split without being compared).
// The final selection is exact and distributed: up to top_k steps, each rank proposes its
// best candidate that conflicts with nothing selected yet, every rank gathers the proposals
// and selects the best; this is the sequential greedy over the union of the candidates.
// Speed, one core: 1000 random walks of 2000 points, w = 64 and the defaults (1.9 M windows,
// 7.7 M entries, 17 rounds of 256 MiB) take about 37 s (50 000 windows/s) in 0.74 GB.
//
// Determinism: buckets, their pieces, their groups and the candidates depend only on the
// data and the parameters (never on the rank count, the number of rounds or the order of
// arrival: entries are sorted before use), and the selection order is total, so the answer
// is the same bits, in the same order, on every rank and for any number of ranks.
//
// Why not all pairs: an exact cross-series join (matrix-profile style) costs O(N^2 w) for N
// windows and, distributed, needs every rank to see every other rank's windows; IKATS's
// collision matrix was O(N^2) memory. Buckets make the work about N * max_bucket and the
// memory per rank its own share, at the price of the recall above.
#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "core/series.hpp"

namespace tsbatch {

struct motif_params {
    std::size_t window = 0;                   ///< w points, >= 4 (required)
    std::size_t top_k = 10;                   ///< groups reported, >= 1
    double radius = 0.2;                      ///< neighbours: d <= radius * sqrt(w); (0, 2]
    std::size_t step = 1;                     ///< between window starts, >= 1
    std::size_t segments = 8;                 ///< PAA segments of the SAX word, 1..16, <= window
    std::size_t alphabet = 4;                 ///< SAX letters, 2..16
    std::size_t probes = 2;                   ///< uncertain segments flipped, 0..min(8, segments)
    std::size_t max_bucket = 1024;            ///< bucket pieces hold at most this many entries, >= 2
    std::size_t exchange_bytes = 256u << 20;  ///< per rank and round, >= 64 KiB (result-neutral)
};

inline constexpr std::size_t min_motif_window = 4;
inline constexpr std::size_t max_motif_window = 1'000'000;
inline constexpr std::size_t max_motif_segments = 16;
inline constexpr std::size_t max_motif_alphabet = 16;
inline constexpr std::size_t max_motif_probes = 8;
inline constexpr std::size_t motif_fine_alphabet = 64;
inline constexpr std::size_t min_motif_exchange_bytes = 64u << 10;

/// Throws param_error naming the parameter when `p` breaks a constraint above.
void check_motif_params(const motif_params& p);

/// The neighbour threshold in distance units: radius * sqrt(window).
double motif_threshold(const motif_params& p);

/// A window of a series: its global row, first point and the times of its first and last points.
struct motif_window {
    std::uint64_t series_row = 0;
    std::uint64_t start = 0;
    std::int64_t start_time = 0;
    std::int64_t end_time = 0;
};

/// A member of a group: a window of another series and its distance to the centre.
struct motif_member {
    std::uint64_t series_row = 0;
    std::uint64_t start = 0;
    std::int64_t start_time = 0;
    std::int64_t end_time = 0;
    double distance = 0.0;  ///< z-normalised Euclidean distance to the centre, <= radius * sqrt(w)
};

struct motif_group {
    motif_window centre;
    std::vector<motif_member> members;  ///< one per other series, by series_row ascending; >= 1
    double mean_distance = 0.0;         ///< members' distances added in row order / their number

    std::size_t series_count() const noexcept { return members.size() + 1; }
};

// ---- Building blocks (exact definitions in the header comment) --------------------------

enum class motif_window_status { ok, non_finite, flat };

/// z-normalises the window x into z (same size): ok, or why the window is skipped (z is then
/// unspecified).
motif_window_status motif_znormalize(std::span<const double> x, std::span<double> z);

/// sum_i (a_i - b_i)^2 in lane order (a and b of equal size).
double motif_squared_distance(std::span<const double> a, std::span<const double> b) noexcept;

/// The fine key: the PAA values lettered with 64 letters, segment by segment (unused: 0).
using motif_fine_key = std::array<std::uint8_t, max_motif_segments>;

/// A SAX word packed 4 bits a letter, segment k in bits [4k, 4k + 4).
using motif_word = std::uint64_t;

/// The words of one window: the main word first, then the probe words.
struct motif_code {
    std::vector<motif_word> words;
};

/// The fine key of z-normalised values (the PAA of `segments` segments on 64 letters).
motif_fine_key motif_fine(std::span<const double> z, std::size_t segments);

/// Encodes z-normalised windows with bound parameters (breakpoints computed once).
class motif_encoder {
public:
    /// Throws param_error for invalid `p`.
    explicit motif_encoder(const motif_params& p);
    /// The PAA of z (z.size() == window) into out (out.size() == segments).
    void paa(std::span<const double> z, std::span<double> out) const;
    /// The words of z; reuses `out`'s storage.
    void encode(std::span<const double> z, motif_code& out) const;
    /// The letter of segment k of `w`.
    static unsigned letter(motif_word w, std::size_t k) noexcept { return static_cast<unsigned>((w >> (4 * k)) & 15u); }

private:
    motif_params p_;
    std::vector<double> bp_;  // alphabet - 1 breakpoints
};

/// Whether two windows conflict: same series and 2|start_a - start_b| < window.
bool motif_windows_conflict(std::uint64_t row_a, std::uint64_t start_a, std::uint64_t row_b, std::uint64_t start_b,
                            std::size_t window) noexcept;

/// The ranking: more series, then smaller mean distance, then centre (series_row, start).
bool motif_group_before(const motif_group& a, const motif_group& b) noexcept;

/// The greedy selection of at most top_k non-conflicting groups from `groups`, in rank order.
std::vector<motif_group> motif_select(std::vector<motif_group> groups, std::size_t window, std::size_t top_k);

/// One entry of a bucket as its owner sees it: the window, whether this is its main word,
/// and its z-normalised values (window values).
struct motif_entry {
    motif_window window;
    bool home = false;
    std::span<const double> z;
};

/// The candidates of one bucket (all entries share a word): sorted and cut into pieces as
/// above, the groups of each piece's home centres formed exactly, the greedy selection of
/// each piece, the pieces' selections concatenated in piece order. Checks nothing: `p` must
/// be valid and every z of size p.window.
std::vector<motif_group> motif_bucket_candidates(std::span<const motif_entry> bucket, const motif_params& p);

/// Sizes of the pieces of a bucket of n entries (one piece when n <= max_bucket).
std::vector<std::size_t> motif_piece_sizes(std::size_t n, std::size_t max_bucket);

/// The windows of the groups selected so far: a group conflicts when one of its windows
/// overlaps a taken one by more than half a window (2|s - s'| < w) in the same series.
class motif_window_set {
public:
    explicit motif_window_set(std::size_t window) : half_((window - 1) / 2) {}

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

}  // namespace tsbatch
