// The dot-product form of lag-0 correlation (correlation_dot.hpp): the same bits however the
// pairs are tiled, and the same r as correlate() (checked against numpy and scipy in
// test_correlation.cpp) to rounding.
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

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(correlation_dot, block_gives_the_bits_of_single_pairs_for_any_shape) {
    for (std::size_t n : {2u, 3u, 4u, 5u, 17u, 1024u, 2051u, 2054u}) {
        const auto s = random_series(11, n, n);
        std::vector<corr_unit_vector> u;
        for (const auto& x : s) u.push_back(make_unit_vector(x.view(), corr_method::pearson, 2));
        std::vector<const double*> p;
        for (const auto& x : u) {
            ASSERT_EQ(x.st, corr_unit_vector::state::usable);
            p.push_back(x.z.data());
        }
        for (std::size_t na : {1u, 2u, 3u, 4u, 7u, 11u})
            for (std::size_t nb : {1u, 2u, 3u, 5u, 11u}) {
                // Every kernel this CPU runs: the portable one always, AVX2 where it exists.
                std::vector<dot_kernel> kernels{dot_kernel::portable, dot_kernel::automatic};
                if (unit_dot_has_avx2()) kernels.push_back(dot_kernel::avx2);
                for (const auto kernel : kernels) {
                    std::vector<double> out(na * nb);
                    unit_dot_block(std::span<const double* const>(p.data(), na),
                                   std::span<const double* const>(p.data() + 11 - nb, nb), n, out, kernel);
                    for (std::size_t i = 0; i < na; ++i)
                        for (std::size_t j = 0; j < nb; ++j) {
                            const double one = unit_dot(p[i], p[11 - nb + j], n);
                            ASSERT_TRUE(same_bits(out[i * nb + j], one))
                                << "kernel " << static_cast<int>(kernel) << " n " << n << " " << na << "x" << nb << " " << i
                                << "," << j;
                            ASSERT_TRUE(same_bits(one, unit_dot(p[11 - nb + j], p[i], n)));  // symmetric
                        }
                }
            }
    }
}

TEST(correlation_dot, agrees_with_correlate) {
    const auto s = random_series(6, 3001, 7);
    for (auto method : {corr_method::pearson, corr_method::spearman}) {
        corr_params p;
        p.method = method;
        for (std::size_t i = 0; i < s.size(); ++i)
            for (std::size_t j = i + 1; j < s.size(); ++j) {
                const auto a = make_unit_vector(s[i].view(), method, 2), b = make_unit_vector(s[j].view(), method, 2);
                const auto want = correlate(s[i].view(), s[j].view(), p);
                ASSERT_EQ(want.at_zero.status, corr_status::ok);
                EXPECT_NEAR(unit_dot(a.z.data(), b.z.data(), 3001), want.at_zero.r, 1e-13) << i << "," << j;
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
