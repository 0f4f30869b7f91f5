# Dataset-wide operators in a real run: correlation, pca and kmeans give the same result
# bytes on 1, 2 and 3 ranks, agree with pandas/numpy (dataset_check.py), and refuse bad
# input with a clear error, a documented exit code and no result file.
source "$(dirname "$0")/lib.sh"
HERE="$TSBATCH_SOURCE_DIR/tests/cli"

# 36 sensors on one hourly grid (some NaN), driven by 3 shared factors so that PCA and the
# clusters mean something; staged through the wide CSV reader.
/usr/bin/python3 "$HERE/dataset_check.py" make wide.csv
expect_exit 0 "$TSBATCH" stage-in --from csv --layout wide wide.csv -o grid.h5

cat > ds.yaml <<'YAML'
input: {path: grid.h5}
steps:
  - {name: q,        op: quality_stats}
  - {name: corr,     op: correlation, input: source, params: {max_lag: 3, top_pairs: 25}}
  - {name: rank,     op: correlation, input: source, params: {method: spearman, min_overlap: 50}}
  - {name: pca,      op: pca, input: source, params: {components: 3}}
  - {name: km,       op: kmeans, input: source, params: {k: 3, features: paa, segments: 12, seed: 7}}
  - {name: km_table, op: kmeans, params: {k: 2, features: "table:q", columns: "mean, std"}}
output: {path: one.h5}
run: {chunk_series: 5}
YAML
# kmeans on raw values needs complete series: a second config on a NaN-free copy.
expect_exit 0 "$TSBATCH" run ds.yaml
"$TSBATCH" inspect --digest one.h5 > one.txt
grep -q " /corr/r$" one.txt || fail "the digest does not cover the correlation matrix"
for n in 2 3; do
  expect_exit 0 "$MPIEXEC" -n "$n" "$TSBATCH" run ds.yaml --set output.path="r$n.h5"
  expect_every_rank_worked "dataset-wide steps" "$n"
  "$TSBATCH" inspect --digest "r$n.h5" > "r$n.txt"
  cmp one.txt "r$n.txt" || { diff one.txt "r$n.txt" | head; fail "dataset-wide steps on $n ranks differ from 1 rank"; }
done
/usr/bin/python3 "$HERE/dataset_check.py" check one.h5 wide.csv || fail "results disagree with the numpy/pandas references"

# correlation per context (group_by): 6 wells of 4 metrics, one without ph, one series
# without a well; pandas per well and numpy's nanmean/nanvar across wells.
/usr/bin/python3 "$HERE/dataset_check.py" make-contexts wells.csv
expect_exit 0 "$TSBATCH" stage-in --from csv --layout wide wells.csv -o wells.h5
cat > ctx.yaml <<'YAML'
input: {path: wells.h5}
steps:
  - {name: ctx, op: correlation, params: {group_by: well, top_pairs: 5}}
output: {path: ctx1.h5}
run: {chunk_series: 3}
YAML
expect_exit 0 "$TSBATCH" run ctx.yaml
for n in 2 3; do
  expect_exit 0 "$MPIEXEC" -n "$n" "$TSBATCH" run ctx.yaml --set output.path="ctx$n.h5"
  expect_every_rank_worked "correlation group_by" "$n"
  same_output "correlation group_by: $n ranks against 1 rank" \
    "$TSBATCH" inspect --digest ctx1.h5 -- "$TSBATCH" inspect --digest "ctx$n.h5"
done
/usr/bin/python3 "$HERE/dataset_check.py" check-contexts ctx1.h5 wells.csv || fail "correlation group_by"

# kmeans on raw values: every series on one grid without NaN.
/usr/bin/python3 "$HERE/dataset_check.py" make full.csv --no-nan
expect_exit 0 "$TSBATCH" stage-in --from csv --layout wide full.csv -o full.h5
cat > values.yaml <<'YAML'
input: {path: full.h5}
steps:
  - {name: km, op: kmeans, params: {k: 3, seed: 1, n_init: 3}}
  - {name: ps, op: pattern_search, input: source,
     params: {pattern: "gw.level{site=S04}", pattern_from: 2024-01-05T00:00:00Z, pattern_to: 2024-01-07T00:00:00Z, top_k: 5}}
  - {name: ps_dtw, op: pattern_search, input: source,
     params: {pattern: "gw.level{site=S04}", pattern_from: 2024-01-05T00:00:00Z, pattern_to: 2024-01-07T00:00:00Z, distance: dtw, band: 0.2}}
  - {name: ps_inline, op: pattern_search, input: source, params: {pattern: "0, 1, 3, 1, 0, -1, -3, -1, 0", exclusion: 20}}
  - {name: mo, op: motifs, input: source, params: {window: 48, top_k: 3, step: 2}}
