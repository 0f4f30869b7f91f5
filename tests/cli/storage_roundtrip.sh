# Storage round trips without a server (DESIGN §3, §6, §8):
#  (a) `tsdb import` text -> stage-in -> export --to opentsdb-import gives back the same lines,
#      on 1 and 2 ranks, each part sorted by series then time, the same bytes on 1 and 2 ranks;
#  (b) every CSV fixture (tests/fixtures/csv/*.csv) stages to exactly the series and points
#      pandas read from it (the fixture's .yaml);
#  (c) export --to csv, then stage-in of that CSV, gives the same staged series again.
set -euo pipefail
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
IT="$TSBATCH_SOURCE_DIR/tests/integration"
CHECK=(/usr/bin/python3 "$TSBATCH_SOURCE_DIR/tests/cli/staged_check.py")
FIXTURES="$TSBATCH_SOURCE_DIR/tests/fixtures/csv"
# The first line of a gzip file (sed reads to the end: `head` would make gzip fail with
# SIGPIPE, which pipefail turns into an error).
first_line() { gzip -dc "$1" | sed -n '1p' | tr -d '\r'; }

# --- (a) import text round trip ------------------------------------------------------------
# --order time interleaves the series, so stage-in has to group and sort them. 320,000 points
# make two chunks of series (a chunk closes at 2^18 points), so that 2 ranks both get work.
/usr/bin/python3 "$IT/make_points.py" -o pts.tsdb --series 400 --points 800 --seed 7 --order time
expect_exit 0 "$TSBATCH" stage-in --from opentsdb-import pts.tsdb -o s1.h5
expect_output "400 series, 320000 points"
"${CHECK[@]}" format s1.h5 || fail "s1.h5 breaks the staged format"
"${CHECK[@]}" vs-import s1.h5 pts.tsdb || fail "stage-in changed the points of pts.tsdb"

expect_exit 0 "$TSBATCH" export --to opentsdb-import s1.h5 -o ex1
expect_output "320000 lines"
[ "$(ls ex1)" = "part-00000.tsdb.gz" ] || fail "export on 1 rank wrote: $(ls ex1)"
# Values are written the same way as in the input (integers without ".0", shortest decimals).
same_output "exported lines against the input lines" \
  bash -o pipefail -c 'gzip -dc ex1/part-00000.tsdb.gz | LC_ALL=C sort' -- env LC_ALL=C sort pts.tsdb
"${CHECK[@]}" import-order ex1/part-00000.tsdb.gz || fail "export is not sorted by series then time"

# Through a run with an identity step: the step's collection exports to the same lines, and
# its default metric names carry the step.
cat > identity.yaml <<'YAML'
input: {path: s1.h5}
steps:
  - {name: copy, op: identity}
output: {path: run.h5}
YAML
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" run identity.yaml
expect_exit 0 "$TSBATCH" export --to opentsdb-import run.h5:/copy -o ex_run --metric '{metric}'
same_output "stage-in -> run (identity) -> export against the input lines" \
  bash -o pipefail -c 'gzip -dc ex_run/part-00000.tsdb.gz | LC_ALL=C sort' -- env LC_ALL=C sort pts.tsdb
expect_exit 0 "$TSBATCH" export --to opentsdb-import run.h5:copy -o ex_run_named
gzip -dc ex_run_named/part-00000.tsdb.gz | sed -n '1p' | grep -q '^it\.[a-z]*\.copy ' ||
  fail "the default template does not add the step to the metric: $(gzip -dc ex_run_named/part-00000.tsdb.gz | sed -n '1p')"

# Two ranks: the input in two files (one gzip'd), named by a glob, parsed on different ranks.
head -n 100000 pts.tsdb > in-a.tsdb
tail -n +100001 pts.tsdb | gzip -c > in-b.tsdb.gz
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" stage-in --from opentsdb-import 'in-*.tsdb*' -o s2.h5
expect_output "400 series, 320000 points from 2 files"
"${CHECK[@]}" vs-h5 s1.h5 s2.h5 || fail "stage-in on 2 ranks from 2 files differs from 1 rank"
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" export --to opentsdb-import s2.h5 -o ex2
[ "$(ls ex2 | tr '\n' ' ')" = "part-00000.tsdb.gz part-00001.tsdb.gz " ] || fail "export on 2 ranks wrote: $(ls ex2)"
for p in ex2/part-*.tsdb.gz; do
  [ -n "$(first_line "$p")" ] || fail "$p is empty: a rank got no series"
