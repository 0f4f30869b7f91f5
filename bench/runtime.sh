#!/usr/bin/env bash
# Runtime benchmarks, called by scripts/bench: the imbalance achieved on a skewed set (a few
# series with 100x the points of the rest) with cost and point-count balancing, and the
# overhead of run.checkpoint on a whole run.
#   bench/runtime.sh OUT_DIR BENCH_FILE RANKS...
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1; BENCH_FILE=$2; shift 2
RANKS=${*:-1 2}
T=build/tsbatch
mkdir -p "$OUT"

secs() { /usr/bin/python3 -c 'import time; print(time.monotonic())'; }
attr() { /usr/bin/python3 -c 'import sys, h5py; print("%.3f" % float(h5py.File(sys.argv[1]).attrs[sys.argv[2]]))' "$1" "$2"; }

echo "## Balancing a skewed set: 3,000 series, 30 of them with 100x the points (6 M points)"
"$T" generate -o "$OUT/skew.h5" --series 3000 --points 2000 --heavy 30 --seed 2 >/dev/null
printf "%6s %8s %18s %26s\n" ranks balance "planned max/mean" "achieved max/mean compute"
for n in $RANKS; do
  [ "$n" -gt 1 ] || continue
  for b in cost points; do
    mpirun -n "$n" "$T" run bench/run.yaml --set input.path="$OUT/skew.h5" --set output.path="$OUT/skew_$b.h5" \
      --set run.balance="$b" --set run.chunk_points=65536 >/dev/null
    printf "%6d %8s %18s %26s\n" "$n" "$b" "$(attr "$OUT/skew_$b.h5" imbalance_planned)" \
      "$(attr "$OUT/skew_$b.h5" imbalance_compute)"
  done
done

echo -e "\n## Checkpoint overhead: bench/run.yaml on $BENCH_FILE, best of 7 (interleaved), page cache"
for n in $RANKS; do
  best_plain="" best_checkpoint=""
  # Plain and checkpointed runs alternate, so that a slow phase of the machine hits both alike.
  for rep in 1 2 3 4 5 6 7; do
    for mode in plain checkpoint; do
      extra=()
      [ "$mode" = plain ] || extra=(--set run.checkpoint="$OUT/run.ckpt")
      t0=$(secs)
      mpirun -n "$n" "$T" run bench/run.yaml --set input.path="$BENCH_FILE" --set output.path="$OUT/ck.h5" "${extra[@]}" >/dev/null
      t1=$(secs)
      s=$(awk "BEGIN{print $t1 - $t0}")
      var=best_$mode
      if [ -z "${!var}" ] || awk "BEGIN{exit !($s < ${!var})}"; then eval "$var=$s"; fi
    done
  done
  awk -v n="$n" -v p="$best_plain" -v c="$best_checkpoint" \
    'BEGIN{printf "%d rank%s: %.2f s plain, %.2f s with run.checkpoint: overhead %+.1f %%\n", n, (n > 1 ? "s" : ""), p, c, 100 * (c / p - 1)}'
done
