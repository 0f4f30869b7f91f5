#pragma once
// Comparing two executions (every step's outputs) bit for bit, for the tests of the executor
// and of the checkpoint.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "pipeline/executor.hpp"

namespace tsbatch::test_support {

inline bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

inline void expect_same_execution(const execution& want, const execution& got) {
    ASSERT_EQ(want.steps.size(), got.steps.size());
    for (std::size_t k = 0; k < want.steps.size(); ++k) {
        ASSERT_EQ(want.steps[k].outputs.size(), got.steps[k].outputs.size());
        for (std::size_t o = 0; o < want.steps[k].outputs.size(); ++o) {
            const auto& a = want.steps[k].outputs[o];
            const auto& b = got.steps[k].outputs[o];
            const std::string name = want.steps[k].name + "/" + a.name;
            EXPECT_EQ(a.kind, b.kind) << name;
            EXPECT_EQ(a.series.time, b.series.time) << name;
            EXPECT_TRUE(same_bits(a.series.value, b.series.value)) << name;
            EXPECT_EQ(a.series.offset, b.series.offset) << name;
            ASSERT_EQ(a.series.meta.size(), b.series.meta.size()) << name;
            for (std::size_t i = 0; i < a.series.meta.size(); ++i) {
                EXPECT_EQ(a.series.meta[i].id, b.series.meta[i].id) << name;
                EXPECT_EQ(a.series.meta[i].source_index, b.series.meta[i].source_index) << name;
            }
            ASSERT_EQ(a.table.meta.size(), b.table.meta.size()) << name;
            for (std::size_t i = 0; i < a.table.meta.size(); ++i)
                EXPECT_EQ(a.table.meta[i].source_index, b.table.meta[i].source_index) << name;
            ASSERT_EQ(a.table.columns.size(), b.table.columns.size()) << name;
            for (std::size_t c = 0; c < a.table.columns.size(); ++c) {
                const auto& x = a.table.columns[c];
                const auto& y = b.table.columns[c];
                EXPECT_EQ(x.spec.name, y.spec.name) << name;
                EXPECT_EQ(x.ints, y.ints) << x.spec.name;
                EXPECT_TRUE(same_bits(x.floats, y.floats)) << x.spec.name;
                EXPECT_EQ(x.strings, y.strings) << x.spec.name;
            }
        }
    }
    ASSERT_EQ(want.skipped.size(), got.skipped.size());
    for (std::size_t i = 0; i < want.skipped.size(); ++i) {
        EXPECT_EQ(want.skipped[i].source_index, got.skipped[i].source_index);
        EXPECT_EQ(want.skipped[i].reason, got.skipped[i].reason);
    }
    EXPECT_EQ(want.series_done, got.series_done);
    EXPECT_EQ(want.points_done, got.points_done);
}

}  // namespace tsbatch::test_support
