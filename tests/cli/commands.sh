# Every subcommand works as documented on a small data set.
source "$(dirname "$0")/lib.sh"

expect_exit 0 "$TSBATCH" --help
expect_output "run"
expect_exit 0 "$TSBATCH" --version
expect_output "tsbatch"
expect_exit 2 "$TSBATCH"
expect_exit 2 "$TSBATCH" no-such-command

expect_exit 0 "$TSBATCH" catalogue
for op in identity quality_stats resample scale; do expect_output "$op"; done
expect_exit 0 "$TSBATCH" catalogue --json
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
cat = json.loads(sys.argv[1])
names = [op["name"] for op in cat]
for n in ("quality_stats", "resample", "scale"):
    assert n in names, names
res = next(op for op in cat if op["name"] == "resample")
period = next(p for p in res["params"] if p["name"] == "period")
assert period["required"] and period["type"] == "duration", period
agg = next(p for p in res["params"] if p["name"] == "aggregation")
assert set(agg["choices"]) == {"mean", "min", "max", "median", "sum", "count", "first", "last", "std"}, agg
PY

make_data data.h5 40 400
expect_exit 0 "$TSBATCH" inspect data.h5
expect_output "tsbatch-series"
expect_output "40 series, 16000 points"

cat > run.yaml <<'YAML'
input: {path: data.h5}
steps:
  - {name: q, op: quality_stats}
  - {name: h, op: resample, input: source, params: {period: 1h}}
  - {name: z, op: scale, params: {method: minmax}}
output: {path: out/result.h5}
YAML
expect_exit 0 "$TSBATCH" validate run.yaml --print
expect_output "run.yaml: OK"
expect_output "period: 1h"
expect_exit 0 "$TSBATCH" run run.yaml --dry-run
expect_output "rank 0"
[ ! -e out/result.h5 ] || fail "--dry-run wrote a result"

expect_exit 0 "$TSBATCH" run run.yaml --set steps.h.params.period=30min
[ -f out/result.h5 ] || fail "no result file"
expect_exit 0 "$TSBATCH" inspect --config out/result.h5
expect_output "/q (quality_stats)"
expect_output "/h (resample)"
expect_output "/z (scale)"
expect_output "period: 30min"
expect_output "ranks"
expect_output "/_run_steps"
[[ "$(ls out)" != *tmp* ]] || fail "temporary file left behind: $(ls out)"

# Without a launcher the run starts no MPI; TSBATCH_MPI=init starts it as a singleton. Both
# write the same result.
expect_exit 0 env TSBATCH_MPI=init "$TSBATCH" run run.yaml --set steps.h.params.period=30min \
  --set output.path=out/with_mpi.h5
same_output "a run without MPI against one as an MPI singleton" \
  "$TSBATCH" inspect --digest out/result.h5 -- "$TSBATCH" inspect --digest out/with_mpi.h5

# Runs chain: a result collection is the input of the next run.
cat > chain.yaml <<'YAML'
input: {path: out/result.h5, group: /h}
steps:
  - {name: daily, op: resample, params: {period: 1d, aggregation: max}}
output: {path: out/chained.h5}
YAML
expect_exit 0 "$TSBATCH" run chain.yaml
expect_exit 0 "$TSBATCH" inspect out/chained.h5
expect_output "/daily (resample)"
expect_output "40 series"
expect_exit 3 "$TSBATCH" run chain.yaml --set input.group=/q
expect_output "is a 'tsbatch-table', not a series collection"

# Progress: plain "progress:" lines on stderr when it is not a terminal (batch logs).
make_data big.h5 100 30000
expect_exit 0 "$TSBATCH" run run.yaml --set input.path=big.h5 --set run.progress_interval=1ms --set output.path=out/progress.h5
expect_output "progress:"
expect_output "ETA"

# Re-running overwrites its own result (idempotent), and the data are the same.
"$TSBATCH" inspect --digest out/result.h5 > first.txt
expect_exit 0 "$TSBATCH" run run.yaml --set steps.h.params.period=30min
"$TSBATCH" inspect --digest out/result.h5 > second.txt
cmp first.txt second.txt || fail "re-running gave different data"
# Wide CSV: an empty cell is no point unless --keep-empty-cells (README and --help say so).
expect_exit 0 "$TSBATCH" stage-in --help
expect_output "without it an empty cell is no point"
printf 'time,a,b\n2020-01-01T00:00:00Z,1.5,\n2020-01-01T01:00:00Z,,2.5\n2020-01-01T02:00:00Z,NaN,3.5\n' > wide_empty.csv
expect_exit 0 "$TSBATCH" stage-in --from csv --layout wide wide_empty.csv -o wide_skip.h5
expect_exit 0 "$TSBATCH" stage-in --from csv --layout wide wide_empty.csv -o wide_keep.h5 --keep-empty-cells
/usr/bin/python3 - <<'PY' || fail "wide CSV: empty cells"
import h5py
for path, want in (("wide_skip.h5", [2, 2]), ("wide_keep.h5", [3, 3])):
    got = list(h5py.File(path)["series/count"][()])
    assert got == want, f"{path}: points per series {got}, expected {want}"
PY
echo "commands: OK"
