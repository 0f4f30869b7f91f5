# `tsbatch export --to postgres` against a real PostgreSQL server (tests/integration/postgres.sh):
# round trips of quality_stats and outlier-flag tables from 1 and 2 ranks (pg_check.py compares
# every row with h5py), create/append/replace, a changed schema, an empty table, quoted and
# Unicode names with NaN and infinities, a wrong password and a password in --dsn (exit 5 and
# 2, the password in no output), and the server stopped in the middle of a large COPY on 1
# and on 2 ranks (exit 5, the table as before, no staging table left, a rerun succeeds).
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
source "$TSBATCH_SOURCE_DIR/tests/integration/postgres.sh"
CHECK="$TSBATCH_SOURCE_DIR/tests/integration/pg_check.py"
pg_start "$WORK/pg"

make_data data.h5 40 400
cat > run.yaml <<'YAML'
input: {path: data.h5}
steps:
  - {name: q,       op: quality_stats}
  - {name: out_mad, op: outliers, params: {method: mad}}
  - {name: sl_sta,  op: sta_lta, params: {sta: 2min, lta: 30min, on: 1000000, off: 1}}  # no trigger: an empty table
output: {path: result.h5}
YAML
"$TSBATCH" run run.yaml >/dev/null

# Round trips, 1 and 2 ranks.
"$TSBATCH" export --to postgres result.h5:/q --table q1
/usr/bin/python3 "$CHECK" result.h5 q q1
"$MPIEXEC" -n 2 "$TSBATCH" export --to postgres result.h5:/q --table q2 >/dev/null
/usr/bin/python3 "$CHECK" result.h5 q q2
"$TSBATCH" export --to postgres result.h5:/out_mad/flags --table flags1 >/dev/null
/usr/bin/python3 "$CHECK" result.h5 out_mad/flags flags1
"$MPIEXEC" -n 2 "$TSBATCH" export --to postgres result.h5:/out_mad/flags --table flags2 >/dev/null
/usr/bin/python3 "$CHECK" result.h5 out_mad/flags flags2
[ "$(pg_sql "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'q1'::regclass AND attname = 'start'")" = "timestamp with time zone" ] ||
  fail "q1.start is not a timestamptz"
[ "$(pg_sql "SELECT tags->>'site' FROM q1 WHERE series_index = 0")" = "$(h5dump -d /q/id -s 0 -c 1 result.h5 | grep -o 'site=[A-Z0-9]*' | head -1 | cut -d= -f2)" ] ||
  fail "q1.tags does not hold the site of series 0"

# create refuses an existing table; replace replaces it; append adds (same columns only).
expect_exit 5 "$TSBATCH" export --to postgres result.h5:/q --table q1
expect_output "table q1 exists; --mode append adds the rows to it, --mode replace replaces it"
"$MPIEXEC" -n 2 "$TSBATCH" export --to postgres result.h5:/q --table q1 --mode replace >/dev/null
/usr/bin/python3 "$CHECK" result.h5 q q1 1
"$MPIEXEC" -n 2 "$TSBATCH" export --to postgres result.h5:/q --table q1 --mode append >/dev/null
/usr/bin/python3 "$CHECK" result.h5 q q1 2
"$TSBATCH" export --to postgres result.h5:/q --table q1 --mode append >/dev/null
/usr/bin/python3 "$CHECK" result.h5 q q1 3
for n in 1 2; do
  expect_exit 5 "$MPIEXEC" -n $n "$TSBATCH" export --to postgres result.h5:/out_mad/flags --table q1 --mode append
  expect_output "table q1 has the columns (run_id text, series_index bigint, id text, metric text, tags jsonb, nb_points bigint"
  expect_output "but the export has (run_id text, series_index bigint, id text, metric text, tags jsonb, time timestamp with time zone"
  expect_output "nothing was written"
done
/usr/bin/python3 "$CHECK" result.h5 q q1 3

# An empty table: the table with its columns and no row.
"$TSBATCH" export --to postgres result.h5:/sl_sta/triggers --table triggers >/dev/null
[ "$(pg_sql "SELECT count(*) FROM triggers")" = 0 ] || fail "the empty triggers table has rows"
[ "$(pg_sql "SELECT count(*) FROM pg_attribute WHERE attrelid = 'triggers'::regclass AND attnum > 0")" -ge 8 ] ||
  fail "the empty triggers table lacks its columns"

