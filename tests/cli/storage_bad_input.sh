# Bad input to stage-in and export (DESIGN §6, §8, §9): each case gets a specific message and
# exit 3 (input data error), and nothing is written when a command fails.
set -euo pipefail
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
IT="$TSBATCH_SOURCE_DIR/tests/integration"
CHECK=(/usr/bin/python3 "$TSBATCH_SOURCE_DIR/tests/cli/staged_check.py")

# no_output PATH: the failed command left neither PATH nor a temporary file next to it.
no_output() {
  [ ! -e "$1" ] || fail "$1 was written although the command failed"
  if compgen -G "$1.*tmp*" >/dev/null; then fail "temporary file left: $(compgen -G "$1.*tmp*")"; fi
}
# no_parts DIR: an export that failed left no part file (complete or temporary) in DIR.
no_parts() {
  if [ -d "$1" ] && [ -n "$(ls -A "$1")" ]; then fail "export failed but $1 holds: $(ls -A "$1")"; fi
}
# point_count FILE.h5: points in a staged file.
point_count() { /usr/bin/python3 -c 'import h5py,sys; print(len(h5py.File(sys.argv[1],"r")["points/time"]))' "$1"; }

# --- malformed CSV rows: file:line:column, --max-errors -------------------------------------
# Line 3: a value that is no number (its field starts at byte 36); line 5: a time that is no
# time (byte 1); line 7: a field missing. The other five rows are good.
cat > rows.csv <<'CSV'
time,metric,site,value
2023-11-14T22:13:20Z,gw.level,BH01,1.5
2023-11-14T22:14:20Z,gw.level,BH01,abc
2023-11-14T22:15:20Z,gw.level,BH01,2.5
not-a-time,gw.level,BH01,2
2023-11-14T22:16:20Z,gw.level,BH01,3.5
2023-11-14T22:17:20Z,gw.level,BH01
2023-11-14T22:18:20Z,gw.level,BH02,4.5
2023-11-14T22:19:20Z,gw.level,BH02,5.5
CSV
expect_exit 3 "$TSBATCH" stage-in --from csv rows.csv -o rows.h5 --tag site
expect_output "rows.csv:3:36"
expect_output "rows.csv:5:1"
expect_output "rows.csv:7:"
expect_output "abc"
no_output rows.h5
expect_exit 3 "$TSBATCH" stage-in --from csv rows.csv -o rows.h5 --tag site --max-errors 2
no_output rows.h5
expect_exit 0 "$TSBATCH" stage-in --from csv rows.csv -o rows.h5 --tag site --max-errors 5
expect_output "rows.csv:3:36"
expect_output "rows.csv:5:1"
expect_output "rows.csv:7:"
expect_output "3 bad rows skipped"
[ "$(point_count rows.h5)" -eq 5 ] || fail "rows.h5 should hold the 5 good rows, has $(point_count rows.h5)"
"${CHECK[@]}" format rows.h5 || fail "rows.h5 breaks the staged format"
# The same with the rows parsed on 2 ranks (one file each): reports name the right file.
cp rows.csv rows2.csv
expect_exit 3 "$MPIEXEC" -n 2 "$TSBATCH" stage-in --from csv rows.csv rows2.csv -o rows2.h5 --tag site \
  --duplicates last --max-errors 5
expect_output "rows2.csv:3:36"
expect_output "rows.csv:7:"
no_output rows2.h5

# --- a value column that is not in the header: the message lists the header -----------------
expect_exit 3 "$TSBATCH" stage-in --from csv rows.csv -o col.h5 --value-column level
expect_output "level"
grep -F "site" <<<"$OUT" | grep -F "metric" | grep -F "value" | grep -qF "time" ||
  fail "the message does not list the header (time, metric, site, value):
$OUT"
no_output col.h5

# --- duplicate timestamps: an error by default, resolved by --duplicates --------------------
printf 'time,metric,site,value\n2023-11-14T22:13:20Z,gw.level,A,1\n2023-11-14T22:13:20Z,gw.level,A,2\n' > dup.csv
expect_exit 3 "$TSBATCH" stage-in --from csv dup.csv -o dup.h5 --tag site
no_output dup.h5
expect_exit 0 "$TSBATCH" stage-in --from csv dup.csv -o dup.h5 --tag site --duplicates last
/usr/bin/python3 -c 'import h5py; v = h5py.File("dup.h5","r")["points/value"][()]; assert list(v) == [2.0], v' ||
  fail "--duplicates last did not keep the last value"

