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
# A failed run writes no report (the result is not there either).
expect_exit 3 "$TSBATCH" run "$TSBATCH_SOURCE_DIR/config/demo.yaml" --set input.path=missing.h5 --set output.path=results/none.h5
[ ! -e results/none.report.html ] || fail "a failed run left a report"
echo "run_report: OK"