done
"${CHECK[@]}" import-order ex2/part-00000.tsdb.gz ex2/part-00001.tsdb.gz || fail "2-rank parts are not sorted"
# The parts, in rank order, are the 1-rank export line for line (results do not depend on
# the rank count).
same_output "2-rank export against the 1-rank export" \
  gzip -dc ex1/part-00000.tsdb.gz -- gzip -dc ex2/part-00000.tsdb.gz ex2/part-00001.tsdb.gz
# Compression changes the file, not the data; the metric template renames on export.
expect_exit 0 "$TSBATCH" stage-in --from opentsdb-import pts.tsdb -o s1z.h5 --compression deflate
"${CHECK[@]}" vs-h5 s1.h5 s1z.h5 || fail "stage-in --compression deflate changed the data"
/usr/bin/python3 -c 'import h5py, sys; d = h5py.File(sys.argv[1], "r")["points/value"]; sys.exit(d.compression != "gzip")' s1z.h5 ||
  fail "--compression deflate did not compress points/value"
expect_exit 0 "$TSBATCH" export --to opentsdb-import s1.h5 -o ex_tpl --metric 'x.{metric}'
same_output "export --metric 'x.{metric}' against the plain export, prefixed" \
  gzip -dc ex_tpl/part-00000.tsdb.gz -- bash -o pipefail -c "gzip -dc ex1/part-00000.tsdb.gz | sed 's/^/x./'"
# Exporting again on 1 rank into the same directory leaves no stale part-00001 behind, which
# `tsdb import` would read a second time.
expect_exit 0 "$TSBATCH" export --to opentsdb-import s2.h5 -o ex2
[ "$(ls ex2)" = "part-00000.tsdb.gz" ] || fail "stale parts after a 1-rank export: $(ls ex2)"

# --- (b) CSV fixtures against pandas -----------------------------------------------------
# The fixture's options (csv_options field names) as stage-in flags.
fixture_flags() {
  /usr/bin/python3 - "$1" <<'PY'
import sys, yaml
opts = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["options"]
flags = []
for key, value in opts.items():
    if key == "layout": flags += ["--layout", value]
    elif key == "separator": flags += ["--separator", "tab" if value == "\t" else value]
    elif key == "decimal_comma": flags += ["--decimal-comma"] if value else []
    elif key == "time_column": flags += ["--time-column", value]
    elif key == "time_format": flags += ["--time-format", {"iso8601": "iso"}.get(value, value)]
    elif key == "timezone": flags += ["--timezone", value]
    elif key == "value_column": flags += ["--value-column", value]
    elif key == "metric_column": flags += ["--metric-column", value]
    elif key == "metric": flags += ["--metric", value]
    elif key == "tag_columns":
        for t in value: flags += ["--tag", t]
    elif key == "nan_markers":
        for m in value: flags += ["--nan-marker", m]
    else:
        sys.exit(f"{sys.argv[1]}: option {key} has no stage-in flag in this test")
sys.stdout.write("".join(f + "\0" for f in flags))
PY
}