# --- a truncated gzip file ---------------------------------------------------------------
/usr/bin/python3 "$IT/make_points.py" -o whole.tsdb.gz --series 50 --points 400 --seed 11 >/dev/null
size=$(stat -c %s whole.tsdb.gz)
head -c $((size / 2)) whole.tsdb.gz > cut.tsdb.gz
expect_exit 3 "$TSBATCH" stage-in --from opentsdb-import cut.tsdb.gz -o cut.h5
expect_output "cut.tsdb.gz"
no_output cut.h5
expect_exit 0 "$TSBATCH" stage-in --from opentsdb-import whole.tsdb.gz -o whole.h5
expect_output "50 series, 20000 points"

# --- /api/query JSON: a good file stages, an unparseable one is refused ----------------------
cat > good.json <<'JSON'
[{"metric":"gw.level","tags":{"site":"BH01"},"aggregatedTags":[],"dps":{"1700000000000":1.5,"1700000060000":2}},
 {"metric":"gw.level","tags":{"site":"BH02"},"aggregatedTags":[],"dps":{"1700000000000":-3}}]
JSON
expect_exit 0 "$TSBATCH" stage-in --from opentsdb-json good.json -o good.h5
expect_output "2 series, 3 points"
head -c 120 good.json > broken.json
expect_exit 3 "$TSBATCH" stage-in --from opentsdb-json broken.json -o broken.h5
expect_output "broken.json"
no_output broken.h5
printf '[{"metric":"gw.level","tags":{"site":"BH01"},"dps":{"1700000000000":1.5,}}]\n' > comma.json
expect_exit 3 "$TSBATCH" stage-in --from opentsdb-json comma.json -o comma.h5
expect_output "comma.json"
no_output comma.h5

# --- series OpenTSDB would refuse, on export --------------------------------------------------
# One staged file with: times in January 1970 (>= 1 s, but before 4294967296 ms), times
# before 1970, a metric with a space, 9 tags; and two good series (8 tags; ordinary).
{
  echo "time,metric,value,site,t2,t3,t4,t5,t6,t7,t8,t9"
  echo "1970-01-01T00:16:40Z,early.jan,1,A,,,,,,,,"
  echo "1970-01-02T00:00:00.500Z,early.jan,2,A,,,,,,,,"
  echo "1969-12-31T00:00:00Z,early.neg,1,A,,,,,,,,"
  echo "1969-12-31T01:00:00Z,early.neg,2,A,,,,,,,,"
  echo "2023-11-14T22:13:20Z,gw level,3,A,,,,,,,,"
  echo "2023-11-14T22:13:20Z,tags.nine,4,A,b,c,d,e,f,g,h,i"
  echo "2023-11-14T22:13:20Z,tags.eight,5,A,b,c,d,e,f,g,h,"
  echo "2023-11-14T22:13:20.123Z,good.one,6.25,A,,,,,,,,"
} > rules.csv
expect_exit 0 "$TSBATCH" stage-in --from csv rules.csv -o rules.h5 --tag site --tag t2 --tag t3 --tag t4 \
  --tag t5 --tag t6 --tag t7 --tag t8 --tag t9
