#!/usr/bin/env bash
# Matrix profile benchmark, called by scripts/bench: the self-join of one random walk
# (numpy default_rng(12345) standard normal steps, window 100) as a user runs it, whole
# process (stage-in not counted; reading the staged file, the profile and writing the result
# counted), on each rank count; cells per second per core, against SCAMP's CPU build on the
# same series when SCAMP_BIN names one.
#   bench/matrix_profile.sh OUT_DIR RANKS...
#   BENCH_MP_SIZES="100000 1000000"   series lengths (default 100000)
#   SCAMP_BIN=/path/to/SCAMP          a SCAMP binary built by the user from its public
#                                     source (CPU only, double precision, its CLI default);
#                                     run with --max_tile_size=16384 --num_cpu_workers=RANKS
# cells = (w - e)(w - e - 1) / 2 with w = n - m + 1 windows and e = ceil(m / 4): the pairs a
# self-join compares. SCAMP compares the same pairs but one more diagonal (its exclusion is
# floor(m / 4)); the difference is below 0.01 %.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mkdir -p "$1" && cd "$1" && pwd); shift
RANKS=${*:-1 2}
SIZES=${BENCH_MP_SIZES:-100000}
M=100
T=$PWD/build/tsbatch

secs() { /usr/bin/python3 -c 'import time; print(time.monotonic())'; }

echo "## matrix_profile self-join, random walk, window $M, whole process (best of ${BENCH_MP_REPEAT:-2})"
printf "%9s %-8s %5s %10s %12s %16s %12s\n" n impl cores seconds cells/s "cells/s/core" "peak RSS MB"
for n in $SIZES; do
  txt=$OUT/rw_$n.txt
  if [ ! -s "$OUT/rw_$n.h5" ]; then
    /usr/bin/python3 - "$n" "$txt" "$OUT/rw_$n.csv" <<'PY'
import sys
import numpy as np
import pandas as pd
n = int(sys.argv[1])
x = np.cumsum(np.random.default_rng(12345).standard_normal(n))
np.savetxt(sys.argv[2], x, fmt="%.17g")
t = pd.date_range("2000-01-01", periods=n, freq="min", tz="UTC")
pd.DataFrame({"rw{n=%d}" % n: x}, index=pd.Index(t, name="time")).to_csv(
    sys.argv[3], date_format="%Y-%m-%dT%H:%M:%SZ", float_format="%.17g")
PY
    "$T" stage-in --from csv --layout wide "$OUT/rw_$n.csv" -o "$OUT/rw_$n.h5" >/dev/null
  fi
  cells=$(/usr/bin/python3 -c "import math; w=$n-$M+1; e=math.ceil($M/4); print((w-e)*(w-e-1)//2)")
  cat > "$OUT/mp.yaml" <<YAML
input: {path: $OUT/rw_$n.h5}
steps:
  - {name: mp, op: matrix_profile, params: {window: $M}}
output: {path: $OUT/mp_out.h5, compression: none}
YAML
  report() {  # report IMPL CORES SECONDS RSS_KB
    /usr/bin/python3 -c "import sys; n, impl, c, s, rss, cells = sys.argv[1:]; c = int(c); s = float(s); r = int(cells) / s
print(f'{int(n):9d} {impl:<8} {c:5d} {s:10.2f} {r:12.3g} {r / c:16.3g} {int(rss) / 1024:12.0f}')" \
      "$n" "$1" "$2" "$3" "$4" "$cells"
  }
  for r in $RANKS; do
    best="" best_rss=0
    for _ in $(seq 1 "${BENCH_MP_REPEAT:-2}"); do
      rm -f "$OUT"/rss.*
      t0=$(secs)
      if [ "$r" = 1 ]; then
        /usr/bin/time -f "%M" -o "$OUT/rss.0" "$T" run "$OUT/mp.yaml" >/dev/null
      else
        mpirun -n "$r" sh -c '/usr/bin/time -f "%M" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$OUT/rss" \
          "$T" run "$OUT/mp.yaml" >/dev/null
      fi
      s=$(/usr/bin/python3 -c "print($(secs) - $t0)")
      rss=$(cat "$OUT"/rss.* | sort -n | tail -1)
      if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s best_rss=$rss; fi
    done
    report tsbatch "$r" "$best" "$best_rss"
  done
  if [ -n "${SCAMP_BIN:-}" ]; then
    for r in $RANKS; do
      best="" best_rss=0
      for _ in $(seq 1 "${BENCH_MP_REPEAT:-2}"); do
        t0=$(secs)
        (cd "$OUT" && /usr/bin/time -f "%M" -o "$OUT/rss.scamp" "$SCAMP_BIN" --window=$M \
          --input_a_file_name="$txt" --num_cpu_workers="$r" --no_gpu --max_tile_size=16384 >/dev/null 2>&1)
        s=$(/usr/bin/python3 -c "print($(secs) - $t0)")
        if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s best_rss=$(cat "$OUT/rss.scamp"); fi
      done
      report SCAMP "$r" "$best" "$best_rss"
    done
    # The two profiles side by side: SCAMP stores float32 correlations, about 1e-6 of the distance.
    /usr/bin/python3 - "$OUT/mp_out.h5" "$OUT/mp_columns_out" <<'PY'
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as f:
    ours = f["mp/profile/points/value"][:]
scamp = np.loadtxt(sys.argv[2])
print(f"           profiles: max |tsbatch - SCAMP| = {np.max(np.abs(ours - scamp[:len(ours)])):.2e} over {len(ours)} windows")
PY
  fi
done
