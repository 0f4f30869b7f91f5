#!/usr/bin/env bash
# Whole-process pipeline benchmark, called by scripts/bench: bench/run.yaml (read, quality
# indicators, hourly mean, z-score, write) as a user runs it, against the same pipeline in
# pandas (bench/pandas_pipeline.py) and against the I/O floor (reading the input file once and
# writing the result's bytes once), on 20 M and 200 M points, with each rank's peak RSS.
#   bench/pipeline.sh OUT_DIR RANKS...
#   BENCH_PIPELINE_SIZES="2000x10000 20000x10000"   series x points per series
#   BENCH_PANDAS_MAX_POINTS=20000000                 pandas only up to this size (it needs ~50x the memory)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mkdir -p "$1" && cd "$1" && pwd); shift
RANKS=${*:-1 2}
SIZES=${BENCH_PIPELINE_SIZES:-"2000x10000 20000x10000"}
PANDAS_MAX=${BENCH_PANDAS_MAX_POINTS:-20000000}
T=$PWD/build/tsbatch

secs() { /usr/bin/python3 -c 'import time; print(time.monotonic())'; }
best() { grep . | sort -g | head -n 1; }

echo "## Whole process: bench/run.yaml vs pandas vs the I/O floor (page cache warm, best of 5; pandas best of 2)"
printf "%12s %-28s %9s %10s %9s %14s\n" points command seconds "x pandas" "x floor" "peak RSS MB"
for size in $SIZES; do
  series=${size%x*} per=${size#*x}
  points=$((series * per))
  in=$OUT/pipe_$size.h5
  [ -s "$in" ] || mpirun -n 2 "$T" generate -o "$in" --series "$series" --points "$per" --seed 1 >/dev/null
  cat "$in" >/dev/null
  # tsbatch, 1 process without a launcher and mpirun -n N, each rank's peak RSS from time(1);
  # then the floor: the input read once (page cache), the result's bytes written once. They
  # take turns, best of 5: on this shared 2-core VM one run of 200 M points took anywhere from
  # 1.05 to 1.65 s within minutes, with the same binary.
  declare -A runs_of=() rss_of=()
  floor_runs=""
  for rep in 1 2 3 4 5; do
    for n in $RANKS; do
      # Each run writes a new result, as the floor writes a new file: replacing the previous
      # 700 MB result would add its deletion (0.1-0.2 s) to the run.
      rm -f "$OUT"/rss.* "$OUT/pipe_out.h5"
      t0=$(secs)
      if [ "$n" = 1 ]; then
        /usr/bin/time -f "%M" -o "$OUT/rss.0" "$T" run bench/run.yaml --set input.path="$in" \
          --set output.path="$OUT/pipe_out.h5" >/dev/null
      else
        mpirun -n "$n" sh -c '/usr/bin/time -f "%M" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$OUT/rss" \
          "$T" run bench/run.yaml --set input.path="$in" --set output.path="$OUT/pipe_out.h5" >/dev/null
      fi
      runs_of[$n]+="$(awk "BEGIN{print $(secs) - $t0}")"$'\n'
      rss_of[$n]=$(cat "$OUT"/rss.* | awk '{printf "%s%d", (NR > 1 ? "/" : ""), $1 / 1024}')
    done
    out_bytes=$(stat -c %s "$OUT/pipe_out.h5")
    rm -f "$OUT/floor.bin"
    t0=$(secs)
    cat "$in" >/dev/null
    head -c "$out_bytes" /dev/zero >"$OUT/floor.bin"
    floor_runs+="$(awk "BEGIN{print $(secs) - $t0}")"$'\n'
  done
  floor=$(best <<<"$floor_runs")
  rm -f "$OUT/floor.bin"
  pandas=""
  if [ "$points" -le "$PANDAS_MAX" ]; then
    runs=""
    for rep in 1 2; do
      t0=$(secs)
      (cd bench && /usr/bin/time -f "%M" -o "$OUT/rss.pandas" /usr/bin/python3 pandas_pipeline.py "$in" "$OUT/pandas_out.h5")
      runs+="$(awk "BEGIN{print $(secs) - $t0}")"$'\n'
    done
    pandas=$(best <<<"$runs")
    printf "%12s %-28s %9.3f %10s %9.2f %14s\n" "$points" "pandas (h5py + DataFrame)" "$pandas" "1.0x" \
      "$(awk "BEGIN{print $pandas / $floor}")" "$(awk '{print int($1 / 1024)}' "$OUT/rss.pandas")"
  fi
  for n in $RANKS; do
    s=$(best <<<"${runs_of[$n]}")
    printf "%12s %-28s %9.3f %10s %9.2f %14s\n" "$points" "tsbatch, $n rank(s)" "$s" \
      "$([ -n "$pandas" ] && awk "BEGIN{printf \"%.1fx\", $pandas / $s}" || echo -)" \
      "$(awk "BEGIN{print $s / $floor}")" "${rss_of[$n]}"
  done
  printf "%12s %-28s %9.3f %10s %9s %14s\n" "$points" "I/O floor (cat + write)" "$floor" "" "1.00" ""
  unset runs_of rss_of
done
echo "(x floor: seconds over the floor's: reading the input and writing the bytes of tsbatch's result once)"
echo "(1 rank: one process without a launcher, which reads two chunks ahead on a second thread when it has a second CPU (here $(nproc)); N ranks: mpirun -n N)"
