#!/usr/bin/env bash
# Dataset-wide benchmarks, called by scripts/bench, on N series x T points on one grid
# (bench/make_grid.py):
# - correlation: pairs/s against numpy.corrcoef (OpenBLAS, one thread and all cores) and
#   pandas' DataFrame.corr on the same matrix, peak RSS per rank as N grows, strong scaling;
# - pattern_search: series-points/s against a numpy MASS distance profile of every series;
# - kmeans: Lloyd iterations/s against numpy Lloyd iterations (BLAS distances).
#   bench/dataset.sh OUT_DIR RANKS...   (BENCH_CORR_N="1000 10000", BENCH_CORR_T=10000,
#                                        BENCH_PANDAS_MAX_N=1000)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1; shift
RANKS=${*:-1 2}
T=build/tsbatch
LEN=${BENCH_CORR_T:-10000}
PANDAS_MAX_N=${BENCH_PANDAS_MAX_N:-1000}
NP="/usr/bin/python3 bench/dataset_numpy.py"
mkdir -p "$OUT"

# Seconds of a step's first output in the result's /_run_steps (slowest rank).
step_seconds() {
  /usr/bin/python3 -c 'import h5py, sys
t = h5py.File(sys.argv[1])["_run_steps"]
print([float(s) for n, s in zip(t["step"][()], t["seconds"][()]) if n.decode().split("/")[0] == sys.argv[2]][0])' "$1" "$2"
}

# Runs CONFIG on R ranks in $OUT; leaves the peak RSS of the largest rank (MB) in $rss.
run_ranks() {
  local r=$1 cfg=$2
  (cd "$OUT" && mpirun -n "$r" /usr/bin/time -f "rss_kb %M" "$OLDPWD/$T" run "$cfg" > run.txt 2> time.txt)
  rss=$(awk '/rss_kb/ {if ($2 > m) m = $2} END {printf "%.0f", m / 1024}' "$OUT/time.txt")
}

echo "## Correlation: Pearson of every pair, N series x $LEN points on one grid"
echo "(tsbatch: the step's time from /_run_steps, slowest rank, matrices written included;"
echo " numpy.corrcoef in memory, best of 3; pandas DataFrame.corr once; peak RSS per rank from /usr/bin/time)"
printf "%6s %6s %10s %14s %12s %14s %12s %12s\n" N ranks seconds "pairs/s" "x numpy(1t)" "x numpy(all)" "x pandas" "peak RSS MB"
for n in ${BENCH_CORR_N:-1000 10000}; do
  /usr/bin/python3 bench/make_grid.py "$OUT/grid.h5" "$n" "$LEN" --npy "$OUT/grid.npy"
  np1=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $NP corrcoef "$OUT/grid.npy")
  npall=$($NP corrcoef "$OUT/grid.npy")
  pd1="0 0"
  [ "$n" -gt "$PANDAS_MAX_N" ] || pd1=$($NP pandas-corr "$OUT/grid.npy")
  base=""
  for r in $RANKS; do
    run_ranks "$r" "$PWD/bench/correlation.yaml"
    secs=$(step_seconds "$OUT/corr.h5" corr)
    awk -v n="$n" -v r="$r" -v s="$secs" -v a="$np1" -v b="$npall" -v p="$pd1" -v m="$rss" -v base="$base" 'BEGIN {
      split(a, x, " "); split(b, y, " "); split(p, z, " "); pairs = n * (n - 1) / 2
      printf "%6d %6d %10.2f %14.0f %12.2f %14.2f %12s %12s%s\n", n, r, s, pairs / s, x[1] / s, y[1] / s,
        (z[1] > 0 ? sprintf("%.1f", z[1] / s) : "-"), m, (base != "" ? sprintf("   speed-up vs 1 rank %.2fx", base / s) : "") }'
    [ -n "$base" ] || base=$secs
  done
  echo "       numpy.corrcoef: $(cut -d' ' -f1 <<<"$np1") s on one thread, $(cut -d' ' -f1 <<<"$npall") s on all cores$([ "$pd1" = "0 0" ] || echo "; DataFrame.corr: $(cut -d' ' -f1 <<<"$pd1") s")"
