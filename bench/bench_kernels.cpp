// Single-core throughput of each operator kernel on a staged file, through the same registry
// path `tsbatch run` uses (bind + apply per series), next to one streaming pass over the
// points (16 B/point: time + value) as the memory-bandwidth yardstick.
//   bench_kernels FILE.h5 [MIN_SECONDS]
// Prints one line per kernel: name, points/s, ratio to the streaming pass.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>

#include "algo/operator.hpp"
#include "io/staged.hpp"

using namespace tsbatch;

namespace {

bound_operator bind(const std::string& op, const std::map<std::string, std::string>& given) {
    const operator_def* def = find_operator(op);
    if (def == nullptr) throw std::runtime_error("no operator " + op);
    param_values v;
    for (const auto& p : def->params) {
        auto it = given.find(p.name);
        if (it != given.end()) v.set(p.name, parse_param(p, it->second));
        else if (p.default_value) v.set(p.name, *p.default_value);
    }
    return def->bind(v);
}

// Runs `body` until at least `min_s` seconds have passed; returns seconds per run.
double time_it(double min_s, const std::function<void()>& body) {
    using clock = std::chrono::steady_clock;
    body();  // warm caches and allocations
    int runs = 0;
    const auto t0 = clock::now();
    double elapsed = 0;
    do {
        body();
        ++runs;
        elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    } while (elapsed < min_s);
    return elapsed / runs;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_kernels FILE.h5 [MIN_SECONDS]\n");
        return 2;
    }
    const double min_s = argc > 2 ? std::atof(argv[2]) : 1.0;
    const comm local;
    const staged_reader in(argv[1], "/", local);
    const series_batch data = in.read(index_range{0, in.series_count()});
    const double points = static_cast<double>(data.point_count());
    std::printf("# %zu series, %.0f points\n", data.size(), points);

    volatile double sink_value = 0;
    const double stream_s = time_it(min_s, [&] {
        double acc = 0;
        std::int64_t tacc = 0;
        for (std::size_t i = 0; i < data.time.size(); ++i) {
            tacc += data.time[i];
            acc += data.value[i];
        }
        sink_value = acc + static_cast<double>(tacc);
    });
    const double stream_rate = points / stream_s;
    std::printf("%-22s %12.1f Mpoints/s  %6.2f x stream  (%.2f GB/s)\n", "stream_read_16B", stream_rate / 1e6, 1.0,
                stream_rate * 16 / 1e9);

    struct kernel {
        std::string label, op;
        std::map<std::string, std::string> params;
    };
    const std::vector<kernel> kernels = {
        {"quality_stats", "quality_stats", {}},
        {"scale_zscore", "scale", {{"method", "zscore"}}},
        {"scale_minmax", "scale", {{"method", "minmax"}}},
        {"scale_robust", "scale", {{"method", "robust"}}},
        {"resample_1h_mean", "resample", {{"period", "1h"}}},
        {"resample_1h_median", "resample", {{"period", "1h"}, {"aggregation", "median"}}},
        {"resample_1h_linear", "resample", {{"period", "1h"}, {"fill", "linear"}, {"max_gap", "6h"}}},
        {"slope", "slope", {}},
        {"unwrap", "unwrap", {}},
        {"cut_half", "cut", {{"from", "2015-01-01"}, {"to", "2019-01-01"}}},
        {"rolling_12_mean", "rolling", {{"window", "12"}}},
        {"rolling_1h_mean", "rolling", {{"window", "1h"}}},
        {"paa_16", "paa", {{"segments", "16"}}},
        {"discretize_16", "discretize", {{"buckets", "16"}, {"aggregations", "min,max,mean"}}},
        {"identity", "identity", {}},
    };
    for (const auto& k : kernels) {
        const auto op = bind(k.op, k.params);
        // Output buffers are reused across repetitions (cleared, capacity kept): this measures
        // the kernel, not the first touch of fresh pages, which the whole-run figures include.
        series_batch out_series;
        table_batch out_table(op.table ? op.table->columns() : std::vector<column_spec>{});
        const double s = time_it(min_s, [&] {
            out_series.meta.clear();
            out_series.offset.assign(1, 0);
            out_series.time.clear();
            out_series.value.clear();
            out_table.meta.clear();
            for (auto& col : out_table.columns) {
                col.ints.clear();
                col.floats.clear();
                col.strings.clear();
            }
            for (std::size_t i = 0; i < data.size(); ++i) {
                if (op.series) {
                    auto sink = out_series.open_series(data.meta[i]);
                    op.series->apply(data.series(i), sink);
                    out_series.close_series();
                } else {
                    out_table.meta.push_back(data.meta[i]);
                    row_sink row(out_table);
                    op.table->apply(data.series(i), row);
                }
            }
        });
        const double rate = points / s;
        std::printf("%-22s %12.1f Mpoints/s  %6.2f x stream\n", k.label.c_str(), rate / 1e6, rate / stream_rate);
    }
    return sink_value == 12345.678 ? 1 : 0;
}
