# run.checkpoint (DESIGN §7): a run stopped by SIGUSR1 or SIGTERM exits 75 with its finished
# chunks recorded; the rerun (on another rank count too) takes them from the checkpoint,
# computes only the rest and writes the same result as an uninterrupted run. A run killed
# with SIGKILL leaves nothing under the output path and its rerun resumes as well. A changed
# config is refused, --restart discards the checkpoint.
source "$(dirname "$0")/lib.sh"
mkdir -p data
make_data data/demo.h5 200 3000 42
CFG="$TSBATCH_SOURCE_DIR/config/demo.yaml"
SMALL=(--set run.chunk_series=5)   # 40 chunks

"$MPIEXEC" -n 2 "$TSBATCH" run "$CFG" --set output.path=plain.h5 "${SMALL[@]}" >/dev/null
"$TSBATCH" inspect --digest plain.h5 > plain.txt

# chunks_in DIR: recorded chunk files.
chunks_in() { find "$1" -name 'chunk-*.bin' 2>/dev/null | wc -l; }

# interrupt SIGNAL CKPT OUT: a slowed-down run, signalled once a few chunks are recorded.
interrupt() { TSBATCH_TEST_CHUNK_DELAY_MS=150 interrupt_run "$1" "$2" "$3" 'chunk-*.bin' 4 "$CFG" "${SMALL[@]}"; }

for sig in USR1 TERM; do
  interrupt "$sig" "ck_$sig" "r_$sig.h5"
  [ "$RC" -eq 75 ] || fail "SIG$sig: exit $RC, expected 75: $(cat "r_$sig.h5.log")"
  grep -q "chunks are recorded in ck_$sig" "r_$sig.h5.log" || fail "SIG$sig: no resume hint: $(cat "r_$sig.h5.log")"
  [ ! -e "r_$sig.h5" ] || fail "SIG$sig: an interrupted run left its output file"
  recorded=$(chunks_in "ck_$sig")
  [ "$recorded" -lt 40 ] || fail "SIG$sig: all chunks were done before the signal"
  # Resume on 3 ranks: the recorded chunks are reused, none computed twice.
  expect_exit 0 "$MPIEXEC" -n 3 "$TSBATCH" run "$CFG" --set output.path="r_$sig.h5" --set run.checkpoint="ck_$sig" "${SMALL[@]}"
  expect_output "checkpoint ck_$sig: $recorded of 40 chunks taken from it, $((40 - recorded)) computed"
  "$TSBATCH" inspect --digest "r_$sig.h5" > "r_$sig.txt"
  cmp plain.txt "r_$sig.txt" || fail "SIG$sig: the resumed result differs from an uninterrupted run"
  [ ! -e "ck_$sig" ] || fail "SIG$sig: the checkpoint was not removed after the result was written"
  echo "SIG$sig: exit 75 after $recorded chunks, resumed on 3 ranks, same result"
done

# SIGKILL: no time to say anything; no output file; the rerun resumes.
interrupt KILL ck_kill r_kill.h5
[ "$RC" -ne 0 ] || fail "SIGKILL: the run finished before it was killed"
[ ! -e r_kill.h5 ] || fail "SIGKILL: a killed run left a file at the output path"
recorded=$(chunks_in ck_kill)
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" run "$CFG" --set output.path=r_kill.h5 --set run.checkpoint=ck_kill "${SMALL[@]}"
expect_output "checkpoint ck_kill: $recorded of 40 chunks taken from it"
"$TSBATCH" inspect --digest r_kill.h5 > r_kill.txt
cmp plain.txt r_kill.txt || fail "SIGKILL: the resumed result differs from an uninterrupted run"
echo "SIGKILL: resumed from $recorded chunks, same result"

# A chunk file whose contents did not reach the disk (machine crash) fails its checksum and
# is computed again.
interrupt USR1 ck_bad r_bad.h5
recorded=$(chunks_in ck_bad)
victim=$(find ck_bad -name 'chunk-*.bin' | sort | head -1)
printf 'XXXXXXXX' | dd of="$victim" bs=1 seek=100 conv=notrunc status=none
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" run "$CFG" --set output.path=r_bad.h5 --set run.checkpoint=ck_bad "${SMALL[@]}"
expect_output "is damaged"
expect_output "checkpoint ck_bad: $((recorded - 1)) of 40 chunks taken from it"
"$TSBATCH" inspect --digest r_bad.h5 > r_bad.txt
cmp plain.txt r_bad.txt || fail "damaged chunk: the result differs from an uninterrupted run"
echo "damaged chunk file: computed again, same result"

# A checkpoint of another run is refused; --restart discards it.
interrupt USR1 ck_cfg r_cfg.h5
expect_exit 2 "$TSBATCH" run "$CFG" --set output.path=r_cfg.h5 --set run.checkpoint=ck_cfg "${SMALL[@]}" \
  --set steps.hourly.params.period=30min
expect_output "belongs to another run"
expect_exit 0 "$TSBATCH" run "$CFG" --set output.path=r_cfg.h5 --set run.checkpoint=ck_cfg "${SMALL[@]}" \
  --set steps.hourly.params.period=30min --restart
expect_output "checkpoint ck_cfg: 0 of 40 chunks taken from it, 40 computed"
echo "checkpoint: OK"
