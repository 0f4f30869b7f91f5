// The fixed combination tree over chunk indices: its shape depends only on the chunk count,
// and folding it from the whole nodes of any split of the chunks into consecutive runs (what
// each rank holds) groups every combination exactly as the one-process fold does.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/chunk_tree.hpp"
#include "core/error.hpp"

namespace tsbatch {
namespace {

// A partial that spells out how it was combined: any change of grouping or order shows.
std::string leaf_name(std::size_t q) {
    return std::to_string(q);
}
void spell(std::string& left, std::string right) {
    left = "(" + left + " " + right + ")";
}

std::string whole_tree(std::size_t chunks) {
    return fold_chunk_tree<std::string>(chunks, leaf_name, spell);
}

// The tree folded from the covers of the runs [cuts[i], cuts[i + 1]).
std::string from_runs(std::size_t chunks, const std::vector<std::size_t>& cuts) {
    std::vector<chunk_tree_node> nodes;
    std::vector<std::string> values;
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i)
        for (const auto& node : chunk_tree_cover(chunks, cuts[i], cuts[i + 1])) {
            nodes.push_back(node);
            values.push_back(fold_chunk_tree_node<std::string>(chunks, node, leaf_name, spell));
        }
    return finish_chunk_tree<std::string>(chunks, nodes, std::move(values), spell);
}

TEST(chunk_tree, is_pairwise_over_chunk_indices) {
    EXPECT_EQ(whole_tree(1), "0");
    EXPECT_EQ(whole_tree(2), "(0 1)");
    EXPECT_EQ(whole_tree(3), "((0 1) 2)");
    EXPECT_EQ(whole_tree(5), "(((0 1) (2 3)) 4)");
    EXPECT_EQ(whole_tree(6), "(((0 1) (2 3)) (4 5))");
    EXPECT_EQ(whole_tree(7), "(((0 1) (2 3)) ((4 5) 6))");
    EXPECT_EQ(whole_tree(8), "(((0 1) (2 3)) ((4 5) (6 7)))");
    EXPECT_EQ(chunk_tree_root(5), (chunk_tree_node{0, 8}));
    EXPECT_EQ(chunk_tree_root(4), (chunk_tree_node{0, 4}));
    EXPECT_THROW((void)whole_tree(0), internal_error);
}

TEST(chunk_tree, covers_a_run_with_its_largest_whole_nodes) {
    // 38 chunks on two ranks: 19 and 19.
    EXPECT_EQ(chunk_tree_cover(38, 0, 19), (std::vector<chunk_tree_node>{{0, 16}, {16, 2}, {18, 1}}));
    EXPECT_EQ(chunk_tree_cover(38, 19, 38), (std::vector<chunk_tree_node>{{19, 1}, {20, 4}, {24, 8}, {32, 8}}));
    // The last node is clipped at the chunk count: [4, 8) of 5 chunks is chunk 4 alone.
    EXPECT_EQ(chunk_tree_cover(5, 0, 5), (std::vector<chunk_tree_node>{{0, 8}}));
    EXPECT_EQ(chunk_tree_cover(5, 2, 5), (std::vector<chunk_tree_node>{{2, 2}, {4, 1}}));
    EXPECT_TRUE(chunk_tree_cover(5, 3, 3).empty());
    EXPECT_THROW((void)chunk_tree_cover(5, 4, 6), internal_error);
}

TEST(chunk_tree, covers_are_few_disjoint_and_in_order) {
    for (std::size_t chunks = 1; chunks <= 70; ++chunks)
        for (std::size_t b = 0; b < chunks; ++b)
            for (std::size_t e = b + 1; e <= chunks; ++e) {
                const auto cover = chunk_tree_cover(chunks, b, e);
                std::size_t at = b, levels = 0;
                while ((std::size_t{1} << levels) < e - b) ++levels;
                EXPECT_LE(cover.size(), 2 * levels + 1) << chunks << " [" << b << ", " << e << ")";
                for (const auto& node : cover) {
                    ASSERT_EQ(node.first, at);
                    EXPECT_EQ(node.first % node.size, 0u);
                    EXPECT_TRUE(node.size == 1 || node.first + node.size / 2 < chunks);  // canonical
                    at = std::min(node.first + node.size, chunks);
                }
                EXPECT_EQ(at, e);
            }
}

TEST(chunk_tree, every_split_into_runs_folds_the_same_tree) {
    // Every split of up to 12 chunks into consecutive runs (each cut point in or out).
    for (std::size_t chunks = 1; chunks <= 12; ++chunks) {
        const auto want = whole_tree(chunks);
        for (std::size_t mask = 0; mask < (std::size_t{1} << (chunks - 1)); ++mask) {
            std::vector<std::size_t> cuts{0};
            for (std::size_t q = 1; q < chunks; ++q)
                if (mask >> (q - 1) & 1) cuts.push_back(q);
            cuts.push_back(chunks);
            ASSERT_EQ(from_runs(chunks, cuts), want) << chunks << " chunks, split " << mask;
        }
    }
    // Larger counts, random splits, empty runs included (a rank without chunks).
    std::mt19937_64 g(3);
    for (std::size_t chunks : {13, 31, 38, 64, 65, 100, 257}) {
        const auto want = whole_tree(chunks);
        for (int trial = 0; trial < 40; ++trial) {
            std::vector<std::size_t> cuts{0};
            const std::size_t runs = 1 + g() % 9;
            for (std::size_t r = 1; r < runs; ++r) cuts.push_back(g() % (chunks + 1));
            cuts.push_back(chunks);
            std::sort(cuts.begin(), cuts.end());
            ASSERT_EQ(from_runs(chunks, cuts), want) << chunks << " chunks, trial " << trial;
        }
    }
}

TEST(chunk_tree, folds_each_leaf_once_in_chunk_order) {
    std::vector<std::size_t> seen;
    const auto leaf = [&](std::size_t q) {
        seen.push_back(q);
        return q;
    };
    const auto add = [](std::size_t& a, std::size_t b) { a += b; };
    EXPECT_EQ(fold_chunk_tree<std::size_t>(11, leaf, add), 55u);
    EXPECT_EQ(seen, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

TEST(chunk_tree, finishing_refuses_nodes_that_do_not_cover_the_chunks) {
    const auto spelled = [](const std::vector<chunk_tree_node>& nodes) {
        std::vector<std::string> values(nodes.size(), "x");
        return finish_chunk_tree<std::string>(6, nodes, values, spell);
    };
    EXPECT_EQ(spelled({{0, 4}, {4, 2}}), "(x x)");
    EXPECT_THROW((void)spelled({{0, 4}}), internal_error);                          // chunks 4, 5 missing
    EXPECT_THROW((void)spelled({{0, 2}, {3, 1}, {4, 2}}), internal_error);          // chunk 2 missing
    EXPECT_THROW((void)spelled({{0, 4}, {4, 2}, {6, 1}}), internal_error);          // beyond the chunks
    EXPECT_THROW((void)spelled({{1, 1}, {0, 1}, {2, 2}, {4, 2}}), internal_error);  // out of order
}

}  // namespace
}  // namespace tsbatch
