// The chunk-tree reduction across simulated ranks: every rank gets the bits of one process
// folding the same tree, whatever the rank count and wherever the chunks lie, and each rank
// computes each of its chunks' partials once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/chunk_tree.hpp"
#include "parallel/ordered_reduce.hpp"
#include "simulated_comm.hpp"

namespace tsbatch {
namespace {

void encode_text(byte_writer& w, const std::string& s) {
    w.text(s);
}
std::string decode_text(byte_reader& r) {
    return r.text();
}
void spell(std::string& left, std::string right) {
    left = "(" + left + " " + right + ")";
}

// Runs `reduce(c, share, partial)` (a chunk-tree reduction) on `cuts.size() - 1` ranks, rank r
// holding chunks [cuts[r], cuts[r + 1]), each chunk's partial leaf(q); returns every rank's
// result.
template <class T, class Leaf, class Reduce>
std::vector<T> on_ranks_by(const std::vector<std::size_t>& cuts, Leaf leaf, Reduce reduce) {
    const int ranks = static_cast<int>(cuts.size()) - 1;
    std::vector<T> out(static_cast<std::size_t>(ranks));
    std::mutex mu;
    run_simulated(ranks, [&](const comm& c) {
        const auto r = static_cast<std::size_t>(c.rank());
        const auto share = share_of_chunks(c, cuts[r + 1] - cuts[r]);
        EXPECT_EQ(share.first, cuts[r]);
        EXPECT_EQ(share.total, cuts.back());
        std::vector<int> computed(share.count, 0);
        const auto partial = [&](std::size_t q) {
            ++computed.at(q);
            return leaf(share.first + q);
        };
        T v = reduce(c, share, partial);
        for (const int n : computed) EXPECT_EQ(n, 1) << "a chunk's partial computed " << n << " times";
        const std::lock_guard<std::mutex> lock(mu);
        out[r] = std::move(v);
    });
    return out;
}

// reduce_chunk_tree on the ranks of on_ranks_by.
template <class T, class Leaf, class Combine, class Encode, class Decode>
std::vector<T> on_ranks(const std::vector<std::size_t>& cuts, Leaf leaf, Combine combine, Encode encode,
                        Decode decode) {
    return on_ranks_by<T>(cuts, leaf, [&](const comm& c, const chunk_share& share, const auto& partial) {
        return reduce_chunk_tree<T>(c, share, partial, combine, encode, decode);
    });
}

// Placements of `chunks` chunks on `ranks` ranks: even, front- and back-loaded, random (with
// ranks that hold nothing).
std::vector<std::vector<std::size_t>> placements(std::size_t chunks, std::size_t ranks, std::mt19937_64& g) {
    std::vector<std::vector<std::size_t>> out;
    std::vector<std::size_t> even, front, back;
    for (std::size_t r = 0; r <= ranks; ++r) {
        even.push_back(chunks * r / ranks);
        front.push_back(r == 0 ? 0 : std::max(chunks * r / ranks, chunks > ranks - r ? chunks - (ranks - r) : 0));
        back.push_back(r == ranks ? chunks : std::min(r, chunks));
    }
    out = {even, front, back};
    for (int trial = 0; trial < 6; ++trial) {
        std::vector<std::size_t> cuts{0};
        for (std::size_t r = 1; r < ranks; ++r) cuts.push_back(g() % (chunks + 1));
        cuts.push_back(chunks);
        std::sort(cuts.begin(), cuts.end());
        out.push_back(cuts);
    }
    return out;
}

class chunk_tree_ranks : public ::testing::TestWithParam<int> {};

TEST_P(chunk_tree_ranks, combines_in_the_one_process_order_on_any_placement) {
    const auto ranks = static_cast<std::size_t>(GetParam());
    std::mt19937_64 g(static_cast<std::uint64_t>(ranks));
    for (const std::size_t chunks : {1, 2, 5, 8, 13, 38, 64, 100}) {
        const auto name = [](std::size_t q) { return std::to_string(q); };
        const auto want = fold_chunk_tree<std::string>(chunks, name, spell);
        for (const auto& cuts : placements(chunks, ranks, g)) {
            const auto got = on_ranks<std::string>(cuts, name, spell, encode_text, decode_text);
            for (std::size_t r = 0; r < ranks; ++r)
                ASSERT_EQ(got[r], want) << chunks << " chunks, rank " << r << " of " << ranks << ", holding from chunk "
                                        << cuts[r] << " to " << cuts[r + 1];
        }
    }
}

TEST_P(chunk_tree_ranks, sums_have_the_one_process_bits) {
    // Terms of very different sizes, so that every grouping rounds differently.
    const auto ranks = static_cast<std::size_t>(GetParam());
    std::mt19937_64 g(100 + static_cast<std::uint64_t>(ranks));
    const std::size_t chunks = 37;
    std::vector<double> term(chunks);
    std::normal_distribution<double> nd;
    for (auto& t : term) t = 1.0 + 0.25 * nd(g);
    term[0] = 1e16;  // a left fold loses the small terms one by one, the tree adds them first
    const auto leaf = [&](std::size_t q) { return term[q]; };
    const auto add = [](double& a, double b) { a += b; };
    const auto encode = [](byte_writer& w, const double& v) { w.pod(v); };
    const auto decode = [](byte_reader& r) { return r.pod<double>(); };
    const double want = fold_chunk_tree<double>(chunks, leaf, add);
    double left = 0.0;
    for (const double t : term) left += t;
    ASSERT_NE(left, want) << "the terms do not tell the tree from a left fold";
    for (const auto& cuts : placements(chunks, ranks, g))
        for (const double got : on_ranks<double>(cuts, leaf, add, encode, decode))
            EXPECT_EQ(std::memcmp(&got, &want, sizeof got), 0) << got << " vs " << want;
}

// A partial that slices: one spelled tree per element, combined element by element.
using spelled = std::vector<std::string>;

void spell_each(spelled& left, spelled right) {
    for (std::size_t e = 0; e < left.size(); ++e) spell(left[e], std::move(right[e]));
}
void encode_spelled_slice(byte_writer& w, const spelled& p, std::size_t q, std::size_t slices) {
    const std::size_t begin = q * p.size() / slices, end = (q + 1) * p.size() / slices;
    w.pod(static_cast<std::uint64_t>(end - begin));
    for (std::size_t e = begin; e < end; ++e) w.text(p[e]);
}
void encode_spelled(byte_writer& w, const spelled& p) {
    encode_spelled_slice(w, p, 0, 1);
}
spelled decode_spelled(byte_reader& r) {
    spelled p(r.pod<std::uint64_t>());
    for (auto& e : p) e = r.text();
    return p;
}
spelled join_spelled(std::vector<spelled> slices) {
    spelled p;
    for (auto& s : slices) p.insert(p.end(), s.begin(), s.end());
    return p;
}

TEST_P(chunk_tree_ranks, sliced_combines_every_element_in_the_one_process_order) {
    const auto ranks = static_cast<std::size_t>(GetParam());
    std::mt19937_64 g(200 + static_cast<std::uint64_t>(ranks));
    // Fewer elements than ranks too: some ranks then finish an empty slice.
    for (const std::size_t elements : {1, 3, 11})
        for (const std::size_t chunks : {1, 2, 5, 13, 38}) {
            const auto leaf = [&](std::size_t q) {
                spelled p;
                for (std::size_t e = 0; e < elements; ++e) p.push_back(std::to_string(q) + "." + std::to_string(e));
                return p;
            };
            const auto want = fold_chunk_tree<spelled>(chunks, leaf, spell_each);
            for (const auto& cuts : placements(chunks, ranks, g)) {
                const auto got =
                    on_ranks_by<spelled>(cuts, leaf, [&](const comm& c, const chunk_share& share, const auto& partial) {
                        return reduce_chunk_tree_sliced<spelled>(c, share, partial, spell_each, encode_spelled_slice,
                                                                 encode_spelled, decode_spelled, join_spelled);
                    });
                for (std::size_t r = 0; r < ranks; ++r)
                    ASSERT_EQ(got[r], want) << elements << " elements, " << chunks << " chunks, rank " << r << " of "
                                            << ranks << ", holding from chunk " << cuts[r] << " to " << cuts[r + 1];
            }
        }
}

INSTANTIATE_TEST_SUITE_P(simulated, chunk_tree_ranks, ::testing::Values(1, 2, 3, 5, 8));

TEST(chunk_tree_reduce, without_chunks_gives_none) {
    run_simulated(3, [](const comm& c) {
        const auto share = share_of_chunks(c, 0);
        EXPECT_EQ(share.total, 0u);
        const auto v = reduce_chunk_tree<std::string>(
            c, share,
            [](std::size_t q) {
                ADD_FAILURE() << "chunk " << q << " computed, but there are none";
                return std::string();
            },
            spell, encode_text, decode_text, std::string("none"));
        EXPECT_EQ(v, "none");
        const auto sliced = reduce_chunk_tree_sliced<spelled>(
            c, share,
            [](std::size_t q) {
                ADD_FAILURE() << "chunk " << q << " computed, but there are none";
                return spelled();
            },
            spell_each, encode_spelled_slice, encode_spelled, decode_spelled, join_spelled, spelled{"none"});
        EXPECT_EQ(sliced, spelled{"none"});
    });
}

}  // namespace
}  // namespace tsbatch
