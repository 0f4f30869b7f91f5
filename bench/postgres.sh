#!/usr/bin/env bash
# PostgreSQL benchmark, called by scripts/bench: `tsbatch export --to postgres` of a
# 1,000,000-row quality table against `psql \copy` of the same rows from CSV into a table of
# the same columns, both into a PostgreSQL server started here (tests/integration/postgres.sh,
# as root), in the same run.
#   bench/postgres.sh OUT_DIR RANKS...
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mkdir -p "$1" && cd "$1" && pwd); shift
RANKS=${*:-1 2}
T=$PWD/build/tsbatch
ROWS=${BENCH_PG_ROWS:-1000000}
WORK=$OUT/pg-work
rm -rf "$WORK"
mkdir -p "$WORK"
source tests/integration/postgres.sh
pg_start "$WORK/pg" >/dev/null

secs() { /usr/bin/python3 -c 'import time; print(time.monotonic())'; }

echo "## PostgreSQL: export --to postgres vs psql \\copy from CSV, $ROWS rows, loopback server"
"$T" generate -o "$OUT/pg_src.h5" --series "$ROWS" --points 2 --seed 4 >/dev/null
printf 'input: {path: %s}\nsteps:\n  - {name: q, op: quality_stats}\noutput: {path: %s}\n' \
  "$OUT/pg_src.h5" "$OUT/pg_q.h5" > "$OUT/pg.yaml"
"$T" run "$OUT/pg.yaml" >/dev/null
"$T" export --to postgres "$OUT/pg_q.h5:/q" --table q_bench --mode replace >/dev/null  # warm up, and the CSV's source
pg_sql "\\copy q_bench TO '$OUT/q.csv' CSV" >/dev/null
pg_sql "DROP TABLE IF EXISTS q_csv; CREATE TABLE q_csv (LIKE q_bench)" >/dev/null
echo "$(wc -l < "$OUT/q.csv") rows, $(($(stat -c %s "$OUT/q.csv") / 1000000)) MB of CSV, $(pg_sql "SELECT count(*) FROM pg_attribute WHERE attrelid = 'q_bench'::regclass AND attnum > 0") columns"
printf "%-34s %9s %12s\n" command seconds "rows/s"
best_psql=""
for rep in 1 2 3; do
  pg_sql "TRUNCATE q_csv" >/dev/null
  t0=$(secs)
  pg_sql "\\copy q_csv FROM '$OUT/q.csv' CSV" >/dev/null
  s=$(awk "BEGIN{print $(secs) - $t0}")
  if [ -z "$best_psql" ] || awk "BEGIN{exit !($s < $best_psql)}"; then best_psql=$s; fi
done
printf "%-34s %9.3f %12.0f\n" "psql \\copy FROM csv" "$best_psql" "$(awk "BEGIN{print $ROWS / $best_psql}")"
for n in $RANKS; do
  best=""
  for rep in 1 2 3; do
    t0=$(secs)
    mpirun -n "$n" "$T" export --to postgres "$OUT/pg_q.h5:/q" --table q_bench --mode replace >/dev/null
    s=$(awk "BEGIN{print $(secs) - $t0}")
    if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; fi
  done
  printf "%-34s %9.3f %12.0f   %.2fx psql\n" "tsbatch export, $n rank(s)" "$best" "$(awk "BEGIN{print $ROWS / $best}")" \
    "$(awk "BEGIN{print $best_psql / $best}")"
done
echo "(best of 3, whole processes; tsbatch's includes reading the HDF5 table, psql's reading the CSV)"
pg_cleanup
