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
  n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no config files found"
echo "example_configs: $n configs OK"
