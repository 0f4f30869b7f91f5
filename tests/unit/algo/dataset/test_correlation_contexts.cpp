// `correlation` with `group_by`: one variables x variables matrix per context, and the mean,
// variance and count of each pair's r across contexts. Checked against correlate() per pair
// and a plain loop over contexts, on 1..8 simulated ranks with the series of a context
// scattered over the run (so they travel between ranks).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <map>
#include <random>
#include <string>

#include "algo/kernels/correlation.hpp"
#include "algo/params.hpp"
#include "core/error.hpp"
#include "dataset_harness.hpp"
#include "fixture_io.hpp"

namespace tsbatch {
namespace {

using test::dataset_run;
using test::run_dataset_op;

const std::vector<std::string> wells{"w0", "w1", "w2", "w3", "w4", "w5", "w6"};
const std::vector<std::string> metrics{"level", "ph", "rain", "temp"};  // sorted: their variable order

// Series of several wells (the contexts) and metrics (the variables), in a shuffled order.
// Well w3 has no ph, well w5 only rain, two series carry no well tag; each well has its own
// time grid, one series is off it and some values are NaN.
series_batch wells_batch() {
    std::mt19937_64 g(17);
    std::normal_distribution<double> noise(0.0, 1.0);
    struct spec {
        std::string well, metric;
    };
    std::vector<spec> specs;
    for (const auto& w : wells)
        for (const auto& m : metrics) {
            if ((w == "w3" && m == "ph") || (w == "w5" && m != "rain")) continue;
            specs.push_back({w, m});
        }
    specs.push_back({"", "level"});
    specs.push_back({"", "rain"});
    std::shuffle(specs.begin(), specs.end(), g);
    series_batch batch;
    std::uint64_t k = 0;
    for (const auto& s : specs) {
        const std::string tags = s.well.empty() ? "site=x" : "site=x,well=" + s.well;
        auto sink = batch.open_series({s.metric + "." + (s.well.empty() ? "none" : s.well), s.metric, tags, k++});
        const std::int64_t t0 = s.well.empty() ? 0 : (s.well[1] - '0') * 1000;
        const std::size_t n = 60 + static_cast<std::size_t>(s.well.empty() ? 0 : s.well[1] - '0');
        double drift = 0;
        for (std::size_t t = 0; t < n; ++t) {
            drift += noise(g);
            double v = drift * (s.metric == "ph" ? -0.5 : 1.0) + noise(g);
            if ((t * 5 + k) % 23 == 0) v = std::nan("");
            const std::int64_t step = (s.metric == "temp" && s.well == "w2") ? 7 : 10;  // off the grid
            sink.push(t0 + static_cast<std::int64_t>(t) * step, v);
        }
        batch.close_series();
    }
    return batch;
}

struct bound {
    const operator_def* def;
    bound_operator op;
};

bound bind(const std::string& params) {
    const auto* def = find_operator("correlation");
    EXPECT_NE(def, nullptr);
    return {def, def->bind(test::fixture_params(*def, YAML::Load(params)))};
}

// The row of each (well, metric) in `batch`.
std::map<std::pair<std::string, std::string>, std::size_t> rows_of(const series_batch& batch) {
    std::map<std::pair<std::string, std::string>, std::size_t> rows;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto& tags = batch.meta[i].tags;
        const auto at = tags.find("well=");
        if (at != std::string::npos) rows[{tags.substr(at + 5), batch.meta[i].metric}] = i;
    }
    return rows;
}

// Outputs, as in make_correlation_def().
enum : std::size_t { series_out, r_out, overlap_out, best_r_out, lag_out, top_out, mean_out, variance_out, contexts_out };

class correlation_contexts_ranks : public ::testing::TestWithParam<int> {};

TEST_P(correlation_contexts_ranks, same_bits_on_any_rank_count) {
    const auto in = wells_batch();
    for (const char* params : {"{group_by: well, min_overlap: 5, top_pairs: 7}",
                               "{group_by: well, method: spearman, max_lag: 2, min_overlap: 5}",
                               "{group_by: well, align: index, top_pairs: 0}"}) {
        auto b = bind(params);
        const auto one = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 1, 3);
        const auto many = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, GetParam(), 3);
        test::expect_same_run(one, many, std::string("correlation ") + params);
    }
}

INSTANTIATE_TEST_SUITE_P(simulated, correlation_contexts_ranks, ::testing::Range(1, 9));

