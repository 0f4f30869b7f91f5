# Every file in config/ runs (examples are tests): on data generated the way scripts/demo
# makes it, with the output redirected into the scratch directory.
source "$(dirname "$0")/lib.sh"
mkdir -p data
make_data data/demo.h5 60 2000 42
n=0
for cfg in "$TSBATCH_SOURCE_DIR"/config/*.yaml; do
  name=$(basename "$cfg" .yaml)
  expect_exit 0 "$TSBATCH" validate "$cfg" --set output.path="results/$name.h5"
  expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" run "$cfg" --set output.path="results/$name.h5"
  [ -f "results/$name.h5" ] || fail "$name: no result file"
  expect_exit 0 "$TSBATCH" inspect "results/$name.h5"
  if grep -q 'import_dir:' "$cfg"; then
    # output.opentsdb.import_dir: the exported lines are exactly the non-NaN points of the
    # sent steps, under the templated metric names.
    dir=$(sed -n 's/^ *import_dir: *//p' "$cfg")
    got=$(zcat "$dir"/part-*.tsdb.gz | wc -l)
    want=$(/usr/bin/python3 - "results/$name.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1])
print(sum(int(np.count_nonzero(~np.isnan(f[g]["points/value"][()]))) for g in ["daily"]))
PY
)
    [ "$got" -eq "$want" ] || fail "$name: $got import lines, expected $want"
    zcat "$dir"/part-*.tsdb.gz | head -1 | grep -q '^gw\.[a-z_.]*\.daily ' || fail "$name: metric names lack the step"
  fi
  n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no config files found"
echo "example_configs: $n configs OK"
