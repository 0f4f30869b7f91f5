// The dot-product form of lag-0 correlation (correlation_dot.hpp): the same r as correlate()
// (checked against numpy and scipy in test_correlation.cpp) to rounding, for any shape of
// tile, and the same bits for the same call. That the tile engine only ever makes calls whose
// contents the rank count does not change is tested with the operator
// (test_correlation_op.cpp, on simulated ranks).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "algo/kernels/correlation.hpp"
#include "algo/kernels/correlation_dot.hpp"

namespace tsbatch {
namespace {

struct owned_series {
    std::vector<std::int64_t> time;
    std::vector<double> value;
    series_view view() const { return {time, value}; }
};

std::vector<owned_series> random_series(std::size_t count, std::size_t n, std::uint64_t seed) {
    std::mt19937_64 g(seed);
    std::normal_distribution<double> d(0.0, 1.0);
    std::vector<double> common(n);
    for (auto& v : common) v = d(g);
    std::vector<owned_series> out(count);
    for (std::size_t s = 0; s < count; ++s) {
        for (std::size_t t = 0; t < n; ++t) {
            out[s].time.push_back(static_cast<std::int64_t>(t) * 1000);
            // Correlated through `common`, with an offset far from 0 to exercise centring.
            out[s].value.push_back(1e6 + common[t] * static_cast<double>(s % 3) + d(g));
        }
    }
    return out;
}

bool same_bits(double a, double b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

// Unit vectors of `s` as the rows of one matrix, and pointers to them.
struct unit_rows {
    std::vector<double> values;
    std::vector<const double*> rows;
};

unit_rows unit_rows_of(const std::vector<owned_series>& s, corr_method method) {
    unit_rows u;
    const std::size_t n = s.front().value.size();
    for (const auto& x : s) {
        const auto v = make_unit_vector(x.view(), method, 2);
        EXPECT_EQ(v.st, corr_unit_vector::state::usable);
        u.values.insert(u.values.end(), v.z.begin(), v.z.end());
    }
    for (std::size_t i = 0; i < s.size(); ++i) u.rows.push_back(u.values.data() + i * n);
    return u;
}

TEST(correlation_dot, block_agrees_with_correlate_for_any_shape) {
    for (auto method : {corr_method::pearson, corr_method::spearman})
        for (std::size_t n : {2u, 3u, 5u, 17u, 1024u, 3001u}) {
            const auto s = random_series(11, n, n);
            const auto u = unit_rows_of(s, method);
            corr_params p;
            p.method = method;
            p.min_overlap = 2;
            corr_dot_scratch scratch;
            for (std::size_t na : {1u, 2u, 7u, 11u})
                for (std::size_t nb : {1u, 3u, 11u}) {
                    std::vector<double> out(na * nb);
                    unit_dot_block(std::span(u.rows).first(na), std::span(u.rows).last(nb), n, out, scratch);
                    for (std::size_t i = 0; i < na; ++i)
                        for (std::size_t j = 0; j < nb; ++j) {
                            const auto want = correlate(s[i].view(), s[11 - nb + j].view(), p);
                            ASSERT_EQ(want.at_zero.status, corr_status::ok);
                            EXPECT_NEAR(out[i * nb + j], want.at_zero.r, 1e-13)
                                << "n " << n << " " << na << "x" << nb << " " << i << "," << j;
                            EXPECT_LE(std::fabs(out[i * nb + j]), 1.0);
                        }
                }
        }
}

TEST(correlation_dot, the_same_call_gives_the_same_bits_in_place_or_gathered) {
    const std::size_t n = 2051;
    const auto s = random_series(40, n, 3);
    const auto u = unit_rows_of(s, corr_method::pearson);
    // The same vectors as scattered copies, which unit_dot_block must gather first.
    std::vector<std::vector<double>> copies;
    std::vector<const double*> scattered;
    for (const double* row : u.rows) copies.emplace_back(row, row + n);
    for (const auto& c : copies) scattered.push_back(c.data());
    corr_dot_scratch scratch;
    std::vector<double> in_place(40 * 40), gathered(40 * 40), again(40 * 40);
    unit_dot_block(u.rows, u.rows, n, in_place, scratch);
    unit_dot_block(scattered, scattered, n, gathered, scratch);
    unit_dot_block(u.rows, scattered, n, again, scratch);
    for (std::size_t k = 0; k < in_place.size(); ++k) {
        ASSERT_TRUE(same_bits(in_place[k], gathered[k])) << k;
        ASSERT_TRUE(same_bits(in_place[k], again[k])) << k;
    }
}

TEST(correlation_dot, gram_is_symmetric_and_agrees_with_correlate) {
    const std::size_t n = 1500;
    const auto s = random_series(9, n, 11);
    const auto u = unit_rows_of(s, corr_method::pearson);
    corr_dot_scratch scratch;
    std::vector<double> gram(9 * 9), again(9 * 9);
    unit_dot_gram(u.rows, n, gram, scratch);
    unit_dot_gram(u.rows, n, again, scratch);
    corr_params p;
    for (std::size_t i = 0; i < 9; ++i)
        for (std::size_t j = 0; j < 9; ++j) {
            ASSERT_TRUE(same_bits(gram[i * 9 + j], gram[j * 9 + i]));
            ASSERT_TRUE(same_bits(gram[i * 9 + j], again[i * 9 + j]));
            if (i != j) {
                EXPECT_NEAR(gram[i * 9 + j], correlate(s[i].view(), s[j].view(), p).at_zero.r, 1e-13);
            }
        }
}

TEST(correlation_dot, what_it_leaves_to_correlate) {
    owned_series x{{0, 1, 2, 3}, {1, 2, std::nan(""), 4}};
    EXPECT_EQ(make_unit_vector(x.view(), corr_method::pearson, 2).st, corr_unit_vector::state::other);
    x.value[2] = INFINITY;
    EXPECT_EQ(make_unit_vector(x.view(), corr_method::pearson, 2).st, corr_unit_vector::state::other);
    // Spearman ranks an infinity like any value.
    EXPECT_EQ(make_unit_vector(x.view(), corr_method::spearman, 2).st, corr_unit_vector::state::usable);
    x.value = {5, 5, 5, 5};
    EXPECT_EQ(make_unit_vector(x.view(), corr_method::pearson, 2).st, corr_unit_vector::state::constant);
    x.value = {1, 2, 3, 4};
    EXPECT_EQ(make_unit_vector(x.view(), corr_method::pearson, 5).st, corr_unit_vector::state::other);  // too short
    x.value = {1e200, -1e200, 1e200, 3};
    EXPECT_EQ(make_unit_vector(x.view(), corr_method::pearson, 2).st, corr_unit_vector::state::other);  // sums overflow
}

}  // namespace
}  // namespace tsbatch
