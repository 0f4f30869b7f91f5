# The run report: a run writes <result>.report.html next to its result, and the page renders
# in headless chromium without errors, loads nothing from outside and shows every step.
source "$(dirname "$0")/lib.sh"
mkdir -p data
make_data data/demo.h5 200 3000 42
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" run "$TSBATCH_SOURCE_DIR/config/demo.yaml" --set output.path=results/demo.h5 \
  --set run.chunk_series=10
[ -s results/demo.report.html ] || fail "no results/demo.report.html next to the result"
expect_exit 0 bash "$TSBATCH_SOURCE_DIR/tests/report/check_report.sh" --out "$WORK/check" \
  --expect hourly --expect quality_stats --expect 'gw.level' results/demo.report.html
expect_output "screenshot saved"
# The dataset-wide steps' pictures, read back from the result: 36 sensors on one hourly grid
# (dataset_check.py, as in dataset_ops.sh). The pattern is a series of the input and the
# motifs read a series step, so both ways of finding the windows' values are taken.
/usr/bin/python3 "$TSBATCH_SOURCE_DIR/tests/cli/dataset_check.py" make full.csv --no-nan
expect_exit 0 "$TSBATCH" stage-in --from csv --layout wide full.csv -o data/full.h5
cat > dataset.yaml <<'YAML'
input: {path: data/full.h5}
steps:
  - {name: z,     op: scale, params: {method: zscore}}
  - {name: corr,  op: correlation, input: source}
  - {name: pca,   op: pca, input: source, params: {components: 4}}
  - {name: km,    op: kmeans, input: source, params: {k: 3, seed: 1, n_init: 2}}
  - {name: ps,    op: pattern_search, input: source,
     params: {pattern: "gw.level{site=S04}", pattern_from: 2024-01-05T00:00:00Z, pattern_to: 2024-01-07T00:00:00Z, top_k: 5}}
  - {name: mo,    op: motifs, input: z, params: {window: 48, top_k: 3, step: 2}}
output: {path: results/dataset.h5}
YAML
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" run dataset.yaml --set run.chunk_series=5
report=results/dataset.report.html
[ -s $report ] || fail "no $report"
grep -q 'No matrix to draw\|not drawn\|without their values' $report && fail "a picture is missing from $report"
# 36 series: every heatmap cell with its tooltip; the pattern from series S04 (48 hourly
# points), the matches and the motif group with their values.
[ "$(grep -o '</title></rect>' $report | wc -l)" -eq $((36 * 36)) ] || fail "the heatmap does not have 36 x 36 cells"
grep -q 'pattern (48 points)' $report || fail "the pattern series was not found"
grep -q '#1 gw.level{site=S04}' $report || fail "the best match is not the pattern's own series"
grep -q 'class="overlay-lead"' $report || fail "no pattern or motif centre drawn"
expect_exit 0 bash "$TSBATCH_SOURCE_DIR/tests/report/check_report.sh" --out "$WORK/check_dataset" --window-size 1280,4000 \
  --expect 'corr · correlation' --expect 'pca · pca' --expect 'km · kmeans' --expect 'ps · pattern_search' \
  --expect 'mo · motifs' --expect 'component 1:' $report
# A result without the correlation matrix (not kept) and a motif step whose input is not kept:
# the page says what it cannot show and the run still succeeds.
expect_exit 0 "$TSBATCH" run dataset.yaml --set output.path=results/partial.h5 --set 'output.keep=[pca, mo]'
grep -q 'mo: windows listed without their values: its input step z is not kept' results/partial.report.html ||
  fail "the partial report does not say why the motif windows have no values"
grep -q 'corr · correlation' results/partial.report.html && fail "a step not kept was drawn"
# With group_by the heatmap is r_mean over the contexts, its rows named by metric.
/usr/bin/python3 "$TSBATCH_SOURCE_DIR/tests/cli/dataset_check.py" make-contexts wells.csv
expect_exit 0 "$TSBATCH" stage-in --from csv --layout wide wells.csv -o data/wells.h5
expect_exit 0 "$TSBATCH" run "$TSBATCH_SOURCE_DIR/config/demo.yaml" --set input.path=data/wells.h5 \
  --set output.path=results/ctx.h5 --set 'steps=[{name: ctx, op: correlation, params: {group_by: well}}]'
grep -q 'r_mean of 4 variables' results/ctx.report.html || fail "the group_by heatmap is not r_mean of the variables"
grep -q '>water.ph</text>' results/ctx.report.html || fail "the group_by heatmap does not name its variables"
# matrix_profile: each sample's profile drawn under its series, with the top motif pair and
# discord shaded (the borehole record of cli.matrix_profile).
/usr/bin/python3 "$TSBATCH_SOURCE_DIR/tests/cli/matrix_profile_check.py" make mp.csv
expect_exit 0 "$TSBATCH" stage-in --from csv --layout wide mp.csv -o data/mp.h5
expect_exit 0 "$TSBATCH" run "$TSBATCH_SOURCE_DIR/config/demo.yaml" --set input.path=data/mp.h5 \
  --set output.path=results/mp.h5 --set 'steps=[{name: mp, op: matrix_profile, params: {window: 100}}]'
expect_exit 0 bash "$TSBATCH_SOURCE_DIR/tests/report/check_report.sh" --out "$WORK/check_mp" --window-size 1280,3000 \
  --expect "mp (of source, window 100): matrix profile" --expect 'class="shade-motif"' \
  --expect 'class="shade-discord"' results/mp.report.html
# A failed run writes no report (the result is not there either).
expect_exit 3 "$TSBATCH" run "$TSBATCH_SOURCE_DIR/config/demo.yaml" --set input.path=missing.h5 --set output.path=results/none.h5
[ ! -e results/none.report.html ] || fail "a failed run left a report"
echo "run_report: OK"