# Quotes and Unicode in names and tags, NaN and infinities in the values.
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
series = [("sensor", 'site=Île,zone=a"b', [1.0, np.inf, 2.0]), ("ph", "région=Nord", [np.nan, -np.inf, 3.5]),
          ("q'uote", "", [-0.0, 1e-300, 1e300]), ("empty", "", [])]
with h5py.File("special.h5", "w") as f:
    f.attrs["tsbatch_format"] = "tsbatch-series"
    f.attrs["tsbatch_format_version"] = 1
    s = f.create_group("series")
    ids = [m + ("{" + t + "}" if t else "") for m, t, _ in series]
    for name, values in (("id", ids), ("metric", [m for m, _, _ in series]), ("tags", [t for _, t, _ in series])):
        s.create_dataset(name, data=values, dtype=h5py.string_dtype("utf-8"))
    s.create_dataset("count", data=np.array([3, 3, 3, 0], dtype="u8"))
    s.create_dataset("offset", data=np.array([0, 3, 6, 9], dtype="u8"))
    p = f.create_group("points")
    p.create_dataset("time", data=np.array([1700000000000, 1700000060000, 1700000120000] * 3, dtype="i8"))
    p.create_dataset("value", data=np.concatenate([v for _, _, v in series]).astype("f8"))
PY
cat > special.yaml <<'YAML'
input: {path: special.h5}
steps:
  - {name: q, op: quality_stats}
output: {path: special_result.h5}
YAML
"$TSBATCH" run special.yaml >/dev/null
weird='we"ird tablé'
"$MPIEXEC" -n 2 "$TSBATCH" export --to postgres special_result.h5:/q --table "$weird" >/dev/null
/usr/bin/python3 "$CHECK" special_result.h5 q "$weird"
[ "$(pg_sql "SELECT tags->>'site' FROM \"we\"\"ird tablé\" WHERE metric = 'sensor'")" = "Île" ] || fail "Unicode tag lost"
[ "$(pg_sql "SELECT max::text FROM \"we\"\"ird tablé\" WHERE metric = 'sensor'")" = "Infinity" ] || fail "inf lost"
[ "$(pg_sql "SELECT variance::text FROM \"we\"\"ird tablé\" WHERE metric = 'sensor'")" = "NaN" ] || fail "NaN lost"

# Credentials: a wrong password is exit 5 and neither password shows; a password in --dsn is
# refused before connecting (exit 2) without repeating it.
right=$PGPASSWORD
expect_exit 5 env PGPASSWORD=wrong-pass-4711 "$TSBATCH" export --to postgres result.h5:/q --table nope
expect_output "password authentication failed"
! grep -qF -e wrong-pass-4711 -e "$right" <<<"$OUT" || fail "a password shows in the output: $OUT"
expect_exit 2 "$TSBATCH" export --to postgres result.h5:/q --table nope --dsn "host=127.0.0.1 password=hunter2-secret"
expect_output "--dsn holds a password"
! grep -qF hunter2-secret <<<"$OUT" || fail "the --dsn password shows in the output: $OUT"
expect_exit 2 "$TSBATCH" export --to postgres result.h5:/q --table nope --dsn "postgresql://u:hunter2-secret@127.0.0.1/db"
! grep -qF hunter2-secret <<<"$OUT" || fail "the URI password shows in the output: $OUT"
[ -z "$(pg_sql "SELECT 1 FROM pg_class WHERE relname = 'nope'")" ] || fail "a refused export created its table"
expect_exit 3 "$TSBATCH" export --to postgres result.h5 --table nope
expect_output "result.h5 is neither a table nor a collection"

# A collection's series table (id, metric, tags, count, first and last time), 1 and 2 ranks;
# an empty series has NULL times.
"$TSBATCH" export --to postgres result.h5:/out_mad/series --table series1 >/dev/null
/usr/bin/python3 "$CHECK" result.h5 out_mad/series series1
"$MPIEXEC" -n 2 "$TSBATCH" export --to postgres data.h5 --table series_in >/dev/null
/usr/bin/python3 "$CHECK" data.h5 / series_in
"$MPIEXEC" -n 2 "$TSBATCH" export --to postgres special.h5 --table series_special >/dev/null
/usr/bin/python3 "$CHECK" special.h5 / series_special
[ "$(pg_sql "SELECT count(*) FROM series_special WHERE metric = 'empty' AND first_time IS NULL AND count = 0")" = 1 ] ||
  fail "the empty series has no row with NULL times"