done

# pattern_search and kmeans on the last grid's first 1,000 series.
PS_N=${BENCH_PATTERN_N:-1000}
/usr/bin/python3 bench/make_grid.py "$OUT/grid.h5" "$PS_N" "$LEN" --npy "$OUT/grid.npy"
cat > "$OUT/ps.yaml" <<'YAML'
input: {path: grid.h5}
steps:
  # Row 3's points 5000..5099 (the grid starts at 1.7e12 ms, one point a minute), as numpy's.
  - {name: ps, op: pattern_search, params: {pattern: "plant.sensor{id=S000003}", pattern_from: 1700300000000,
                                            pattern_to: 1700306000000, top_k: 10}}
  - {name: ps_dtw, op: pattern_search, params: {pattern: "plant.sensor{id=S000003}", pattern_from: 1700300000000,
                                                pattern_to: 1700306000000, top_k: 10, distance: dtw, band: 0.1}}
  # The same start twice: the difference is the cost of the Lloyd iterations alone.
  - {name: km1, op: kmeans, params: {k: 8, n_init: 1, max_iter: 1, seed: 1}}
  - {name: km, op: kmeans, params: {k: 8, n_init: 1, max_iter: 30, seed: 1}}
output: {path: ps.h5}
run: {progress_interval: 1h}
YAML
mass=$(OPENBLAS_NUM_THREADS=1 $NP mass "$OUT/grid.npy" 100)
echo
echo "## pattern_search: $PS_N series x $LEN points, a pattern of 100 points, top 10 (series-points/s)"
echo "(numpy: MASS distance profile of every series, one thread, best of 3: $(cut -d' ' -f1 <<<"$mass") s)"
printf "%6s %10s %10s %14s %12s\n" ranks distance seconds "points/s" "x numpy MASS"
km_base=""
km_line=""
for r in $RANKS; do
  run_ranks "$r" ps.yaml
  for step in ps ps_dtw; do
    secs=$(step_seconds "$OUT/ps.h5" "$step")
    awk -v r="$r" -v d="$([ $step = ps ] && echo euclidean || echo dtw)" -v s="$secs" -v n="$PS_N" -v t="$LEN" -v a="$mass" 'BEGIN {
      split(a, x, " "); printf "%6d %10s %10.2f %14.3g %12.2f\n", r, d, s, n * t / s, x[1] / s }'
  done
  km_secs=$(step_seconds "$OUT/ps.h5" km)
  km1_secs=$(step_seconds "$OUT/ps.h5" km1)
  km_iters=$(/usr/bin/python3 -c 'import h5py, sys; print(int(h5py.File(sys.argv[1])["km/centroids"].attrs["iterations"]))' "$OUT/ps.h5")
  km_line="$km_line$(printf '%6d %10d %10.2f %10.2f %14.1f' "$r" "$km_iters" "$km_secs" "$km1_secs" \
    "$(awk -v i="$km_iters" -v s="$km_secs" -v s1="$km1_secs" 'BEGIN {print (s > s1 ? (i - 1) / (s - s1) : 0)}')")\n"
  [ -n "$km_base" ] || km_base=$km_iters
done
lloyd=$(OPENBLAS_NUM_THREADS=1 $NP lloyd "$OUT/grid.npy" 8 "$km_base")
echo
echo "## kmeans: $PS_N series x $LEN values, k = 8, one k-means++ start, Lloyd to convergence"
echo "(tsbatch: step seconds with the iterations and with one (k-means++, labels, reading the source);"
echo " iterations/s from their difference; numpy: the same number of Lloyd iterations with BLAS"
echo " distances on one thread, $(cut -d' ' -f1 <<<"$lloyd") s, $(cut -d' ' -f2 <<<"$lloyd") iterations/s)"
printf "%6s %10s %10s %10s %14s\n" ranks iterations seconds "1 iter s" "iterations/s"
printf "%b" "$km_line"
rm -f "$OUT/grid.h5" "$OUT/grid.npy" "$OUT/corr.h5" "$OUT/ps.h5"
