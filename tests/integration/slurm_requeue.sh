# requeue.sbatch with the real tsbatch under a one-node Slurm (tests/integration/slurm.sh), as
# root: a slowed-down run of 40 chunks on 2 tasks gets Slurm's warning signal in the middle
# (`scancel --signal=USR1 --batch`, what `--signal=B:USR1@N` does before a time limit); the
# script forwards it to the step, tsbatch records the chunk in hand and exits 75, the script
# requeues the job, and its second start resumes from the checkpoint. Checked:
#  * the job completes after exactly one requeue (Restarts=1, two starts in its log);
#  * the first run exits 75 with "N of 40 chunks are recorded in <checkpoint>", leaves no result
#    file, and N equals the chunk files in the checkpoint once it has stopped;
#  * the second run takes exactly those N chunks from the checkpoint (0 < N < 40) and computes
#    the other 40 - N: no finished chunk is computed twice (the result's
#    chunks_from_checkpoint attribute says N too);
#  * the result has the same `tsbatch inspect --digest` as the same config run directly with
#    `mpiexec -n 2`, and the checkpoint directory is gone.
set -euo pipefail
# Nothing from the caller's environment may steer the script or sbatch: not a surrounding Slurm
# job's SLURM_* and SBATCH_* variables, not the scripts' own variables, not a chunk delay meant
# for something else. (SLURM_TEST_CPUS is the harness's own setting and stays.)
unset CONFIG CHECKPOINT SRUN_ARGS TSBATCH_SET TSBATCH_DRY_RUN TSBATCH_CONTAINER TSBATCH_CONTAINER_RUNTIME \
  TSBATCH_CONTAINER_ARGS TSBATCH_CONTAINER_EXE TSBATCH_TEST_CHUNK_DELAY_MS
for v in $(compgen -v SLURM_) $(compgen -v SBATCH_) $(compgen -v SRUN_); do
  [ "$v" = SLURM_TEST_CPUS ] || unset "$v"
done
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
source "$TSBATCH_SOURCE_DIR/tests/integration/slurm.sh"
JOBS=$TSBATCH_SOURCE_DIR/jobs/slurm
CFG=$TSBATCH_SOURCE_DIR/config/demo.yaml
export TSBATCH  # requeue.sbatch reads it from the job's environment
SECONDS=0

# 200 series in chunks of 5: 40 chunks, 20 a rank.
CHUNKS=run.chunk_series=5
NCHUNKS=40
# Each computed chunk takes 200 ms more, so the first run lasts about 4 s (20 chunks a rank):
# time enough for the signal to arrive in the middle, short enough for the second start.
DELAY_MS=200
OUTPUT=out/req.h5
# requeue.sbatch's default checkpoint, next to the output (relative to the submit directory).
CKPT=$OUTPUT.ckpt

mkdir -p data logs out ref
make_data data/demo.h5 200 3000 42   # config/demo.yaml reads data/demo.h5

# chunks_in DIR: recorded chunk files; 0 when DIR does not exist (yet, or any more: a finished
# run removes it), rather than a failed pipeline that would end the test without a word.
chunks_in() { { find "$1" -name 'chunk-*.bin' 2>/dev/null || true; } | wc -l; }

# The reference: the same config and overrides, run directly on 2 ranks, without delay.
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" run "$CFG" --set "$CHUNKS" --set output.path=ref/demo.h5
"$TSBATCH" inspect --digest ref/demo.h5 >ref/demo.digest
[ -s ref/demo.digest ] || fail "empty digest of the reference ref/demo.h5"

slurm_start "$WORK/slurm"
echo "cluster up, reference written (${SECONDS} s)"

# The delay is exported so that sbatch hands it to the job (and, through srun, to the ranks); it
# stays in the job's saved environment, so the requeued start is slowed down too.
J=$(TSBATCH_TEST_CHUNK_DELAY_MS=$DELAY_MS CONFIG=$CFG TSBATCH_SET="$CHUNKS output.path=$OUTPUT" \
  sbatch --parsable -n 2 -o "logs/%x-%j.out" "$JOBS/requeue.sbatch")
LOG=logs/tsbatch-requeue-$J.out

# job_gone WHAT: fails with the job's log when the job has left the queue while we wait for it.
job_gone() {
  if [ -z "$(squeue -h -j "$J" -o %i 2>/dev/null || true)" ]; then
    fail "job $J ended while waiting for $1: $(scontrol show job "$J" 2>&1)
$(cat "$LOG" 2>&1)"
  fi
}

# Signal only once a few chunks are recorded: the run is then well under way, with most of
# its chunks still to do.
at_signal=0
for _ in $(seq 1 600); do
  at_signal=$(chunks_in "$CKPT")
  [ "$at_signal" -ge 4 ] && break
  job_gone "chunks in $CKPT"
  sleep 0.1
done
[ "$at_signal" -ge 4 ] || fail "job $J: fewer than 4 chunks in $CKPT after 60 s: $(cat "$LOG" 2>&1)"
# What --signal=B:USR1@N does near the time limit, now: signal the batch shell only.
scancel --signal=USR1 --batch "$J" || fail "scancel --signal=USR1 --batch $J failed: $(cat "$LOG" 2>&1)"
echo "job $J: USR1 sent with $at_signal chunk files recorded (${SECONDS} s)"

