// Single-core throughput of each operator kernel on a staged file, through the same registry
// path `tsbatch run` uses (bind + apply per series), next to one streaming pass over the
// points (16 B/point: time + value) as the memory-bandwidth yardstick.
//   bench_kernels FILE.h5 [MIN_SECONDS] [NAME_PART]   (NAME_PART: only kernels whose name has it)
// Prints one line per kernel: name, points/s, ratio to the streaming pass.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>

#include "algo/operator.hpp"
#include "io/staged.hpp"
#include "pipeline/executor.hpp"

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

namespace {

// Output buffers are emptied but keep their capacity between repetitions.
void clear(series_batch& b) {
    b.meta.clear();
    b.offset.assign(1, 0);
    b.time.clear();
    b.value.clear();
}

void clear(table_batch& t) {
    t.meta.clear();
    for (auto& col : t.columns) {
        col.ints.clear();
        col.floats.clear();
        col.strings.clear();
    }
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_kernels FILE.h5 [MIN_SECONDS] [NAME_PART]\n");
        return 2;
    }
    const double min_s = argc > 2 ? std::atof(argv[2]) : 1.0;
    const std::string only = argc > 3 ? argv[3] : "";  // run only kernels whose name contains this
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
        // Only when asked for by name: features costs ~100x a streaming pass per point and
        // has its own benchmark (bench/features.sh) on series of its usual lengths.
        bool on_request = false;
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
        {"cut_y", "cut_y", {{"condition", "1 < y <= 10 and not isnan(y)"}}},
        {"cut_y_abs", "cut_y", {{"condition", "abs(y) > 3"}}},
        {"sax_16_8", "sax", {{"word_length", "16"}, {"alphabet_size", "8"}}},
        {"outliers_hampel_7", "outliers", {{"method", "hampel"}, {"window", "7"}}},
        {"outliers_iqr", "outliers", {{"method", "iqr"}, {"threshold", "1.5"}}},
        {"sta_lta_10s_5min", "sta_lta", {{"sta", "10s"}, {"lta", "5min"}}},
        {"features_catch22", "features", {}, true},
    };
    for (const auto& k : kernels) {
        if (k.label.find(only) == std::string::npos || (k.on_request && only.empty())) continue;
        const auto op = bind(k.op, k.params);
        const operator_def& def = *find_operator(k.op);
        // Output buffers are reused across repetitions (cleared, capacity kept): this measures
        // the kernel, not the first touch of fresh pages, which the whole-run figures include.
        std::vector<step_output> outs;
        for (std::size_t o = 0; o < def.outputs.size(); ++o) {
            step_output out;
            out.kind = def.outputs[o].kind;
            if (out.kind == data_kind::table) out.table = table_batch(op.table ? op.table->columns() : op.multi->columns(o));
            outs.push_back(std::move(out));
        }
        const double s = time_it(min_s, [&] {
            for (auto& o : outs) {
                clear(o.series);
                clear(o.table);
            }
            for (std::size_t i = 0; i < data.size(); ++i) {
                if (op.series) {
                    auto sink = outs[0].series.open_series(data.meta[i]);
                    op.series->apply(data.series(i), sink);
                    outs[0].series.close_series();
                } else if (op.table) {
                    outs[0].table.meta.push_back(data.meta[i]);
                    row_sink row(outs[0].table);
                    op.table->apply(data.series(i), row);
                } else {
                    apply_multi_output(*op.multi, data.meta[i], data.series(i), outs);
                }
            }
        });
        const double rate = points / s;
        std::printf("%-22s %12.3f Mpoints/s  %6.2f x stream\n", k.label.c_str(), rate / 1e6, rate / stream_rate);
    }
    return sink_value == 12345.678 ? 1 : 0;
}
