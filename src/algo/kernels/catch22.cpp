// compute_catch22: the input checks, the z-score, and the features in the reference's order,
// sharing the autocorrelation (one FFT pair) between the five features that need it instead
// of recomputing it for each as the reference does.
#include "algo/kernels/catch22.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "algo/kernels/catch22_kernels.hpp"

namespace tsbatch {
namespace catch22 {

double plain_mean(std::span<const double> y) noexcept {
    double s = 0;
    for (const double v : y) s += v;
    return s / static_cast<double>(y.size());
}

double plain_std(std::span<const double> y) noexcept {
    const double m = plain_mean(y);
    double s = 0;
    for (const double v : y) s += (v - m) * (v - m);
    return std::sqrt(s / static_cast<double>(y.size() - 1));
}

double median_of(std::vector<double> y) {
    std::sort(y.begin(), y.end());
    const std::size_t h = y.size() / 2;
    return y.size() % 2 == 1 ? y[h] : (y[h] + y[h - 1]) / 2.0;
}

}  // namespace catch22

const std::array<std::string_view, catch22_count>& catch22_names() {
    static const std::array<std::string_view, catch22_count> names = {"outlier_timing_neg",
                                                                      "outlier_timing_pos",
                                                                      "mode_5",
                                                                      "mode_10",
                                                                      "embedding_dist",
                                                                      "acf_timescale",
                                                                      "acf_first_min",
                                                                      "ami2",
                                                                      "trev",
                                                                      "whiten_timescale",
                                                                      "forecast_error",
                                                                      "ami_timescale",
                                                                      "high_fluctuation",
                                                                      "stretch_decreasing",
                                                                      "stretch_high",
                                                                      "entropy_pairs",
                                                                      "rs_range",
                                                                      "dfa",
                                                                      "low_freq_power",
                                                                      "centroid_freq",
                                                                      "transition_variance",
                                                                      "periodicity"};
    return names;
}

const std::array<std::string_view, catch22_count>& catch22_reference_names() {
    static const std::array<std::string_view, catch22_count> names = {"DN_OutlierInclude_n_001_mdrmd",
                                                                      "DN_OutlierInclude_p_001_mdrmd",
                                                                      "DN_HistogramMode_5",
                                                                      "DN_HistogramMode_10",
                                                                      "CO_Embed2_Dist_tau_d_expfit_meandiff",
                                                                      "CO_f1ecac",
                                                                      "CO_FirstMin_ac",
                                                                      "CO_HistogramAMI_even_2_5",
                                                                      "CO_trev_1_num",
                                                                      "FC_LocalSimple_mean1_tauresrat",
                                                                      "FC_LocalSimple_mean3_stderr",
                                                                      "IN_AutoMutualInfoStats_40_gaussian_fmmi",
                                                                      "MD_hrv_classic_pnn40",
                                                                      "SB_BinaryStats_diff_longstretch0",
                                                                      "SB_BinaryStats_mean_longstretch1",
                                                                      "SB_MotifThree_quantile_hh",
                                                                      "SC_FluctAnal_2_rsrangefit_50_1_logi_prop_r1",
                                                                      "SC_FluctAnal_2_dfa_50_1_2_logi_prop_r1",
                                                                      "SP_Summaries_welch_rect_area_5_1",
                                                                      "SP_Summaries_welch_rect_centroid",
                                                                      "SB_TransitionMatrix_3ac_sumdiagcov",
                                                                      "PD_PeriodicityWang_th0_01"};
    return names;
}

std::string_view to_string(catch22_status s) noexcept {
    switch (s) {
        case catch22_status::ok:
            return "";
        case catch22_status::too_short:
            return "too_short";
        case catch22_status::missing:
            return "missing";
        case catch22_status::infinite:
            return "infinite";
        case catch22_status::constant:
            return "constant";
        case catch22_status::overflow:
            return "overflow";
    }
    return "";
}

namespace {

catch22_status check(std::span<const double> y) noexcept {
    if (y.size() < catch22_min_points) return catch22_status::too_short;
    bool inf = false;
    for (const double v : y) {
        if (std::isnan(v)) return catch22_status::missing;
        inf = inf || std::isinf(v);
    }
    if (inf) return catch22_status::infinite;
    const auto [lo, hi] = std::minmax_element(y.begin(), y.end());
    if (*lo == *hi) return catch22_status::constant;
    return catch22_status::ok;
}

}  // namespace

catch22_status compute_catch22(std::span<const double> y, std::span<double, catch22_count> out) {
    using namespace catch22;
    const catch22_status status = check(y);
    if (status != catch22_status::ok) {
        std::fill(out.begin(), out.end(), std::numeric_limits<double>::quiet_NaN());
        return status;
    }
    // z = (y - mean) / sd with the reference's plain sums. A series of equal values is
    // refused above: its sd is 0 and the reference's z would be all NaN. A series whose
    // values differ only in the last bits has a tiny sd and a z made of rounding noise; it is
    // computed all the same, like the reference does.
    const std::size_t n = y.size();
    const double m = plain_mean(y);
    const double sd = plain_std(y);
    std::vector<double> z(n);
    bool finite = std::isfinite(m) && std::isfinite(sd);
    for (std::size_t i = 0; i < n; ++i) {
        z[i] = (y[i] - m) / sd;
        finite = finite && std::isfinite(z[i]);
    }
    if (!finite) {
        std::fill(out.begin(), out.end(), std::numeric_limits<double>::quiet_NaN());
        return catch22_status::overflow;
    }

    const std::vector<double> acf = fft_autocorrelation(z);
    const std::size_t zero = first_zero(acf, n);
    const welch_summary welch = welch_rect(z);

    out[0] = outlier_timing(z, -1.0);
    out[1] = outlier_timing(z, 1.0);
    out[2] = histogram_mode(z, 5);
    out[3] = histogram_mode(z, 10);
    out[4] = embedding_dist(z, zero);
    out[5] = acf_timescale(acf, n);
    out[6] = acf_first_min(acf, n);
    out[7] = ami2(z);
    out[8] = trev(z);
    out[9] = whiten_timescale(z, zero);
    out[10] = forecast_error(z);
    out[11] = ami_timescale(z);
    out[12] = high_fluctuation(z);
    out[13] = stretch_decreasing(z);
    out[14] = stretch_high(z);
    out[15] = entropy_pairs(z);
    out[16] = rs_range(z);
    out[17] = dfa(z);
    out[18] = welch.low_freq_power;
    out[19] = welch.centroid_freq;
    out[20] = transition_variance(z, zero);
    out[21] = periodicity(z);
    return status;
}

catch24_moments compute_catch24_moments(std::span<const double> y) noexcept {
    if (y.size() < 2) return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
    return {catch22::plain_mean(y), catch22::plain_std(y)};
}

}  // namespace tsbatch