TEST(correlation_contexts, each_context_matrix_is_the_kernel_on_its_pairs) {
    const auto in = wells_batch();
    auto b = bind("{group_by: well, min_overlap: 5, max_lag: 2}");
    const auto run = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 3, 2);
    const std::size_t C = wells.size(), V = metrics.size();
    const auto& r = run.matrices[r_out];
    ASSERT_EQ(r.rows, C * V);
    ASSERT_EQ(r.cols, V);
    EXPECT_EQ(r.axes.row_axis, "context,variable");
    EXPECT_EQ(r.number_attrs.at("contexts"), static_cast<double>(C));
    EXPECT_EQ(r.number_attrs.at("variables"), static_cast<double>(V));
    EXPECT_EQ(r.number_attrs.at("series_without_context"), 2.0);
    EXPECT_EQ(r.text_attrs.at("group_by"), "well");
    corr_params p;
    p.min_overlap = 5;
    p.max_lag = 2;
    const auto rows = rows_of(in);
    const auto& overlap = run.matrices[overlap_out].values;
    const auto& lag = run.matrices[lag_out].values;
    double ok_pairs = 0;
    for (std::size_t k = 0; k < C; ++k)
        for (std::size_t a = 0; a < V; ++a)
            for (std::size_t c = 0; c < V; ++c) {
                const std::size_t at = (k * V + a) * V + c;
                const auto ra = rows.find({wells[k], metrics[a]}), rc = rows.find({wells[k], metrics[c]});
                if (ra == rows.end() || rc == rows.end()) {
                    EXPECT_TRUE(std::isnan(r.values[at])) << wells[k] << " " << a << "," << c;
                    EXPECT_EQ(overlap[at], 0.0);
                    continue;
                }
                const bool upper = a <= c;
                const auto want = upper ? correlate(in.series(ra->second), in.series(rc->second), p)
                                        : correlate(in.series(rc->second), in.series(ra->second), p);
                EXPECT_TRUE(test::same_bits(r.values[at], want.at_zero.r)) << wells[k] << " " << a << "," << c;
                EXPECT_EQ(overlap[at], static_cast<double>(want.at_zero.pairs));
                EXPECT_EQ(lag[at], (upper ? 1.0 : -1.0) * static_cast<double>(want.best_lag));
                if (a < c && want.at_zero.status == corr_status::ok) ++ok_pairs;
            }
    EXPECT_EQ(r.number_attrs.at("pairs_ok"), ok_pairs);
    EXPECT_GT(ok_pairs, 10.0);
}

TEST(correlation_contexts, mean_and_variance_across_contexts) {
    const auto in = wells_batch();
    auto b = bind("{group_by: well, min_overlap: 5}");
    const auto run = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 4, 1);
    const std::size_t C = wells.size(), V = metrics.size();
    const auto& r = run.matrices[r_out].values;
    const auto& mean = run.matrices[mean_out];
    const auto& variance = run.matrices[variance_out].values;
    const auto& count = run.matrices[contexts_out].values;
    EXPECT_EQ(mean.rows, V);
    EXPECT_EQ(mean.cols, V);
    std::size_t with_spread = 0;
    for (std::size_t a = 0; a < V; ++a)
        for (std::size_t c = 0; c < V; ++c) {
            std::vector<double> values;
            for (std::size_t k = 0; k < C; ++k)
                if (!std::isnan(r[(k * V + a) * V + c])) values.push_back(r[(k * V + a) * V + c]);
            const std::size_t at = a * V + c;
            EXPECT_EQ(count[at], static_cast<double>(values.size()));
            if (values.empty()) {
                EXPECT_TRUE(std::isnan(mean.values[at]));
                continue;
            }
            double m = 0;
            for (double v : values) m += v;
            m /= static_cast<double>(values.size());
            double var = 0;
            for (double v : values) var += (v - m) * (v - m);
            var /= static_cast<double>(values.size());
            EXPECT_NEAR(mean.values[at], m, 1e-15) << a << "," << c;
            EXPECT_NEAR(variance[at], var, 1e-15) << a << "," << c;
            EXPECT_TRUE(test::same_bits(mean.values[at], mean.values[c * V + a]));
            if (a == c) {
                EXPECT_EQ(mean.values[at], 1.0);
                EXPECT_EQ(variance[at], 0.0);
            } else if (values.size() > 1) {
                ++with_spread;
            }
        }
    EXPECT_GT(with_spread, 4u);
    // ph is missing from w3 and w5, rain is in every well.
    EXPECT_EQ(count[2 * V + 2], static_cast<double>(C));
    EXPECT_EQ(count[1 * V + 1], static_cast<double>(C - 2));
}