# output.postgres: the kept steps' tables loaded as the run's last stage, on 2 ranks; a
# password in its dsn is refused when the config is read.
cat > publish.yaml <<'YAML'
input: {path: data.h5}
steps:
  - {name: q,       op: quality_stats}
  - {name: hourly,  op: resample, params: {period: 1h}}
  - {name: out_mad, op: outliers, input: source, params: {method: mad}}
output:
  path: published.h5
  postgres: {table: "run_{step}_{output}", mode: replace, steps: [q, out_mad]}
YAML
"$MPIEXEC" -n 2 "$TSBATCH" run publish.yaml > publish.txt
grep -q "to PostgreSQL table run_q (replace): 40 rows" publish.txt || fail "output.postgres did not load run_q: $(cat publish.txt)"
/usr/bin/python3 "$CHECK" published.h5 q run_q
/usr/bin/python3 "$CHECK" published.h5 out_mad/flags run_out_mad_flags
[ -z "$(pg_sql "SELECT relname FROM pg_class WHERE relname LIKE 'run_hourly%'")" ] || fail "a step without a table was loaded"
"$MPIEXEC" -n 2 "$TSBATCH" run publish.yaml >/dev/null  # replace: a rerun gives the same tables
/usr/bin/python3 "$CHECK" published.h5 q run_q
sed 's/mode: replace/mode: replace, dsn: "host=127.0.0.1 password=in-config-secret"/' publish.yaml > bad_publish.yaml
expect_exit 2 "$TSBATCH" validate bad_publish.yaml
expect_output "output.postgres.dsn"
expect_output "holds a password"
! grep -qF in-config-secret <<<"$OUT" || fail "the config's password shows in the output: $OUT"

# The server stopped in the middle of a large COPY, on 1 rank (straight into the target) and
# on 2 (into staging tables): exit 5, the table as it was, and a rerun succeeds.
"$TSBATCH" generate -o big.h5 --series 300000 --points 3 --seed 2 >/dev/null
sed -e 's/data.h5/big.h5/' -e 's/result.h5/big_result.h5/' run.yaml | grep -v 'out_mad\|sl_sta' > big.yaml
"$TSBATCH" run big.yaml >/dev/null
for n in 1 2; do
  table=big$n
  "$TSBATCH" export --to postgres result.h5:/q --table $table >/dev/null
  "$MPIEXEC" -n $n "$TSBATCH" export --to postgres big_result.h5:/q --table $table --mode replace > kill$n.txt 2>&1 &
  pid=$!
  copying=""
  for _ in $(seq 1 400); do
    copying=$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%'" 2>/dev/null || true)
    [ "${copying:-0}" -gt 0 ] && break
    sleep 0.02
  done
  [ "${copying:-0}" -gt 0 ] || fail "$n rank(s): never saw the COPY running: $(cat kill$n.txt)"
  pg_stop_now
  rc=0
  wait $pid || rc=$?
  [ $rc -eq 5 ] || fail "$n rank(s): export with the server stopped exited $rc, expected 5: $(cat kill$n.txt)"
  grep -q "PostgreSQL" kill$n.txt || fail "$n rank(s): the message does not say PostgreSQL failed: $(cat kill$n.txt)"
  pg_restart
  /usr/bin/python3 "$CHECK" result.h5 q $table  # as before: the 40 rows
  "$MPIEXEC" -n $n "$TSBATCH" export --to postgres big_result.h5:/q --table $table --mode replace >/dev/null
  [ "$(pg_sql "SELECT count(*) FROM $table")" = 300000 ] || fail "$n rank(s): the rerun did not load 300,000 rows"
  [ "$(pg_sql "SELECT count(*) FROM pg_class WHERE relname LIKE '%\_\_tsbatch\_%'")" = 0 ] ||
    fail "$n rank(s): staging tables are left: $(pg_sql "SELECT relname FROM pg_class WHERE relname LIKE '%\_\_tsbatch\_%'")"
  echo "server stopped mid-COPY on $n rank(s): exit 5, table as before, rerun loaded 300,000 rows"
done
/usr/bin/python3 "$CHECK" big_result.h5 q big2
echo "export --to postgres: round trips, modes, names, credentials and a stopped server checked"
