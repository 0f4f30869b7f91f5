#!/usr/bin/env bash
# Dataset-wide benchmarks, called by scripts/bench: correlation pairs/s against numpy.corrcoef
# on the same aligned matrix (numpy with one BLAS thread per rank and with all cores), peak
# RSS per rank as N grows, and strong scaling over ranks.
#   bench/dataset.sh OUT_DIR RANKS...        (BENCH_CORR_N="1000 4000", BENCH_CORR_T=10000)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1; shift
RANKS=${*:-1 2}
T=build/tsbatch
LEN=${BENCH_CORR_T:-10000}
mkdir -p "$OUT"

cat > "$OUT/corr.yaml" <<'YAML'
input: {path: grid.h5}
steps:
  - {name: corr, op: correlation, params: {top_pairs: 100}}
output: {path: corr.h5}
run: {progress_interval: 1h}
YAML

echo "## Correlation: Pearson of every pair, N series x $LEN points on one grid (bench/make_grid.py)"
echo "(tsbatch: the step's time from /_run_steps, slowest rank, matrices written included;"
echo " numpy: numpy.corrcoef in memory, best of 3; peak RSS per rank from /usr/bin/time)"
printf "%6s %6s %10s %14s %12s %14s %12s\n" N ranks seconds "pairs/s" "x numpy(1t)" "x numpy(all)" "peak RSS MB"
for n in ${BENCH_CORR_N:-1000 4000}; do
  /usr/bin/python3 bench/make_grid.py "$OUT/grid.h5" "$n" "$LEN" --npy "$OUT/grid.npy"
  np1=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 bench/corr_numpy.py "$OUT/grid.npy")
  npall=$(/usr/bin/python3 bench/corr_numpy.py "$OUT/grid.npy")
  for r in $RANKS; do
    (cd "$OUT" && mpirun -n "$r" /usr/bin/time -f "rss_kb %M" "$OLDPWD/$T" run corr.yaml > run.txt 2> time.txt)
    secs=$(/usr/bin/python3 -c 'import h5py, sys; t = h5py.File(sys.argv[1])["_run_steps"]; print([float(s) for n, s in zip(t["step"][()], t["seconds"][()]) if n.decode() == "corr/r"][0])' "$OUT/corr.h5")
    rss=$(awk '/rss_kb/ {if ($2 > m) m = $2} END {printf "%.0f", m / 1024}' "$OUT/time.txt")
    awk -v n="$n" -v r="$r" -v s="$secs" -v a="$np1" -v b="$npall" -v m="$rss" 'BEGIN {
      split(a, x, " "); split(b, y, " "); pairs = n * (n - 1) / 2
      printf "%6d %6d %10.2f %14.0f %12.2f %14.2f %12s\n", n, r, s, pairs / s, x[1] / s, y[1] / s, m }'
  done
  echo "       numpy.corrcoef: $(cut -d' ' -f1 <<<"$np1") s on one thread, $(cut -d' ' -f1 <<<"$npall") s on all cores"
done
rm -f "$OUT/grid.h5" "$OUT/grid.npy" "$OUT/corr.h5"
