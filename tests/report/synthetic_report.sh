#!/usr/bin/env bash
# The report's pictures of dataset-wide results and of a matrix profile, from synthetic data,
# in headless chromium (check_report.sh): the page renders without a console message, loads
# nothing, shows every picture, and stays small for a large correlation matrix.
# usage: synthetic_report.sh  (TSBATCH_SYNTHETIC_REPORT: the tsbatch_synthetic_report program)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gen=${TSBATCH_SYNTHETIC_REPORT:?set TSBATCH_SYNTHETIC_REPORT to the tsbatch_synthetic_report program}
work=$(mktemp -d "${TMPDIR:-/tmp}/synthetic_report.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "synthetic_report: FAIL: $*" >&2; exit 1; }

# 30 series: every cell drawn with its names; 5,000 series: 100 x 100 block means.
"$gen" "$work/small.html" 30
"$gen" "$work/large.html" 5000
size=$(stat -c %s "$work/large.html")
((size < 600000)) || fail "the page of a 5,000-series correlation is $size bytes"

common=(--window-size 1280,4600
        --expect 'corr · correlation' --expect 'pca · pca' --expect 'km · kmeans'
        --expect 'match · pattern_search' --expect 'mot · motifs'
        --expect 'class="shade-motif"' --expect 'class="shade-discord"'
        --expect 'mp (of source, window 50)' --expect 'top discord window from 2015-01-01T15:00:00.000Z')
bash "$here/check_report.sh" --out "${TSBATCH_REPORT_SHOTS:-$work}/small" "${common[@]}" \
    --expect 'gw.level{block=2,site=BH2}' --expect 'rotate(-55' "$work/small.html"
bash "$here/check_report.sh" --out "${TSBATCH_REPORT_SHOTS:-$work}/large" "${common[@]}" \
    --expect '100 × 100 cells' --expect 'series, clustered order' "$work/large.html"
echo "synthetic_report: OK"
