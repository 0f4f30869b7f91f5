/* Times the catch22 reference C implementation (DynamicsAndNeuralSystems/catch22) on N series
 * of T points, for bench/features.sh: the series are z-scored and each of the 22 feature
 * functions is called on them, as the reference's own main does for one series, without its
 * printing and per-feature clock() calls. This file is tsbatch's; the reference is compiled
 * beside it from a checkout the user provides (see bench/features.sh).
 *
 *   catch22_reference_driver FILE N T [REPEATS]   FILE: N*T float64 values, series after series
 *
 * Prints the best of REPEATS (3) passes: seconds, series/s, and a checksum of the features. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "CO_AutoCorr.h"
#include "DN_HistogramMode_10.h"
#include "DN_HistogramMode_5.h"
#include "DN_OutlierInclude.h"
#include "FC_LocalSimple.h"
#include "IN_AutoMutualInfoStats.h"
#include "MD_hrv.h"
#include "PD_PeriodicityWang.h"
#include "SB_BinaryStats.h"
#include "SB_MotifThree.h"
#include "SB_TransitionMatrix.h"
#include "SC_FluctAnal.h"
#include "SP_Summaries.h"
#include "stats.h"

static double features(const double *y, int n, double *z) {
    zscore_norm2(y, n, z);
    double s = 0;
    s += DN_OutlierInclude_n_001_mdrmd(z, n);
    s += DN_OutlierInclude_p_001_mdrmd(z, n);
    s += DN_HistogramMode_5(z, n);
    s += DN_HistogramMode_10(z, n);
    s += CO_Embed2_Dist_tau_d_expfit_meandiff(z, n);
    s += CO_f1ecac(z, n);
    s += CO_FirstMin_ac(z, n);
    s += CO_HistogramAMI_even_2_5(z, n);
    s += CO_trev_1_num(z, n);
    s += FC_LocalSimple_mean1_tauresrat(z, n);
    s += FC_LocalSimple_mean3_stderr(z, n);
    s += IN_AutoMutualInfoStats_40_gaussian_fmmi(z, n);
    s += MD_hrv_classic_pnn40(z, n);
    s += SB_BinaryStats_diff_longstretch0(z, n);
    s += SB_BinaryStats_mean_longstretch1(z, n);
    s += SB_MotifThree_quantile_hh(z, n);
    s += SC_FluctAnal_2_rsrangefit_50_1_logi_prop_r1(z, n);
    s += SC_FluctAnal_2_dfa_50_1_2_logi_prop_r1(z, n);
    s += SP_Summaries_welch_rect_area_5_1(z, n);
    s += SP_Summaries_welch_rect_centroid(z, n);
    s += SB_TransitionMatrix_3ac_sumdiagcov(z, n);
    s += PD_PeriodicityWang_th0_01(z, n);
    return s;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s FILE N T [REPEATS]\n", argv[0]);
        return 2;
    }
    const long n_series = atol(argv[2]);
    const int t = atoi(argv[3]);
    const int repeats = argc > 4 ? atoi(argv[4]) : 3;
    double *y = malloc(sizeof(double) * (size_t)n_series * (size_t)t);
    double *z = malloc(sizeof(double) * (size_t)t);
    FILE *f = fopen(argv[1], "rb");
    if (!f || fread(y, sizeof(double), (size_t)n_series * (size_t)t, f) != (size_t)n_series * (size_t)t) {
        fprintf(stderr, "cannot read %ld x %d values from %s\n", n_series, t, argv[1]);
        return 1;
    }
    fclose(f);
    double best = INFINITY, check = 0;
    for (int r = 0; r < repeats; ++r) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        check = 0;
        for (long i = 0; i < n_series; ++i) check += features(y + i * t, t, z);
        clock_gettime(CLOCK_MONOTONIC, &b);
        const double s = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
        if (s < best) best = s;
    }
    printf("%.6f %.1f %.17g\n", best, (double)n_series / best, check);
    free(y);
    free(z);
    return 0;
}