# The first run's end: the script prints its exit code once srun (every rank) has ended. Count
# the chunk files at once: the requeued start comes no sooner than cred_expire (10 s) later, and
# it records the chunks it computes in the same directory.
for _ in $(seq 1 600); do
  grep -q '^tsbatch: exit code ' "$LOG" 2>/dev/null && break
  job_gone "the first run to end"
  sleep 0.05
done
recorded=$(chunks_in "$CKPT")
first_rc=$(sed -n 's/^tsbatch: exit code \([0-9]*\),.*/\1/p' "$LOG" | head -n 1)
! grep -q "^tsbatch: start 2 of job" "$LOG" ||
  fail "job $J started again before the chunk files of its first run were counted: $(cat "$LOG")"
[ "$first_rc" = 75 ] || fail "job $J: the first run exited '$first_rc', expected 75 after SIGUSR1: $(cat "$LOG")"
[ ! -e "$OUTPUT" ] || fail "job $J: the interrupted run left a file at the output path $OUTPUT"
echo "job $J: first run exited 75 with $recorded chunk files in $CKPT (${SECONDS} s)"

slurm_wait_job "$J" 90
echo "job $J completed after its requeue (${SECONDS} s)"

# The job log: one interruption, one requeue, a second start that succeeded, no third.
report="job log $LOG:
$(cat "$LOG")"
for want in "start 1 of job $J" "batch shell got SIGUSR1" "chunks are recorded in $CKPT" "exit code 75" \
  "requeueing job $J" "start 2 of job $J (SLURM_RESTART_COUNT=1)" "exit code 0," "on 2 ranks"; do
  grep -qF -- "$want" "$LOG" || fail "the job log lacks '$want'. $report"
done
! grep -q "^tsbatch: start 3 of job" "$LOG" || fail "job $J started a third time. $report"
[ "$(grep -c '^tsbatch: exit code 75' "$LOG")" -eq 1 ] || fail "job $J was interrupted more than once. $report"
scontrol -o show job "$J" | grep -q " Restarts=1 " ||
  fail "job $J: expected Restarts=1: $(scontrol -o show job "$J"). $report"

# The count the first run gave (tsbatch's message), the chunk files left, and what the second
# run took from the checkpoint must all agree: nothing recorded was lost or computed again.
said=$(sed -n "s/.* \([0-9]*\) of $NCHUNKS chunks are recorded in .*/\1/p" "$LOG" | head -n 1)
[ "$said" = "$recorded" ] ||
  fail "the first run says '$said' of $NCHUNKS chunks are recorded, but $CKPT held $recorded chunk files. $report"
line=$(grep -E "checkpoint [^ ]*: [0-9]+ of $NCHUNKS chunks taken from it, [0-9]+ computed" "$LOG" || true)
[ "$(grep -c . <<<"$line")" -eq 1 ] || fail "expected one 'checkpoint ...: R of $NCHUNKS chunks taken from it' line. $report"
taken=$(sed -E 's/.*: ([0-9]+) of [0-9]+ chunks taken from it, ([0-9]+) computed.*/\1/' <<<"$line")
computed=$(sed -E 's/.*: ([0-9]+) of [0-9]+ chunks taken from it, ([0-9]+) computed.*/\2/' <<<"$line")
[[ $line == *"checkpoint $CKPT: "* ]] || fail "the second run did not resume from $CKPT: '$line'. $report"
((taken > 0 && taken < NCHUNKS)) ||
  fail "the second run took $taken of $NCHUNKS chunks from the checkpoint: the signal did not stop the first run midway. $report"
[ "$taken" -eq "$recorded" ] ||
  fail "the second run took $taken chunks from the checkpoint, but the first run left $recorded. $report"
[ $((taken + computed)) -eq "$NCHUNKS" ] ||
  fail "the second run took $taken and computed $computed chunks, not $NCHUNKS in all. $report"

# The result: the same as the uninterrupted run, and it knows where its chunks came from.
[ -f "$OUTPUT" ] || fail "no result file $OUTPUT. $report"
"$TSBATCH" inspect --digest "$OUTPUT" >out/req.digest || fail "tsbatch inspect --digest $OUTPUT failed"
diff ref/demo.digest out/req.digest >&2 || fail "the requeued job's result differs from the mpiexec -n 2 result (diff above)"
from_ckpt=$("$TSBATCH" inspect "$OUTPUT" | awk '$1 == "chunks_from_checkpoint" { print $2 }')
[ "$from_ckpt" = "$taken" ] || fail "$OUTPUT has chunks_from_checkpoint='$from_ckpt', expected $taken"
[ ! -e "$CKPT" ] || fail "the checkpoint $CKPT was not removed after the result was written: $(ls -la "$CKPT")"

slurm_stop
echo "slurm_requeue: OK: USR1 after $at_signal chunk files, first run stopped with $recorded of $NCHUNKS recorded," \
  "second start took $taken and computed $computed, same digest (${SECONDS} s)"
