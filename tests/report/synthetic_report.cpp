// Writes a run report with every kind of picture from synthetic data (synthetic_report.hpp):
//   tsbatch_synthetic_report OUT.html [SERIES]
// SERIES (default 30) is the size of the correlation matrix: above the heatmap's cell limit
// it is block-averaged. tests/report/synthetic_report.sh checks the page in chromium.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "synthetic_report.hpp"

int main(int argc, char** argv) {
    using namespace tsbatch;
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: %s OUT.html [SERIES]\n", argv[0]);
        return 2;
    }
    try {
        const std::size_t series = argc == 3 ? std::stoul(argv[2]) : 30;
        run_report_data d;
        d.title = "tsbatch synthetic report";
        d.config_path = "synthetic.yaml";
        d.output_path = "synthetic.h5";
        d.start_ms = testing::synthetic_t0;
        d.end_ms = testing::synthetic_t0 + 1500;
        d.tsbatch_version = "synthetic";
        d.ranks = 2;
        d.total_series = series;
        d.total_points = series * 2000;
        d.total_seconds = 1.5;
        d.rank_work = {{series / 2, series * 1000, 0.1, 1.0, 0.1}, {series - series / 2, series * 1000, 0.1, 1.1, 0.1}};
        d.steps = {{"corr", "correlation", series, 0, 0, 0.5, series * 2000, true}};
        d.dataset = testing::synthetic_dataset(series);
        d.samples = {testing::synthetic_profile_sample()};
        write_run_report(argv[1], d);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
        return 1;
    }
    return 0;
}
