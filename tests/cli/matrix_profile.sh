# matrix_profile in a real run: one long borehole record (20,000 minutes, a NaN run, a flat
# stretch, a level of 1e6) and three short series give the same result bytes on 1, 2 and 3
# ranks while the long series' tiles are spread over every rank; the profiles agree with
# numpy (matrix_profile_check.py); the outputs export to CSV; a run stopped or killed in the
# middle resumes from its recorded tiles. (The report's profile panels: cli.run_report.)
source "$(dirname "$0")/lib.sh"
HERE="$TSBATCH_SOURCE_DIR/tests/cli"

/usr/bin/python3 "$HERE/matrix_profile_check.py" make mp.csv
expect_exit 0 "$TSBATCH" stage-in --from csv --layout wide mp.csv -o mp.h5

cat > mp.yaml <<'YAML'
input: {path: mp.h5}
steps:
  - {name: mp, op: matrix_profile, params: {window: 100, top_k: 3, tile: 1024}}
output: {path: one.h5}
YAML
expect_exit 0 "$TSBATCH" run mp.yaml
"$TSBATCH" inspect --digest one.h5 > one.txt
grep -q " /mp/profile/points/value$" one.txt || fail "the digest does not cover the profile"
for n in 2 3; do
  # One chunk: a single rank holds every series, the others only compute tiles.
  expect_exit 0 "$MPIEXEC" -n "$n" "$TSBATCH" run mp.yaml --set output.path="r$n.h5"
  "$TSBATCH" inspect --digest "r$n.h5" > "r$n.txt"
  cmp one.txt "r$n.txt" || { diff one.txt "r$n.txt" | head; fail "matrix_profile on $n ranks differs from 1 rank"; }
done
# Series spread over the ranks too (a chunk per series).
expect_exit 0 "$MPIEXEC" -n 3 "$TSBATCH" run mp.yaml --set output.path=spread.h5 --set run.chunk_series=1
expect_every_rank_worked "matrix_profile, a chunk per series" 3
"$TSBATCH" inspect --digest spread.h5 > spread.txt
cmp one.txt spread.txt || fail "matrix_profile with a chunk per series differs"
echo "matrix_profile: identical on 1, 2 and 3 ranks"

/usr/bin/python3 "$HERE/matrix_profile_check.py" check one.h5 mp.csv mp 100 || fail "profiles disagree with numpy"

expect_exit 0 "$TSBATCH" export --to csv one.h5:/mp -o csv
[ -s csv/mp.top.csv ] || fail "no CSV of the top table: $(ls -R csv)"
head -1 csv/mp.top.csv | grep -q "kind" || fail "top CSV header: $(head -1 csv/mp.top.csv)"
echo "matrix_profile: exported"


# run.checkpoint: a run stopped (SIGTERM, exit 75) or killed (SIGKILL) in the middle of the
# long series resumes on another rank count from the recorded tiles, with the same bits.
# Every tile is slowed down and recorded at once, so the signal lands mid-step.
stop_mid_step() {  # stop_mid_step SIGNAL CKPT OUT
  TSBATCH_TEST_WORK_DELAY_MS=20 TSBATCH_TEST_SNAPSHOT_MS=0 interrupt_run "$1" "$2" "$3" 'piece-mp.*.bin' 2 mp.yaml
}
stop_mid_step TERM ck_term r_term.h5
[ "$RC" -eq 75 ] || fail "SIGTERM: exit $RC, expected 75: $(cat r_term.h5.log)"
grep -q "tiles are recorded in the checkpoint" r_term.h5.log || fail "SIGTERM: no resume hint: $(cat r_term.h5.log)"
[ ! -e r_term.h5 ] || fail "SIGTERM: an interrupted run left its output file"
read -r done_tiles all_tiles < <(sed -n 's/.*during matrix_profile: \([0-9]*\) of \([0-9]*\) tiles.*/\1 \2/p' r_term.h5.log)
[ -n "$done_tiles" ] && [ "$done_tiles" -gt 0 ] && [ "$done_tiles" -lt "$all_tiles" ] ||
  fail "SIGTERM: expected some but not all tiles done: $(cat r_term.h5.log)"
expect_exit 0 "$MPIEXEC" -n 3 "$TSBATCH" run mp.yaml --set output.path=r_term.h5 --set run.checkpoint=ck_term
"$TSBATCH" inspect --digest r_term.h5 > r_term.txt
cmp one.txt r_term.txt || fail "SIGTERM: the resumed result differs from an uninterrupted run"
[ ! -e ck_term ] || fail "SIGTERM: the checkpoint was not removed after the result was written"

stop_mid_step KILL ck_kill r_kill.h5
[ "$RC" -ne 0 ] || fail "SIGKILL: the run finished before it was killed"
[ ! -e r_kill.h5 ] || fail "SIGKILL: a killed run left a file at the output path"
expect_exit 0 "$TSBATCH" run mp.yaml --set output.path=r_kill.h5 --set run.checkpoint=ck_kill
"$TSBATCH" inspect --digest r_kill.h5 > r_kill.txt
cmp one.txt r_kill.txt || fail "SIGKILL: the resumed result differs from an uninterrupted run"
echo "matrix_profile: stopped after $done_tiles of $all_tiles tiles and killed mid-series, resumed on 3 and 1 ranks, same bits"
