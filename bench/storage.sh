#!/usr/bin/env bash
# Storage-tier benchmarks, called by scripts/bench: stage-in of a CSV against pandas.read_csv
# on the same file, export lines/s, and push points/s against a loopback VictoriaMetrics next
# to the same points sent by parallel curl processes (the server's own limit).
#   bench/storage.sh OUT_DIR RANKS...
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1; shift
RANKS=${*:-1 2}
T=build/tsbatch
PUSH_SERIES=${BENCH_PUSH_SERIES:-1000}
PUSH_POINTS=${BENCH_PUSH_POINTS:-2000}
mkdir -p "$OUT"

secs() { /usr/bin/python3 -c 'import time; print(time.monotonic())'; }

echo "## Stage-in: CSV (long form) vs pandas.read_csv on the same file, page cache"
"$T" generate -o "$OUT/csv_src.h5" --series 500 --points 10000 --seed 3 >/dev/null
"$T" export --to csv "$OUT/csv_src.h5" -o "$OUT/csv" >/dev/null
zcat "$OUT"/csv/part-*.csv.gz > "$OUT/bench.csv"
bytes=$(stat -c %s "$OUT/bench.csv")
rows=$(($(wc -l < "$OUT/bench.csv") - 1))
# Ranks parse whole files, so stage-in reads the same rows as 4 files (each with the header).
tail -n +2 "$OUT/bench.csv" > "$OUT/rows.csv"
rm -f "$OUT"/piece.*
split -n l/4 -d "$OUT/rows.csv" "$OUT/piece."
for f in "$OUT"/piece.0?; do { head -1 "$OUT/bench.csv"; cat "$f"; } > "$f.csv"; rm "$f"; done
rm "$OUT/rows.csv"
echo "file: $((bytes / 1000000)) MB, $rows rows (time ISO 8601 ms, value, metric, region, site); tsbatch reads it as 4 files"
cat "$OUT/bench.csv" "$OUT"/piece.*.csv > /dev/null
for n in $RANKS; do
  best=""
  for rep in 1 2 3; do
    t0=$(secs)
    mpirun -n "$n" "$T" stage-in --from csv "$OUT/piece.*.csv" -o "$OUT/staged_csv.h5" --tag region --tag site >/dev/null
    t1=$(secs)
    s=$(awk "BEGIN{print $t1 - $t0}")
    if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; fi
  done
  awk -v n="$n" -v s="$best" -v b="$bytes" -v r="$rows" \
    'BEGIN{printf "tsbatch stage-in, %d rank%s: %.2f s  %.0f MB/s  %.1f M points/s (whole command: parse, merge, sort, HDF5 write)\n", n, (n > 1 ? "s" : ""), s, b / s / 1e6, r / s / 1e6}'
done
/usr/bin/python3 - "$OUT/bench.csv" <<'PY'
import sys, time
import pandas as pd
path = sys.argv[1]
best = None
for _ in range(3):
    t0 = time.monotonic()
    df = pd.read_csv(path, dtype={"metric": str, "region": str, "site": str}, float_precision="round_trip")
    df["time"] = pd.to_datetime(df["time"], utc=True)
    df = df.sort_values(["metric", "region", "site", "time"], kind="stable")
    s = time.monotonic() - t0
    best = s if best is None else min(best, s)
import os
b = os.path.getsize(path)
print(f"pandas read_csv + to_datetime + sort: {best:.2f} s  {b / best / 1e6:.0f} MB/s  {len(df) / best / 1e6:.1f} M points/s")
PY

echo -e "\n## Export: tsdb import lines (gzip) from the bench file"
for n in $RANKS; do
  mpirun -n "$n" "$T" export --to opentsdb-import "${BENCH_FILE:-bench-out/bench.h5}" -o "$OUT/import_$n" |
    sed -E "s/^exported [^ ]+ to [^:]+:/export, $n rank(s):/"
done

echo -e "\n## Push: /api/put to VictoriaMetrics on loopback vs curl sending the same points"
source tests/integration/victoria_metrics.sh
"$T" generate -o "$OUT/push.h5" --series "$PUSH_SERIES" --points "$PUSH_POINTS" --seed 4 >/dev/null
pts=$(/usr/bin/python3 -c "import h5py,numpy as np,sys; v=h5py.File(sys.argv[1])['points/value'][()]; print(int(np.count_nonzero(~np.isnan(v))))" "$OUT/push.h5")
BATCH=5000
echo "data: $PUSH_SERIES series, $pts non-NaN points, $BATCH points a request (gzip JSON)"
for n in $RANKS; do
  for conn in 2 4; do
    vm_start "$OUT/vm" >/dev/null
    rm -rf "$OUT/push.journal"
    t0=$(secs)
    mpirun -n "$n" "$T" push "$OUT/push.h5" --url "$VM_PUT_URL" --journal "$OUT/push.journal" \
      --batch-points "$BATCH" --max-request-bytes 16000000 --connections "$conn" >/dev/null
    t1=$(secs)
    vm_stop
    awk -v n="$n" -v c="$conn" -v s="$(awk "BEGIN{print $t1 - $t0}")" -v p="$pts" \
      'BEGIN{printf "tsbatch push, %d rank%s x %d connections: %.2f s  %.2f M points/s\n", n, (n > 1 ? "s" : ""), c, s, p / s / 1e6}'
  done
done
# The same points as gzip JSON files of BATCH points each, sent by parallel curl processes.
rm -rf "$OUT/bodies" && mkdir -p "$OUT/bodies"
/usr/bin/python3 - "$OUT/push.h5" "$OUT/bodies" "$BATCH" <<'PY'
import gzip, json, math, sys
import h5py
f = h5py.File(sys.argv[1]); out = sys.argv[2]; batch = int(sys.argv[3])
metric = f["series/metric"].asstr()[()]; tags = f["series/tags"].asstr()[()]
off = f["series/offset"][()]; cnt = f["series/count"][()]
t = f["points/time"][()]; v = f["points/value"][()]
buf, k = [], 0
def flush():
    global buf, k
    if buf:
        with open(f"{out}/b{k:06d}.json.gz", "wb") as fh:
            fh.write(gzip.compress(json.dumps(buf, separators=(",", ":")).encode(), 6))
        k += 1; buf = []
for i in range(len(metric)):
    tg = dict(kv.split("=", 1) for kv in tags[i].split(",")) if tags[i] else {}
    for j in range(off[i], off[i] + cnt[i]):
        if math.isnan(v[j]): continue
        buf.append({"metric": metric[i], "timestamp": int(t[j]), "value": float(v[j]), "tags": tg})
        if len(buf) == batch: flush()
flush()
PY
for par in 2 4; do
  vm_start "$OUT/vm" >/dev/null
  t0=$(secs)
  ls "$OUT"/bodies/*.json.gz | xargs -P "$par" -I{} curl -sS -o /dev/null -f -X POST \
    -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' -H 'Expect:' --data-binary @{} "$VM_PUT_URL/api/put"
  t1=$(secs)
  vm_stop
  awk -v c="$par" -v s="$(awk "BEGIN{print $t1 - $t0}")" -v p="$pts" \
    'BEGIN{printf "curl, %d in parallel (same points, pre-built bodies): %.2f s  %.2f M points/s\n", c, s, p / s / 1e6}'
done