output: {path: values1.h5}
run: {chunk_series: 4}
YAML
expect_exit 0 "$TSBATCH" run values.yaml
expect_exit 0 "$MPIEXEC" -n 3 "$TSBATCH" run values.yaml --set output.path=values3.h5
expect_every_rank_worked "kmeans values" 3
same_output "kmeans values: 3 ranks against 1 rank" \
  "$TSBATCH" inspect --digest values1.h5 -- "$TSBATCH" inspect --digest values3.h5
/usr/bin/python3 "$HERE/dataset_check.py" check-kmeans-values values1.h5 full.csv || fail "kmeans on values"
/usr/bin/python3 "$HERE/dataset_check.py" check-pattern values1.h5 full.csv || fail "pattern_search"
/usr/bin/python3 "$HERE/dataset_check.py" check-motifs values1.h5 full.csv || fail "motifs"

# Bad input. pca on series that do not share timestamps: exit 3 naming the first one.
make_data ragged.h5 12 300
for n in 1 2 3; do
  expect_exit 3 "$MPIEXEC" -n "$n" "$TSBATCH" run ds.yaml --set input.path=ragged.h5 --set output.path=bad.h5 --set 'output.keep=[pca]'
  expect_output "pca: series '"
  expect_output "does not share the timestamps of"
  [ ! -e bad.h5 ] || fail "a failed run left bad.h5"
done
# correlation group_by: two series of one metric in one context (exit 3, naming both), a
# tag that no series has (exit 2).
make_data regions.h5 40 100  # region=west holds several sites, each with a gw.level
expect_exit 3 "$MPIEXEC" -n 2 "$TSBATCH" run ctx.yaml --set input.path=regions.h5 --set steps.ctx.params.group_by=region \
  --set output.path=bad.h5
expect_output "group_by needs at most one series per metric in each context"
expect_output "both have metric 'gw.level' in context region="
[ ! -e bad.h5 ] || fail "a failed run left bad.h5"
expect_exit 2 "$MPIEXEC" -n 3 "$TSBATCH" run ctx.yaml --set steps.ctx.params.group_by=flight --set output.path=bad.h5
expect_output "steps.ctx.params.group_by: no series of the step's input has the tag 'flight'"
[ ! -e bad.h5 ] || fail "a failed run left bad.h5"
# k above the number of series: a config error (exit 2) naming the parameter.
expect_exit 2 "$MPIEXEC" -n 2 "$TSBATCH" run ds.yaml --set steps.km.params.k=99 --set output.path=bad.h5
expect_output "steps.km.params.k: must not exceed the number of series (36), got 99"
[ ! -e bad.h5 ] || fail "a failed run left bad.h5"
# More components than series.
expect_exit 2 "$TSBATCH" run ds.yaml --set steps.pca.params.components=40 --set output.path=bad.h5
expect_output "steps.pca.params.components: must not exceed the number of series (36)"
# kmeans values with NaN: exit 3 naming the series and the time.
expect_exit 3 "$MPIEXEC" -n 3 "$TSBATCH" run values.yaml --set input.path=grid.h5 --set output.path=bad.h5
expect_output "kmeans: series '"
expect_output "has a missing or non-finite value at"
# A pattern that names no series, or is longer than every series.
expect_exit 2 "$TSBATCH" run values.yaml --set 'steps.ps.params.pattern=gw.level{site=nowhere}' --set output.path=bad.h5
expect_output "steps.ps.params.pattern: 'gw.level{site=nowhere}' is neither a list of numbers nor the id of a series"
expect_exit 3 "$MPIEXEC" -n 2 "$TSBATCH" run values.yaml --set "steps.ps_inline.params.pattern=$(seq -s, 1 600)" --set output.path=bad.h5
expect_output "the pattern has 600 points but the longest series has 500"
[ ! -e bad.h5 ] || fail "a failed run left bad.h5"
# A dataset-wide step cannot feed another step.
cat > feed.yaml <<'YAML'
input: {path: grid.h5}
steps:
  - {name: pca, op: pca, params: {components: 2}}
  - {name: z, op: scale, input: pca, params: {method: zscore}}
output: {path: bad.h5}
YAML
expect_exit 2 "$TSBATCH" run feed.yaml
expect_output "is dataset-wide; its results are final and feed no other step"
echo "dataset_ops: OK"
