// `features`: catch22 / catch24 per series (ALGORITHMS.md).
//
// Contract (tests/fixtures/make_features_fixtures.py records the reference C implementation's
// outputs; tests/unit/algo/kernels/test_catch22.cpp checks every feature against them):
// - Columns: the 22 features under their short names, in the reference's order; with
//   set: catch24 then `mean` and `std` (n - 1) of the raw values; last `reason`.
// - The series' values are used as they are, in time order; timestamps play no part (the
//   features assume regular sampling, as catch22 does: resample first when it is not).
// - A series gets NaN features and a non-empty reason when it has none: `too_short` (fewer
//   than 10 values, the reference's limit), `missing` (a NaN value: fill or drop them first),
//   `infinite` (+-inf), `constant` (all values equal: no z-score), `overflow` (values so
//   large, beyond ~1e154, that their spread is not a finite double). mean and std are still
//   given for a constant series (the constant, 0), NaN otherwise. The row is never dropped,
//   so row i is series i as for every table; the run summary counts such rows in its
//   `empty` column, and kmeans, which needs finite features, names the first one it meets.
#include "algo/series/features.hpp"

#include <array>
#include <limits>
#include <string>

#include "algo/kernels/catch22.hpp"
#include "algo/operator.hpp"
#include "algo/param_fields.hpp"

namespace tsbatch {
namespace {

struct features_params {
    feature_set set = feature_set::catch22;

    static const param_fields<features_params>& fields();
};

// What each feature measures, for `tsbatch catalogue` (the reference's name in brackets).
constexpr std::array<const char*, catch22_count> feature_summaries = {
    "when the large negative values occur: median relative time of points below rising thresholds "
    "(DN_OutlierInclude_n_001_mdrmd)",
    "when the large positive values occur: median relative time of points above rising thresholds "
    "(DN_OutlierInclude_p_001_mdrmd)",
    "centre of the fullest of 5 equal bins of the z-scored values (DN_HistogramMode_5)",
    "centre of the fullest of 10 equal bins of the z-scored values (DN_HistogramMode_10)",
    "mismatch of successive 2-D embedding distances with an exponential fit (CO_Embed2_Dist_tau_d_expfit_meandiff)",
    "lag where the autocorrelation first falls below 1/e, interpolated (CO_f1ecac)",
    "lag of the autocorrelation's first local minimum (CO_FirstMin_ac)",
    "histogram auto-mutual information at lag 2, 5 bins, nats (CO_HistogramAMI_even_2_5)",
    "time-reversal asymmetry: mean cubed increment of the z-scored values (CO_trev_1_num)",
    "first autocorrelation zero of the previous-value forecast residuals over the series' own "
    "(FC_LocalSimple_mean1_tauresrat)",
    "std of the residuals of the mean-of-previous-3 forecast (FC_LocalSimple_mean3_stderr)",
    "first minimum of the Gaussian auto-mutual information over lags up to 40, as lag - 1 "
    "(IN_AutoMutualInfoStats_40_gaussian_fmmi)",
    "fraction of z-scored increments larger than 0.04 (MD_hrv_classic_pnn40)",
    "longest run of decreases (SB_BinaryStats_diff_longstretch0)",
    "longest run above the mean (SB_BinaryStats_mean_longstretch1)",
    "entropy of successive pairs of tercile levels, nats (SB_MotifThree_quantile_hh)",
    "breakpoint position in the rescaled-range fluctuation analysis (SC_FluctAnal_2_rsrangefit_50_1_logi_prop_r1)",
    "breakpoint position in the detrended fluctuation analysis (SC_FluctAnal_2_dfa_50_1_2_logi_prop_r1)",
    "power in the lowest fifth of the frequencies (SP_Summaries_welch_rect_area_5_1)",
    "angular frequency below which half the power lies (SP_Summaries_welch_rect_centroid)",
    "trace of the covariance of the tercile transition matrix at the autocorrelation time "
    "(SB_TransitionMatrix_3ac_sumdiagcov)",
    "first clear autocorrelation peak of the detrended series, as lag - 1; 0 if none (PD_PeriodicityWang_th0_01)",
};

class features_op final : public table_operator {
public:
    explicit features_op(const features_params& p) : set_(p.set), columns_(features_columns(p.set)) {}
    const std::vector<column_spec>& columns() const override { return columns_; }

    void apply(series_view in, row_sink& row) const override {
        std::array<double, catch22_count> f{};
        const catch22_status status = compute_catch22(in.value, f);
        std::size_t col = 0;
        for (const double v : f) row.set(col++, v);
        if (set_ == feature_set::catch24) {
            // The reference gives mean and std for every series it accepts, a constant one
            // included; the others have no row there, so NaN here.
            const bool usable = status == catch22_status::ok || status == catch22_status::constant;
            const catch24_moments m = usable ? compute_catch24_moments(in.value) : catch24_moments{nan_v, nan_v};
            row.set(col++, m.mean);
            row.set(col++, m.std);
        }
        row.set(col, std::string(to_string(status)));
    }

private:
    static constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
    feature_set set_;
    std::vector<column_spec> columns_;
};

}  // namespace

std::vector<column_spec> features_columns(feature_set set) {
    std::vector<column_spec> cols;
    for (std::size_t k = 0; k < catch22_count; ++k)
        cols.push_back({std::string(catch22_names()[k]), column_type::float64, "", feature_summaries[k]});
    if (set == feature_set::catch24) {
        cols.push_back({"mean", column_type::float64, "", "mean of the values (DN_Mean)"});
        cols.push_back({"std", column_type::float64, "", "standard deviation of the values, n - 1 (DN_Spread_Std)"});
    }
    cols.push_back({"reason", column_type::string, "",
                    "why the features are NaN: too_short (< 10 values), missing (NaN), infinite, constant, overflow; "
                    "empty when computed"});
    return cols;
}

const param_fields<features_params>& features_params::fields() {
    using P = features_params;
    static const auto fields = param_fields<P>().choice(
        "set", &P::set, feature_set_names,
        "catch22: the 22 catch22 features of the z-scored series; catch24: those and the mean and std of the values");
    return fields;
}

operator_def make_features_def() {
    // Two FFTs of 2 nextpow2(n) points, a periodogram, fluctuation fits over ~40 window sizes
    // (each a pass over the series) and the sorts of the quantile features: about 60 passes.
    operator_def d = describe_operator<features_params>(
        "features",
        "one row per series: the catch22 time-series features (catch24: and mean, std), with a reason when none",
        {60.0, 200.0});
    d.outputs = {{"", data_kind::table, ""}};
    d.bind = bind_from_fields<features_params, features_op, &bound_operator::table>;
    return d;
}

}  // namespace tsbatch