echo "$OUT"
expect_output "gw level"  # stage-in keeps the name and warns that OpenTSDB refuses it
expect_exit 3 "$TSBATCH" export --to opentsdb-import rules.h5 -o ex_rules
echo "$OUT"
expect_output "series early.jan{site=A}: 2 points before 1970-02-19T17:02:47.296Z (4294967296 ms)"
expect_output "series early.neg{site=A}: 2 points before 1970-02-19T17:02:47.296Z"
expect_output "series gw level{site=A}: metric 'gw level'"
expect_output "series tags.nine{site=A,t2=b,t3=c,t4=d,t5=e,t6=f,t7=g,t8=h,t9=i}: 9 tags: OpenTSDB takes at most 8"
expect_output "4 violations"
grep -qF "tags.eight" <<<"$OUT" && fail "a series with 8 tags was reported: $OUT"
grep -qF "good.one" <<<"$OUT" && fail "a good series was reported: $OUT"
no_parts ex_rules
# Whole seconds cover January 1970, not times before 1970-01-01T00:00:01Z.
expect_exit 3 "$TSBATCH" export --to opentsdb-import rules.h5 -o ex_rules --whole-seconds
expect_output "series early.neg{site=A}: 2 points before 1970-01-01T00:00:01.000Z"
grep -qF "early.jan" <<<"$OUT" && fail "--whole-seconds still refuses early.jan: $OUT"
no_parts ex_rules
# The same checks on 2 ranks: every violation is printed once, whichever rank found it.
expect_exit 3 "$MPIEXEC" -n 2 "$TSBATCH" export --to opentsdb-import rules.h5 -o ex_rules2
for s in "early.jan{site=A}" "early.neg{site=A}" "gw level{site=A}" "tags.nine{"; do
  [ "$(grep -cF "series $s" <<<"$OUT")" -eq 1 ] || fail "'$s' is not reported exactly once on 2 ranks: $OUT"
done
no_parts ex_rules2

# Without the unwritable series, --whole-seconds writes integer seconds (ms dropped).
grep -v -e early.neg -e "gw level" -e tags.nine rules.csv > jan.csv
expect_exit 0 "$TSBATCH" stage-in --from csv jan.csv -o jan.h5 --tag site --tag t2 --tag t3 --tag t4 \
  --tag t5 --tag t6 --tag t7 --tag t8 --tag t9
expect_exit 3 "$TSBATCH" export --to opentsdb-import jan.h5 -o ex_jan
no_parts ex_jan
expect_exit 0 "$TSBATCH" export --to opentsdb-import jan.h5 -o ex_jan --whole-seconds
cat > jan.want <<'TXT'
early.jan 1000 1 site=A
early.jan 86400 2 site=A
good.one 1700000000 6.25 site=A
tags.eight 1700000000 5 site=A t2=b t3=c t4=d t5=e t6=f t7=g t8=h
TXT
gzip -dc ex_jan/part-00000.tsdb.gz | LC_ALL=C sort | diff - jan.want || fail "--whole-seconds export differs"

# --sanitise-names at stage-in makes the metric with a space exportable.
printf 'time,metric,site,value\n2023-11-14T22:13:20Z,gw level,A,3\n' > space.csv
expect_exit 0 "$TSBATCH" stage-in --from csv space.csv -o space.h5 --tag site --sanitise-names
expect_exit 0 "$TSBATCH" export --to opentsdb-import space.h5 -o ex_space
[ "$(gzip -dc ex_space/part-00000.tsdb.gz)" = "gw_level 1700000000000 3 site=A" ] ||
  fail "sanitised export: $(gzip -dc ex_space/part-00000.tsdb.gz)"

# --- NaN values are skipped on export and counted --------------------------------------------
/usr/bin/python3 "$IT/make_points.py" -o nan.tsdb --series 12 --points 50 --seed 5 --nan 7
expect_exit 0 "$TSBATCH" stage-in --from opentsdb-import nan.tsdb -o nan.h5
expect_output "12 series, 600 points"
expect_exit 0 "$TSBATCH" export --to opentsdb-import nan.h5 -o ex_nan
expect_output "593 lines"
expect_output "7 NaN points skipped"
# Decompressed to a file first: under pipefail, `gzip -dc | grep -q` fails when grep stops
# reading early, which would hide a match.
gzip -dc ex_nan/part-00000.tsdb.gz > ex_nan.tsdb
! grep -qi nan ex_nan.tsdb || fail "an exported line holds NaN: $(grep -i -m 1 nan ex_nan.tsdb)"
same_output "export with NaN points against the input without them" \
  env LC_ALL=C sort ex_nan.tsdb -- bash -o pipefail -c "grep -v ' NaN ' nan.tsdb | LC_ALL=C sort"
echo "storage_bad_input: OK"
