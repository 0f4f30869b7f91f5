# matrix_profile in a real run: one long borehole record (20,000 minutes, a NaN run, a flat
# stretch, a level of 1e6) and three short series give the same result bytes on 1, 2 and 3
# ranks while the long series' tiles are spread over every rank; the profiles agree with
# numpy (matrix_profile_check.py); the outputs export to CSV.
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

# The run report draws each sample's profile under its series, with the top motif pair and
# discord shaded, checked in headless chromium.
[ -s one.report.html ] || fail "no run report"
expect_exit 0 bash "$TSBATCH_SOURCE_DIR/tests/report/check_report.sh" --out "$WORK/check_mp" --window-size 1280,3000 \
  --expect "mp (of source, window 100): matrix profile" --expect 'class="shade-motif"' \
  --expect 'class="shade-discord"' one.report.html
echo "matrix_profile: report panels rendered"
