#!/usr/bin/env bash
# Whole-process correlation against numpy, called by scripts/bench: a `tsbatch run` of one
# correlation step (Pearson of every pair: the matrices r and overlap and the top pairs) on N
# complete series x T points on one grid (bench/make_grid.py), against
# bench/numpy_correlation.py (h5py read, numpy.corrcoef, h5py write of r) on one BLAS thread.
# Both as a user times them, taking turns, best of 3, page cache warm, with each rank's peak
# RSS; the two r matrices are compared.
#   bench/correlation.sh OUT_DIR RANKS...
#   BENCH_CORR_WHOLE_N="2000 10000"   BENCH_CORR_T=10000
# OpenBLAS picks its kernels by CPU model (README: determinism of correlation); an
# OPENBLAS_CORETYPE set in the environment applies to both programs.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mkdir -p "$1" && cd "$1" && pwd); shift
RANKS=${*:-1 2}
LEN=${BENCH_CORR_T:-10000}
T=$PWD/build/tsbatch
CFG=$PWD/bench/correlation.yaml

secs() { /usr/bin/python3 -c 'import time; print(time.monotonic())'; }
best() { grep . | sort -g | head -n 1; }

echo "## Correlation, whole process: tsbatch run vs h5py + numpy.corrcoef + h5py (one BLAS thread), T = $LEN"
core=$(/usr/bin/python3 -c 'import ctypes
f = ctypes.CDLL("libopenblas.so.0").openblas_get_corename; f.restype = ctypes.c_char_p; print(f().decode())')
echo "(OpenBLAS runs its $core kernels here; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset})"
printf "%6s %-24s %9s %10s %18s %14s\n" N command seconds "x numpy" "peak RSS MB/rank" "max |r diff|"
# One tsbatch run on $1 ranks in $OUT (each rank's peak RSS in rss.RANK).
tsbatch_run() {
  rm -f "$OUT"/rss.[0-9]*
  if [ "$1" = 1 ]; then
    (cd "$OUT" && /usr/bin/time -f "%M" -o "$OUT/rss.0" "$T" run "$CFG" >/dev/null 2>"$OUT/stderr.txt") || { cat "$OUT/stderr.txt"; exit 1; }
  else
    (cd "$OUT" && mpirun -n "$1" sh -c '/usr/bin/time -f "%M" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$OUT/rss" \
      "$T" run "$CFG" >/dev/null 2>"$OUT/stderr.txt") || { cat "$OUT/stderr.txt"; exit 1; }
  fi
}
for n in ${BENCH_CORR_WHOLE_N:-2000 10000}; do
  (cd "$OUT" && /usr/bin/python3 "$OLDPWD/bench/make_grid.py" grid.h5 "$n" "$LEN")
  cat "$OUT/grid.h5" >/dev/null
  # numpy and tsbatch take turns, so that a machine whose speed drifts favours neither.
  declare -A runs_of=() rss_of=()
  for rep in 1 2 3; do
    t0=$(secs)
    OPENBLAS_NUM_THREADS=1 /usr/bin/time -f "%M" -o "$OUT/rss.numpy" \
      /usr/bin/python3 bench/numpy_correlation.py "$OUT/grid.h5" "$OUT/numpy.h5"
    runs_of[numpy]+="$(awk "BEGIN{print $(secs) - $t0}")"$'\n'
    for r in $RANKS; do
      t0=$(secs)
      tsbatch_run "$r"
      runs_of[$r]+="$(awk "BEGIN{print $(secs) - $t0}")"$'\n'
      mv "$OUT/corr.h5" "$OUT/corr.$r.h5"
      rss_of[$r]=$(cat "$OUT"/rss.[0-9]* | awk '{printf "%s%d", (NR > 1 ? "/" : ""), $1 / 1024}')
    done
  done
  numpy=$(best <<<"${runs_of[numpy]}")
  printf "%6d %-24s %9.3f %10s %18s %14s\n" "$n" "numpy, 1 thread" "$numpy" "1.00x" \
    "$(awk '{print int($1 / 1024)}' "$OUT/rss.numpy")" ""
  for r in $RANKS; do
    s=$(best <<<"${runs_of[$r]}")
    diff=$(/usr/bin/python3 -c 'import h5py, numpy as np, sys
a = h5py.File(sys.argv[1])["corr/r"][()]; b = h5py.File(sys.argv[2])["r"][()]
np.fill_diagonal(b, 1.0)
print(f"{np.nanmax(np.abs(a - b)):.2e}")' "$OUT/corr.$r.h5" "$OUT/numpy.h5")
    printf "%6d %-24s %9.3f %10s %18s %14s\n" "$n" "tsbatch, $r rank(s)" "$s" \
      "$(awk "BEGIN{printf \"%.2fx\", $numpy / $s}")" "${rss_of[$r]}" "$diff"
  done
  unset runs_of rss_of
done
echo "(x numpy: numpy's seconds over tsbatch's; tsbatch writes r and overlap, numpy r only)"
grep -m 1 "warning" "$OUT/stderr.txt" || true
rm -f "$OUT/grid.h5" "$OUT"/corr.*h5 "$OUT/numpy.h5" "$OUT"/rss.* "$OUT/stderr.txt"
