# Series outputs beyond run.output_memory_mb wait in temporary files of each rank and go into
# the result from there. The result data are the same as when every output fits in memory, on
# 1, 2 and 3 ranks, with all of them in files (0 MiB) or a part (1 MiB), with outputs dropped
# (not kept) and held for a dataset-wide step. The temporary files never have a name in the
# output directory: not while the run goes on, not after it ends by success, by an input
# error or by SIGTERM (with and without a checkpoint).
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
CFG="$TSBATCH_SOURCE_DIR/tests/mpi/all_operators.yaml"
"$TSBATCH" generate -o gen.h5 --series 150 --points 800 --seed 9 >/dev/null
SMALL=(--set input.path=gen.h5 --set run.chunk_points=3000 --set run.chunk_series=3)

# only_files DIR [NAME...]: DIR holds exactly the NAMEs, nothing a run left behind.
only_files() {
  local dir=$1 got want
  shift
  got=$(cd "$dir" && ls -A | sort | tr '\n' ' ')
  want=$(printf '%s\n' "$@" | sed '/^$/d' | sort | tr '\n' ' ')
  [ "$got" = "$want" ] || fail "$dir holds '$got', expected '$want'"
}

# Everything in memory: the reference, and on each rank count the report's sample series
# (rank 0's first, middle and last series, which depend on the rank count).
for n in 1 2 3; do
  mkdir "mem_$n"
  expect_exit 0 "$MPIEXEC" -n "$n" "$TSBATCH" run "$CFG" "${SMALL[@]}" --set output.path="mem_$n/r.h5" \
    --set run.output_memory_mb=4096
  grep -q "waited in temporary files" <<<"$OUT" && fail "the reference run used temporary files: $OUT"
  only_files "mem_$n" r.h5 r.report.html
done
"$TSBATCH" inspect --digest mem_1/r.h5 > ref.txt
samples() { sed -n '/<section id="samples">/,/<\/section>/p' "$1"; }
[ -n "$(samples mem_1/r.report.html)" ] || fail "the report has no sample series"

for mb in 0 1; do
  for n in 1 2 3; do
    d=spool_${mb}_$n
    mkdir "$d"
    expect_exit 0 "$MPIEXEC" -n "$n" "$TSBATCH" run "$CFG" "${SMALL[@]}" --set output.path="$d/r.h5" \
      --set run.output_memory_mb="$mb"
    expect_output "waited in temporary files"
    expect_every_rank_worked "output_memory_mb $mb" "$n"
    "$TSBATCH" inspect --digest "$d/r.h5" > "$d.txt"
    cmp ref.txt "$d.txt" || fail "output_memory_mb $mb on $n ranks: the result differs from the in-memory one"
    only_files "$d" r.h5 r.report.html
    cmp <(samples "mem_$n/r.report.html") <(samples "$d/r.report.html") ||
      fail "output_memory_mb $mb on $n ranks: the report's sample series differ"
  done
  echo "output_memory_mb $mb: same result on 1, 2, 3 ranks as in memory"
done

# Outputs not kept are dropped, the one a kept correlation reads stays in memory.
KEEP=(--set 'output.keep=[q, z, cy, corr_all]')
mkdir keep_mem keep_spool
expect_exit 0 "$TSBATCH" run "$CFG" "${SMALL[@]}" "${KEEP[@]}" --set output.path=keep_mem/r.h5 \
  --set run.output_memory_mb=4096
expect_exit 0 "$MPIEXEC" -n 3 "$TSBATCH" run "$CFG" "${SMALL[@]}" "${KEEP[@]}" --set output.path=keep_spool/r.h5 \
  --set run.output_memory_mb=0
expect_output "waited in temporary files"
same_output "output.keep with a spool" "$TSBATCH" inspect --digest keep_mem/r.h5 -- \
  "$TSBATCH" inspect --digest keep_spool/r.h5
echo "output.keep: same result with outputs dropped, streamed and held"

# An input error after some chunks went to the file: exit 3, nothing left.
/usr/bin/python3 - <<'PY'
import shutil, h5py
shutil.copy("gen.h5", "bad.h5")
with h5py.File("bad.h5", "r+") as f:
    off = int(f["series/offset"][140])
    t = f["points/time"]
    t[off + 1] = t[off]  # series 140 repeats a timestamp
PY
for n in 1 2; do
  mkdir "bad_$n"
  expect_exit 3 "$MPIEXEC" -n "$n" "$TSBATCH" run "$CFG" "${SMALL[@]}" --set input.path=bad.h5 \
    --set output.path="bad_$n/r.h5" --set run.output_memory_mb=0
  expect_output "not strictly increasing"
  only_files "bad_$n"
done
echo "input error: exit 3, no file left"

# SIGTERM without a checkpoint: the run dies; its spool never had a name, even while in use.
mkdir term
TSBATCH_TEST_CHUNK_DELAY_MS=100 "$TSBATCH" run "$CFG" "${SMALL[@]}" --set output.path=term/r.h5 \
  --set run.output_memory_mb=0 > term.log 2>&1 &
pid=$!
# The listing is read whole before it is searched: with pipefail, a `grep -q` that stops at
# the first of the run's many open files would fail the pipeline by SIGPIPE upstream.
spooling() {
  local fds
  fds=$(ls -l "/proc/$pid/fd" 2>/dev/null) || return 1
  [ "$(grep -F "$WORK/term/" <<<"$fds" | grep -cF "(deleted)")" -gt 0 ]
}
for _ in $(seq 1 200); do spooling && break; sleep 0.05; done
spooling || fail "SIGTERM: the run never opened its temporary file: $(cat term.log)"
only_files term
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 143 ] || fail "SIGTERM: exit $rc, expected 143 (killed by SIGTERM): $(cat term.log)"
only_files term
# With a checkpoint the run stops after its chunk (exit 75) and resumes to the same result.
mkdir term_ck
TSBATCH_TEST_CHUNK_DELAY_MS=100 interrupt_run TERM ck term_ck/r.h5 'chunk-*.bin' 4 "$CFG" "${SMALL[@]}" \
  --set run.output_memory_mb=0
[ "$RC" -eq 75 ] || fail "SIGTERM with a checkpoint: exit $RC, expected 75: $(cat term_ck/r.h5.log)"
mv term_ck/r.h5.log term_ck.log
only_files term_ck
expect_exit 0 "$MPIEXEC" -n 3 "$TSBATCH" run "$CFG" "${SMALL[@]}" --set output.path=term_ck/r.h5 \
  --set run.checkpoint=ck --set run.output_memory_mb=0
"$TSBATCH" inspect --digest term_ck/r.h5 > term_ck.txt
cmp ref.txt term_ck.txt || fail "SIGTERM with a checkpoint: the resumed result differs"
only_files term_ck r.h5 r.report.html
echo "SIGTERM: no temporary file left, with or without a checkpoint"
