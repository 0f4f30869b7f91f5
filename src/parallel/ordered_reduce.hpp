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

/// Collective: the fold of every chunk's partial over the chunk tree; `none` when there are no
/// chunks. `partial(q)` is this rank's q-th chunk's partial (q < share.count), computed once,
/// in chunk order; combine(T& left, T right) merges the chunks that follow into `left`.
/// encode(byte_writer&, const T&) appends a partial; decode(byte_reader&) -> T reads it back.
template <class T, class Partial, class Combine, class Encode, class Decode>
T reduce_chunk_tree(const comm& c, const chunk_share& share, Partial&& partial, Combine&& combine, Encode&& encode,
                    Decode&& decode, T none = T{}) {
    if (share.total == 0) return none;
    const auto leaf = [&](std::size_t q) -> T { return partial(q - share.first); };
    // The whole nodes of this rank's run, folded here.
    const auto cover = chunk_tree_cover(share.total, share.first, share.first + share.count);
    std::vector<T> mine;
    mine.reserve(cover.size());
    for (const auto& node : cover) mine.push_back(fold_chunk_tree_node<T>(share.total, node, leaf, combine));
    if (c.size() == 1) return finish_chunk_tree<T>(share.total, cover, std::move(mine), combine);

    // Every rank's nodes, in rank order and so in chunk order. The partials are large (the
    // reason for the tree), so they are written once into the message and read once out of
    // it; the writer is sized from the first node, as a rank's partials are alike in size.
    byte_writer w;
    w.pod(static_cast<std::uint64_t>(cover.size()));
    for (std::size_t i = 0; i < cover.size(); ++i) {
        const std::size_t before = w.size();
        w.pod(static_cast<std::uint64_t>(cover[i].first));
        w.pod(static_cast<std::uint64_t>(cover[i].size));
        encode(w, mine[i]);
        if (i == 0) w.reserve(w.size() + (cover.size() - 1) * (w.size() - before) + 64);
    }
    const auto bytes = w.take();
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
            continue;
        }
        byte_reader in(from);
        const auto n = in.pod<std::uint64_t>();
        for (std::uint64_t i = 0; i < n; ++i) {
            chunk_tree_node node;
            node.first = static_cast<std::size_t>(in.pod<std::uint64_t>());
            node.size = static_cast<std::size_t>(in.pod<std::uint64_t>());
            nodes.push_back(node);
            values.push_back(decode(in));
        }
    }
    return finish_chunk_tree<T>(share.total, nodes, std::move(values), combine);
}

}  // namespace tsbatch
