#!/usr/bin/env bash
# catch22 features (`features`, set catch22): series/s on one core of tsbatch's kernel and of
# a whole `tsbatch run`, against the catch22 reference C implementation on the same series.
#
#   CATCH22_BIN=... [CATCH22_DRIVER=...] bench/features.sh OUT_DIR
#   (BENCH_FEATURES_N=2000, BENCH_FEATURES_T="1000 5000", BENCH_FEATURES_CLI=100)
#
# The reference (DynamicsAndNeuralSystems/catch22, GPL-3.0) is neither shipped, fetched nor
# built here: build it yourself, outside this repository, the way its CI does (gcc -O2 C/*.c,
# no -march=native, whose FMA changes some values), and name the programs:
# - CATCH22_BIN: its own command-line program (run_features: one series per process), timed
#   on the first BENCH_FEATURES_CLI series (the whole-process comparison);
# - CATCH22_DRIVER (optional): a timing program of your own around the 22 feature functions,
#   called as `DRIVER FILE N T REPEATS` on N*T float64 values and printing
#   "seconds series/s checksum" for the best pass (the kernel comparison; BENCHMARKS.md
#   says how the recorded one was built).
# Series: bench/make_grid.py (shared random walks plus noise), N series of T points.
# tsbatch: build/bench_kernels (the operator through the registry, one core) and a whole
# `tsbatch run` (1 process, no launcher: read, features, write), best of 3.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1
: "${CATCH22_BIN:?CATCH22_BIN must name the reference's run_features program}"
N=${BENCH_FEATURES_N:-2000}
CLI_N=${BENCH_FEATURES_CLI:-100}
T=build/tsbatch
mkdir -p "$OUT"

# best_of3 CMD...: the fastest of 3 runs, wall seconds.
best_of3() {
  local best="" s e d
  for _ in 1 2 3; do
    s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
    d=$(echo "$e - $s" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$d < $best" | bc -l)" = 1 ]; then best=$d; fi
  done
  echo "$best"
}

cat > "$OUT/features.yaml" <<'YAML'
input: {path: grid.h5}
steps:
  - {name: feat, op: features}
output: {path: features.h5}
run: {progress_interval: 1h}
YAML

echo "## catch22 features: series/s on one core ($N series per length; reference CLI on $CLI_N)"
printf "%6s %16s %16s %8s %16s %16s %16s %8s\n" T "ref kernel" "tsbatch kernel" "x ref" "ref CLI/process" "tsbatch run" "run (1 proc)" "x ref"
for len in ${BENCH_FEATURES_T:-1000 5000}; do
  /usr/bin/python3 bench/make_grid.py "$OUT/grid.h5" "$N" "$len" --npy "$OUT/grid.npy"
  /usr/bin/python3 -c 'import numpy, sys; numpy.load(sys.argv[1]).astype("<f8").tofile(sys.argv[2])' \
    "$OUT/grid.npy" "$OUT/grid.f64"
  ref_rate=0
  [ -z "${CATCH22_DRIVER:-}" ] || read -r _ ref_rate _ < <("$CATCH22_DRIVER" "$OUT/grid.f64" "$N" "$len" 3)
  # Best of 3, like the reference's figure: one timed pass each after a warm-up pass.
  kernel_mpts=$(for _ in 1 2 3; do build/bench_kernels "$OUT/grid.h5" 0 features_catch22; done |
    awk '$1 == "features_catch22" && $2 > best {best = $2} END {print best}')
  ts_rate=$(echo "$kernel_mpts * 1000000 / $len" | bc -l)
  # The reference's own program, one process per series (as a user runs it on files).
  mkdir -p "$OUT/cli"
  /usr/bin/python3 -c 'import numpy, sys
x = numpy.load(sys.argv[1])
for i in range(int(sys.argv[3])):
    numpy.savetxt(f"{sys.argv[2]}/s{i}.txt", x[i], fmt="%.17g")' "$OUT/grid.npy" "$OUT/cli" "$CLI_N"
  cli_s=$(best_of3 bash -c "for i in \$(seq 0 $((CLI_N - 1))); do echo 0 | '$CATCH22_BIN' '$OUT/cli/s'\$i.txt; done")
  run_s=$(cd "$OUT" && best_of3 "$OLDPWD/$T" run features.yaml)
  awk -v t="$len" -v r="$ref_rate" -v k="$ts_rate" -v c="$cli_s" -v cn="$CLI_N" -v rs="$run_s" -v n="$N" 'BEGIN {
    printf "%6d %16.0f %16.0f %7.2fx %16.0f %16.0f %16.2f %7.2fx\n", t, r, k, r > 0 ? k / r : 0, cn / c, n / rs, rs, (n / rs) / (cn / c) }'
done
echo "(ref kernel: the 22 reference functions in one process; tsbatch kernel: build/bench_kernels; both best of 3;"
echo " ref CLI: the reference's run_features, one process per series; tsbatch run: N / wall seconds of a whole run)"
