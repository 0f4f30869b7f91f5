#pragma once
// The fixed combination tree over the chunks of a run: how the per-chunk partial sums of the
// dataset-wide reductions (kmeans, pca) are combined, so that the result's bits depend only
// on the chunk count, never on which rank holds which chunks.
//
// Floating-point addition is not associative, so a sum is defined by its grouping. A left fold
// in chunk order is one grouping, but across ranks it is a chain: each rank waits for the
// running value of the rank before it. The tree here is pairwise over chunk indices: a node
// covers chunks [first, first + size), size a power of two and first a multiple of it, and
// combines its left half with its right half; nodes are clipped at the chunk count, and a
// node whose right half is empty is its left half. Its shape is fixed by the chunk count, and
// any consecutive run of chunks splits into O(log chunks) whole nodes (chunk_tree_cover), so
// a rank folds those nodes on its own and only they cross ranks (parallel/ordered_reduce.hpp).
// The kernels fold the whole tree in one process (fold_chunk_tree) and get the same bits.
//
// Combine(T& left, T right): merges `right`, the chunks that follow, into `left`.
#include <algorithm>
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace tsbatch {

/// A node of the chunk tree: chunks [first, min(first + size, chunk count)). Nodes are kept
/// in their one canonical form: size 1, or a right half that holds a chunk.
struct chunk_tree_node {
    std::size_t first = 0;
    std::size_t size = 1;

    friend bool operator==(const chunk_tree_node&, const chunk_tree_node&) = default;
};

namespace detail {

// The canonical node of [first, first + size) among `chunks` chunks: halved while the right
// half is empty (it then holds exactly what its left half holds).
inline chunk_tree_node canonical_node(std::size_t chunks, std::size_t first, std::size_t size) {
    while (size > 1 && first + size / 2 >= chunks) size /= 2;
    return {first, size};
}

}  // namespace detail

/// The root of the tree over `chunks` (>= 1) chunks.
inline chunk_tree_node chunk_tree_root(std::size_t chunks) {
    std::size_t size = 1;
    while (size < chunks) size *= 2;
    return detail::canonical_node(chunks, 0, size);
}

/// The largest nodes lying wholly in chunks [begin, end) (end <= chunks), in chunk order:
/// together they cover [begin, end) once. At most about 2 log2(end - begin) of them.
inline std::vector<chunk_tree_node> chunk_tree_cover(std::size_t chunks, std::size_t begin, std::size_t end) {
    if (begin > end || end > chunks) throw internal_error("chunk_tree_cover: the range is not within the chunks");
    std::vector<chunk_tree_node> out;
    for (std::size_t p = begin; p < end;) {
        std::size_t size = 1;
        // Double while p starts the doubled node, its right half holds a chunk (canonical)
        // and its chunks end within the range.
        while (p % (2 * size) == 0 && p + size < chunks && std::min(p + 2 * size, chunks) <= end) size *= 2;
        out.push_back({p, size});
        p = std::min(p + size, chunks);
    }
    return out;
}

/// The fold of `node` from its chunks' partials, leaf(q) for chunk q, combined pairwise.
/// Holds at most one partial per level of the node at a time.
template <class T, class Leaf, class Combine>
T fold_chunk_tree_node(std::size_t chunks, chunk_tree_node node, Leaf& leaf, Combine& combine) {
    if (node.size == 1) return leaf(node.first);
    const std::size_t half = node.size / 2;
    T left = fold_chunk_tree_node<T>(chunks, {node.first, half}, leaf, combine);
    T right = fold_chunk_tree_node<T>(chunks, detail::canonical_node(chunks, node.first + half, half), leaf, combine);
    combine(left, std::move(right));
    return left;
}

/// The fold of all `chunks` (>= 1) chunks in one process: the root of the tree.
template <class T, class Leaf, class Combine>
T fold_chunk_tree(std::size_t chunks, Leaf&& leaf, Combine&& combine) {
    if (chunks == 0) throw internal_error("fold_chunk_tree: no chunks");
    return fold_chunk_tree_node<T>(chunks, chunk_tree_root(chunks), leaf, combine);
}

namespace detail {

template <class T, class Combine>
T finish_node(std::size_t chunks, chunk_tree_node node, std::span<const chunk_tree_node> nodes, std::vector<T>& values,
              std::size_t& next, Combine& combine) {
    if (next >= nodes.size() || nodes[next].first != node.first || nodes[next].size > node.size)
        throw internal_error("finish_chunk_tree: the nodes do not cover the chunks in order");
    if (nodes[next].size == node.size) return std::move(values[next++]);
    const std::size_t half = node.size / 2;
    T left = finish_node(chunks, {node.first, half}, nodes, values, next, combine);
    T right = finish_node(chunks, canonical_node(chunks, node.first + half, half), nodes, values, next, combine);
    combine(left, std::move(right));
    return left;
}

}  // namespace detail

/// The fold of all `chunks` (>= 1) chunks from the folds of `nodes`, nodes that cover the
/// chunks once in chunk order (the chunk_tree_covers of consecutive ranges, one after the
/// other): the levels above them, combined as fold_chunk_tree combines them.
template <class T, class Combine>
T finish_chunk_tree(std::size_t chunks, std::span<const chunk_tree_node> nodes, std::vector<T> values,
                    Combine&& combine) {
    if (chunks == 0 || values.size() != nodes.size()) throw internal_error("finish_chunk_tree: no chunks or no values");
    std::size_t next = 0;
    T root = detail::finish_node(chunks, chunk_tree_root(chunks), nodes, values, next, combine);
    if (next != nodes.size()) throw internal_error("finish_chunk_tree: nodes beyond the chunks");
    return root;
}

}  // namespace tsbatch