TEST(correlation_contexts, series_table_places_each_series) {
    const auto in = wells_batch();
    auto b = bind("{group_by: well}");
    const auto run = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 2, 4);
    const auto& t = run.tables[series_out];
    ASSERT_EQ(t.size(), in.size());
    for (std::size_t i = 0; i < t.size(); ++i) {
        EXPECT_EQ(t.meta[i].id, in.meta[i].id);
        const auto& context = t.columns[1].strings[i];
        const auto k = t.columns[3].ints[i], v = t.columns[4].ints[i];
        if (in.meta[i].tags.find("well=") == std::string::npos) {
            EXPECT_EQ(context, "");
            EXPECT_EQ(k, -1);
            EXPECT_EQ(t.columns[5].ints[i], -1);
            continue;
        }
        EXPECT_EQ(context, wells.at(static_cast<std::size_t>(k)));
        EXPECT_EQ(t.columns[2].strings[i], metrics.at(static_cast<std::size_t>(v)));
        EXPECT_EQ(t.columns[5].ints[i], k * static_cast<std::int64_t>(metrics.size()) + v);
    }
}

TEST(correlation_contexts, top_pairs_name_series_of_one_context) {
    const auto in = wells_batch();
    auto b = bind("{group_by: well, min_overlap: 5, top_pairs: 6}");
    const auto run = run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 3, 2);
    const auto& top = run.tables[top_out];
    const auto& r = run.matrices[r_out];
    ASSERT_EQ(top.size(), 6u);
    double previous = 2;
    for (std::size_t k = 0; k < top.size(); ++k) {
        const auto a_row = static_cast<std::size_t>(top.columns[2].ints[k]);
        const auto b_row = static_cast<std::size_t>(top.columns[3].ints[k]);
        const std::size_t V = metrics.size();
        ASSERT_EQ(a_row / V, b_row / V) << "one context";
        const double value = r.values[a_row * V + b_row % V];
        EXPECT_TRUE(test::same_bits(top.columns[4].floats[k], value));
        EXPECT_LE(std::fabs(value), previous);
        previous = std::fabs(value);
        const std::string well = wells[a_row / V];
        EXPECT_EQ(top.meta[k].id, metrics[a_row % V] + "." + well);
        EXPECT_EQ(top.columns[1].strings[k], metrics[b_row % V] + "." + well);
    }
}

TEST(correlation_contexts, two_series_of_one_metric_in_one_context_is_an_input_error) {
    auto in = wells_batch();
    const std::size_t moved = in.meta[0].id == "temp.w1" ? 1 : 0;
    in.meta[moved].tags = "site=x,well=w1";
    in.meta[moved].metric = "temp";
    auto b = bind("{group_by: well}");
    for (int ranks : {1, 3}) {
        try {
            run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, ranks, 2);
            FAIL() << "no error";
        } catch (const input_error& e) {
            EXPECT_NE(std::string(e.what()).find("both have metric 'temp' in context well=w1"), std::string::npos)
                << e.what();
            EXPECT_NE(std::string(e.what()).find("'temp.w1'"), std::string::npos) << e.what();
        }
    }
}

TEST(correlation_contexts, a_tag_no_series_has_is_a_parameter_error) {
    const auto in = wells_batch();
    auto b = bind("{group_by: flight}");
    try {
        run_dataset_op(*b.def, *b.op.dataset, &in, nullptr, 2, 2);
        FAIL() << "no error";
    } catch (const param_error& e) {
        EXPECT_EQ(e.param(), "group_by");
        EXPECT_NE(std::string(e.what()).find("no series of the step's input has the tag 'flight'"), std::string::npos);
    }
}

TEST(correlation_contexts, group_by_must_be_a_tag_name) {
    const auto* def = find_operator("correlation");
    ASSERT_NE(def, nullptr);
    EXPECT_THROW(def->bind(test::fixture_params(*def, YAML::Load("{group_by: 'well=1'}"))), param_error);
}

}  // namespace
}  // namespace tsbatch
