#pragma once
// Reductions whose result does not depend on the rank count. Every rank holds a consecutive
// run of the chunks (ranks in chunk order), and the chunk grid is the same for any rank count.
// - reduce_in_chunk_order: small partials (a few numbers per chunk) are gathered and every rank
//   folds them in chunk order.
// - reduce_chunk_tree: large partials (kmeans' k x d sums, pca's M x M co-moments) are
//   combined over the fixed chunk tree (core/chunk_tree.hpp). Each rank folds the whole tree
//   nodes inside its run on its own, at the same time as the others; only those nodes, about
//   2 log2(chunks per rank) per rank, are gathered, and every rank combines them into the
//   root the same way. The tree depends only on the chunk count, so the bits are those of one
//   process folding the same tree (fold_chunk_tree), on any rank count and any placement of
//   the chunks.
// - reduce_chunk_tree_sliced: the same tree for partials that cut into independent slices
//   (kmeans' centroid sums, column by column): each rank finishes one slice of the tree's top
//   and the slices are gathered, so a rank receives far less than every other rank's nodes.
// Floating-point sums therefore come out bit-identical on 1, 2 or N ranks.
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/chunk_tree.hpp"
#include "parallel/comm.hpp"

namespace tsbatch {

/// Collective. `local_partials` holds this rank's per-chunk partials in chunk order.
template <class T, class Fold>
T reduce_in_chunk_order(const comm& c, std::span<const T> local_partials, T init, Fold fold) {
    const std::vector<T> all = c.allgatherv(local_partials);
    for (const T& p : all) init = fold(init, p);
    return init;
}

/// Sum of per-chunk partial sums in chunk order (the common case).
inline double sum_in_chunk_order(const comm& c, std::span<const double> local_partials) {
    return reduce_in_chunk_order(c, local_partials, 0.0, [](double a, double b) { return a + b; });
}

/// This rank's run of the chunk grid: chunks [first, first + count) of `total`.
struct chunk_share {
    std::size_t first = 0;
    std::size_t count = 0;
    std::size_t total = 0;
};

/// Collective: this rank's share from every rank's chunk count (rank 0's chunks first).
inline chunk_share share_of_chunks(const comm& c, std::size_t local_chunks) {
    const auto all = c.allgather(static_cast<std::uint64_t>(local_chunks));
    chunk_share s;
    s.count = local_chunks;
    for (std::size_t r = 0; r < all.size(); ++r) {
        if (static_cast<int>(r) < c.rank()) s.first += all[r];
        s.total += all[r];
    }
    return s;
}

namespace detail {

// This rank's whole nodes of the chunk tree (the cover of its run of chunks), each folded here.
template <class T, class Partial, class Combine>
std::vector<T> fold_own_nodes(const chunk_share& share, std::span<const chunk_tree_node> cover, Partial& partial,
                              Combine& combine) {
    const auto leaf = [&](std::size_t q) -> T { return partial(q - share.first); };
    std::vector<T> folded;
    folded.reserve(cover.size());
    for (const auto& node : cover) folded.push_back(fold_chunk_tree_node<T>(share.total, node, leaf, combine));
    return folded;
}

// A message of nodes: their count, then each node's place and encode_value(w, i) for the i-th.
// The values are large (the reason for the tree), so the message is sized from the first
// node: a rank's nodes are alike in size.
template <class EncodeValue>
std::vector<std::byte> node_message(std::span<const chunk_tree_node> cover, EncodeValue&& encode_value) {
    byte_writer w;
    w.pod(static_cast<std::uint64_t>(cover.size()));
    for (std::size_t i = 0; i < cover.size(); ++i) {
        const std::size_t before = w.size();
        w.pod(static_cast<std::uint64_t>(cover[i].first));
        w.pod(static_cast<std::uint64_t>(cover[i].size));
        encode_value(w, i);
        if (i == 0) w.reserve(w.size() + (cover.size() - 1) * (w.size() - before) + 64);
    }
    return w.take();
}

// Appends the nodes of a node_message and their decoded values.
template <class T, class Decode>
void read_node_message(std::span<const std::byte> message, std::vector<chunk_tree_node>& nodes, std::vector<T>& values,
                       Decode& decode) {
    byte_reader in(message);
    const auto n = in.pod<std::uint64_t>();
    for (std::uint64_t i = 0; i < n; ++i) {
        chunk_tree_node node;
        node.first = static_cast<std::size_t>(in.pod<std::uint64_t>());
        node.size = static_cast<std::size_t>(in.pod<std::uint64_t>());
        nodes.push_back(node);
        values.push_back(decode(in));
    }
}

}  // namespace detail

/// Collective: the fold of every chunk's partial over the chunk tree; `none` when there are no
/// chunks. `partial(q)` is this rank's q-th chunk's partial (q < share.count), computed once,
/// in chunk order; combine(T& left, T right) merges the chunks that follow into `left`.
/// encode(byte_writer&, const T&) appends a partial; decode(byte_reader&) -> T reads it back.
template <class T, class Partial, class Combine, class Encode, class Decode>
T reduce_chunk_tree(const comm& c, const chunk_share& share, Partial&& partial, Combine&& combine, Encode&& encode,
                    Decode&& decode, T none = T{}) {
    if (share.total == 0) return none;
    const auto cover = chunk_tree_cover(share.total, share.first, share.first + share.count);
    std::vector<T> mine = detail::fold_own_nodes<T>(share, cover, partial, combine);
    if (c.size() == 1) return finish_chunk_tree<T>(share.total, cover, std::move(mine), combine);

    // Every rank's nodes, in rank order and so in chunk order.
    const auto bytes = detail::node_message(cover, [&](byte_writer& w, std::size_t i) { encode(w, mine[i]); });
    std::vector<std::size_t> counts;
    const auto all = c.impl().allgatherv(std::span<const std::byte>(bytes), counts);
    std::vector<chunk_tree_node> nodes;
    std::vector<T> values;
    std::size_t at = 0;
    for (std::size_t r = 0; r < counts.size(); ++r) {
        const auto from = std::span<const std::byte>(all).subspan(at, counts[r]);
        at += counts[r];
        if (static_cast<int>(r) == c.rank()) {  // this rank's own nodes stay as they are
            nodes.insert(nodes.end(), cover.begin(), cover.end());
            for (auto& v : mine) values.push_back(std::move(v));
        } else {
            detail::read_node_message(from, nodes, values, decode);
        }
    }
    return finish_chunk_tree<T>(share.total, nodes, std::move(values), combine);
}

/// Collective: reduce_chunk_tree, with the same bits, for partials that cut into slices
/// combined independently of one another (the columns of an elementwise sum), as kmeans' k x d
/// centroid sums do. reduce_chunk_tree gives every rank the nodes of all the others; here
/// rank q gets slice q of every node, finishes the tree's top for that slice alone, and the
/// finished slices are gathered: a reduce-scatter and an allgather. A rank then receives
/// about a total and a 1/R share of the others' nodes instead of all of them (per kmeans
/// iteration on 2 ranks, k = 8, d = 10,000: 1.6 MB instead of 2.56 MB, a gap that widens
/// with the rank count), and combines a 1/R share of the tree's top.
/// encode_slice(byte_writer&, const T&, q, R) appends slice q of R of a partial, which
/// decode(byte_reader&) -> T reads back as a partial of that slice alone; encode(byte_writer&,
/// const T&) appends a finished slice; join(std::vector<T> slices) -> T puts the R slices,
/// in order, back together.
template <class T, class Partial, class Combine, class EncodeSlice, class Encode, class Decode, class Join>
T reduce_chunk_tree_sliced(const comm& c, const chunk_share& share, Partial&& partial, Combine&& combine,
                           EncodeSlice&& encode_slice, Encode&& encode, Decode&& decode, Join&& join, T none = T{}) {
    if (share.total == 0) return none;
    const auto cover = chunk_tree_cover(share.total, share.first, share.first + share.count);
    std::vector<T> mine = detail::fold_own_nodes<T>(share, cover, partial, combine);
    const auto R = static_cast<std::size_t>(c.size());
    if (R == 1) return finish_chunk_tree<T>(share.total, cover, std::move(mine), combine);

    // Slice q of this rank's nodes to rank q (its own slice too, which the exchange keeps here).
    std::vector<std::vector<std::byte>> send(R);
    for (std::size_t q = 0; q < R; ++q)
        send[q] = detail::node_message(cover, [&](byte_writer& w, std::size_t i) { encode_slice(w, mine[i], q, R); });
    mine = {};
    const auto got = c.alltoallv(std::move(send));
    // This rank's slice of every node, in rank order and so in chunk order: the tree's top.
    std::vector<chunk_tree_node> nodes;
    std::vector<T> values;
    for (const auto& message : got) detail::read_node_message(message, nodes, values, decode);
    const T slice = finish_chunk_tree<T>(share.total, nodes, std::move(values), combine);

    // Every rank's finished slice, in slice order.
    byte_writer w;
    encode(w, slice);
    const auto bytes = w.take();
    std::vector<std::size_t> counts;
    const auto all = c.impl().allgatherv(std::span<const std::byte>(bytes), counts);
    std::vector<T> slices;
    slices.reserve(R);
    std::size_t at = 0;
    for (const std::size_t n : counts) {
        byte_reader in(std::span<const std::byte>(all).subspan(at, n));
        at += n;
        slices.push_back(decode(in));
    }
    return join(std::move(slices));
}

}  // namespace tsbatch