fixtures=("$FIXTURES"/*.yaml)
[ "${#fixtures[@]}" -ge 5 ] || fail "expected the CSV fixtures in $FIXTURES"
for yaml in "${fixtures[@]}"; do
  name=$(basename "$yaml" .yaml)
  # Through a file: a process substitution would drop the script's exit status.
  fixture_flags "$yaml" > "flags_$name" || fail "$name: cannot read the fixture's options"
  mapfile -d '' flags < "flags_$name"
  expect_exit 0 "$TSBATCH" stage-in --from csv "$FIXTURES/$name.csv" -o "fx_$name.h5" "${flags[@]}"
  echo "$name: ${flags[*]}: $(tail -n 1 <<<"$OUT")"
  "${CHECK[@]}" format "fx_$name.h5" || fail "$name: staged file breaks the staged format"
  "${CHECK[@]}" vs-fixture "fx_$name.h5" "$yaml" || fail "$name: staged series differ from pandas' reading"
done

# Wide-form options on the fixtures: empty cells kept as NaN points, a header mapped to another
# series, a column ignored.
fx="$FIXTURES/wide_iso_zones.csv"
expect_exit 0 "$TSBATCH" stage-in --from csv "$fx" -o wide_keep.h5 --layout wide --keep-empty-cells
/usr/bin/python3 - "$fx" wide_keep.h5 fx_wide_iso_zones.h5 <<'PY' || fail "--keep-empty-cells: wrong points"
import sys, os, numpy as np
sys.path.insert(0, os.path.join(os.environ["TSBATCH_SOURCE_DIR"], "tests/integration"))
import points
rows = sum(1 for _ in open(sys.argv[1])) - 1
keep, skip = points.read_staged(sys.argv[2]), points.read_staged(sys.argv[3])
assert keep.keys() == skip.keys(), (keep.keys(), skip.keys())
for sid in keep:
    k, s = keep[sid], skip[sid]
    assert len(k.time) == rows, (sid, len(k.time), rows)
    extra = ~np.isin(k.time, s.time)
    assert np.all(np.isnan(k.value[extra])), sid  # the empty cells
    same = np.isin(k.time, s.time)
    assert np.array_equal(k.value[same], s.value, equal_nan=True), sid
print(f"--keep-empty-cells: {len(keep)} series of {rows} points each")
PY
fx="$FIXTURES/wide_epoch_seconds.csv"
expect_exit 0 "$TSBATCH" stage-in --from csv "$fx" -o wide_map.h5 --layout wide \
  --series-map 'plant.counter=plant.count{site=P1}' --ignore-column seismic.amplitude
/usr/bin/python3 - wide_map.h5 fx_wide_epoch_seconds.h5 <<'PY' || fail "--series-map/--ignore-column: wrong series"
import sys, os, numpy as np
sys.path.insert(0, os.path.join(os.environ["TSBATCH_SOURCE_DIR"], "tests/integration"))
import points
got, ref = points.read_staged(sys.argv[1]), points.read_staged(sys.argv[2])
assert list(got) == ["plant.count{site=P1}"], list(got)
g, r = got["plant.count{site=P1}"], ref["plant.counter"]
assert g.metric == "plant.count" and g.tags == "site=P1", g[:2]
assert np.array_equal(g.time, r.time) and np.array_equal(g.value, r.value, equal_nan=True)
print("--series-map, --ignore-column: OK")
PY

# --- (c) export --to csv and stage it in again --------------------------------------------
# The CSV export's header is time,value,metric,<tag keys>; each tag key becomes --tag.
csv_roundtrip() {  # staged-file ranks
  local src=$1 n=$2 dir header
  dir="csv_$(basename "$src" .h5)_$n"
  expect_exit 0 "$MPIEXEC" -n "$n" "$TSBATCH" export --to csv "$src" -o "$dir"
  [ "$(ls "$dir" | wc -l)" -eq "$n" ] || fail "export --to csv on $n ranks wrote: $(ls "$dir")"
  # Each part is a CSV file of its own (stage-in, a spreadsheet or pandas may read one part),
  # so each starts with the same header.
  header=$(first_line "$dir/part-00000.csv.gz")
  case "$header" in time,value,metric*) ;; *) fail "$dir: unexpected CSV header '$header'" ;; esac
  local part
  for part in "$dir"/part-*.csv.gz; do
    [ "$(first_line "$part")" = "$header" ] ||
      fail "$part does not start with the header '$header' but with: $(first_line "$part")"
  done
  local tags=() key
  IFS=, read -ra keys <<<"${header#time,value,metric}"
  for key in "${keys[@]}"; do [ -z "$key" ] || tags+=(--tag "$key"); done
  expect_exit 0 "$MPIEXEC" -n "$n" "$TSBATCH" stage-in --from csv "$dir/part-*.csv.gz" -o "$dir.h5" \
    --layout long --metric-column metric --value-column value --time-column time "${tags[@]}"
  "${CHECK[@]}" vs-h5 "$src" "$dir.h5" || fail "export --to csv + stage-in changed $src"
}
csv_roundtrip s1.h5 1
csv_roundtrip s1.h5 2
for yaml in "${fixtures[@]}"; do
  csv_roundtrip "fx_$(basename "$yaml" .yaml).h5" 1
done
echo "storage_roundtrip: OK"
