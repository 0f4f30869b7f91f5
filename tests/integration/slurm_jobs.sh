# The Slurm job scripts of jobs/slurm/ (DESIGN §7, §10), submitted for real to a one-node
# Slurm on loopback (tests/integration/slurm.sh), as root:
#  * run.sbatch (2 tasks), array.sbatch (a list of configs with per-task overrides, and a glob
#    of input files) and multinode.sbatch (1 node x 2 tasks) each complete, each result exists
#    and has the same `tsbatch inspect --digest` as the same config run with `mpiexec -n 2`:
#    results do not depend on how the run was launched;
#  * the container path: run.sbatch with TSBATCH_CONTAINER=/nonexistent.sif and
#    TSBATCH_DRY_RUN=1 prints `apptainer exec /nonexistent.sif tsbatch run ...` in its job log
#    (and, outside Slurm, `ch-run IMAGE -- tsbatch run ...` with TSBATCH_CONTAINER_RUNTIME);
#  * requeue.sbatch, whose tsbatch side (run.checkpoint, exit code 75) does not exist yet:
#    outside Slurm with stub srun/scontrol, the trap forwards USR1 and TERM to the step and the
#    script requeues on exit code 75 only; under Slurm with a stand-in for tsbatch that exits
#    75 on USR1, `scancel --signal=USR1 --batch` makes the job requeue itself once and complete
#    on its second start.
set -euo pipefail
# Nothing from the caller's environment may steer the scripts or sbatch: not a surrounding
# Slurm job's SLURM_* and SBATCH_* variables, not the scripts' own variables. (SLURM_TEST_CPUS
# is the harness's own setting and stays.)
unset CONFIG CHECKPOINT ARRAY_LIST ARRAY_GLOB OUTPUT_DIR PREFLIGHT SRUN_ARGS TSBATCH_SET \
  TSBATCH_DRY_RUN TSBATCH_CONTAINER TSBATCH_CONTAINER_RUNTIME TSBATCH_CONTAINER_ARGS TSBATCH_CONTAINER_EXE
for v in $(compgen -v SLURM_) $(compgen -v SBATCH_) $(compgen -v SRUN_); do
  [ "$v" = SLURM_TEST_CPUS ] || unset "$v"
done
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
source "$TSBATCH_SOURCE_DIR/tests/integration/slurm.sh"
JOBS=$TSBATCH_SOURCE_DIR/jobs/slurm
CFG=$TSBATCH_SOURCE_DIR/config
export TSBATCH  # the scripts read it from the job's environment
SECONDS=0

# The scripts parse, and their common block (the tsbatch command, containers, dry run) is the
# same in each.
common_block() { sed -n '/^# --- the tsbatch command/,/^# --- end of the common block/p' "$1"; }
common_block "$JOBS/run.sbatch" >common.ref
[ "$(wc -l <common.ref)" -gt 20 ] || fail "run.sbatch has no common block"
for s in run array multinode requeue; do
  [ -f "$JOBS/$s.sbatch" ] || fail "missing $JOBS/$s.sbatch"
  bash -n "$JOBS/$s.sbatch" || fail "$s.sbatch: bash -n failed"
  common_block "$JOBS/$s.sbatch" | diff common.ref - >&2 || fail "$s.sbatch: its common block differs from run.sbatch's (diff above)"
done

# Data as config/*.yaml expect it (data/demo.h5), two more staged files for the array over
# input files, and the directories the jobs write to.
mkdir -p data logs out ref
make_data data/demo.h5 60 2000 42
make_data data/part-a.h5 20 1500 7
make_data data/part-b.h5 30 1000 8

# log_command LOG: the command a job script printed (`tsbatch: command: ...`), last one.
log_command() { sed -n 's/^tsbatch: command: //p' "$1" | tail -n 1; }

# ---------------------------------------------------------------------------------------------
# 1. Dry runs outside Slurm: the commands the scripts build.
expect_exit 0 env TSBATCH_DRY_RUN=1 TSBATCH_CONTAINER=/nonexistent.sif TSBATCH_CONTAINER_RUNTIME=ch-run \
  CONFIG=c.yaml bash "$JOBS/run.sbatch" --set a=1
expect_output "tsbatch: command: ch-run /nonexistent.sif -- tsbatch run c.yaml --set a=1"
expect_exit 0 env TSBATCH_DRY_RUN=1 TSBATCH_CONTAINER=/img.sif TSBATCH_CONTAINER_ARGS="--bind /scratch" \
  TSBATCH_SET="x=1 y=2" CONFIG=c.yaml bash "$JOBS/run.sbatch"
expect_output "tsbatch: command: apptainer exec --bind /scratch /img.sif tsbatch run c.yaml --set x=1 --set y=2"
expect_output "tsbatch: launcher: srun --mpi=pmix"
expect_exit 2 env TSBATCH_DRY_RUN=1 TSBATCH_CONTAINER=/img.sif TSBATCH_CONTAINER_RUNTIME=docker bash "$JOBS/run.sbatch"
expect_output "TSBATCH_CONTAINER_RUNTIME must be apptainer, singularity or ch-run"
expect_exit 2 env TSBATCH=/nonexistent/tsbatch bash "$JOBS/run.sbatch"
expect_output "/nonexistent/tsbatch is not an executable"
# array: glob entries sorted, task 1 is the second file; an input-file entry needs CONFIG.
expect_exit 0 env TSBATCH_DRY_RUN=1 SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_JOB_ID=77 ARRAY_GLOB='data/part-*.h5' \
  CONFIG=c.yaml bash "$JOBS/array.sbatch"
expect_output "tsbatch: command: $TSBATCH run c.yaml --set input.path=data/part-b.h5 --set output.path=results/tsbatch-array-77/part-b_1.h5"
expect_exit 2 env TSBATCH_DRY_RUN=1 SLURM_ARRAY_TASK_ID=2 ARRAY_GLOB='data/part-*.h5' CONFIG=c.yaml bash "$JOBS/array.sbatch"
expect_output "array task 2, but there are only 2 entries (submit with --array=0-1)"
expect_exit 2 env TSBATCH_DRY_RUN=1 SLURM_ARRAY_TASK_ID=0 ARRAY_GLOB='data/part-*.h5' bash "$JOBS/array.sbatch"
expect_output "is an input file: set CONFIG"
expect_exit 2 env TSBATCH_DRY_RUN=1 bash "$JOBS/array.sbatch"
expect_output "submit with sbatch --array=0-N"
expect_exit 0 env TSBATCH_DRY_RUN=1 SLURM_JOB_NUM_NODES=3 CONFIG=c.yaml bash "$JOBS/multinode.sbatch" --set a=1 --dry-run
expect_output "tsbatch: command: $TSBATCH validate c.yaml --set a=1"
expect_output "tsbatch: command: $TSBATCH run c.yaml --set a=1 --dry-run"
expect_output "--nodes=3 --ntasks=3 --ntasks-per-node=1"
echo "dry runs outside Slurm: OK"

# ---------------------------------------------------------------------------------------------
# 2. requeue.sbatch outside Slurm, with stubs for srun and scontrol on PATH. The srun stub
#    records its arguments; STUB_SRUN=exit:N exits N at once, wait:N waits for USR1 or TERM,
#    records which, and exits N. The scontrol stub records its arguments, exits STUB_SCONTROL_RC.
mkdir -p stubs
cat >stubs/srun <<'SH'
#!/bin/bash
echo "srun $*" >>"$STUB_LOG"
code=${STUB_SRUN#*:}
case $STUB_SRUN in
  exit:*) exit "$code" ;;
  wait:*)
    sleep 30 &
    sp=$!
    trap 'echo "srun got USR1" >>"$STUB_LOG"; kill $sp; exit "$code"' USR1
    trap 'echo "srun got TERM" >>"$STUB_LOG"; kill $sp; exit "$code"' TERM
    echo "srun waiting" >>"$STUB_LOG"
    wait $sp
    echo "srun: no signal within 30 s" >>"$STUB_LOG"
    exit 99 ;;
esac
SH
cat >stubs/scontrol <<'SH'
#!/bin/bash
echo "scontrol $*" >>"$STUB_LOG"
exit "${STUB_SCONTROL_RC:-0}"
SH
chmod +x stubs/srun stubs/scontrol

# requeue_case NAME STUB_SRUN SIGNAL|none WANT_RC requeue|no-requeue [VAR=VALUE...]
requeue_case() {
  local name=$1 mode=$2 sig=$3 want_rc=$4 want_requeue=$5 pid rc=0 _
  shift 5
  : >"stub-$name.log"
  env PATH="$WORK/stubs:$PATH" STUB_LOG="$WORK/stub-$name.log" STUB_SRUN="$mode" SLURM_JOB_ID=4242 \
    CONFIG="$CFG/demo.yaml" CHECKPOINT=ck/run.ckpt "$@" \
    bash "$JOBS/requeue.sbatch" --set output.path=out/req.h5 >"req-$name.log" 2>&1 &
  pid=$!
  if [ "$sig" != none ]; then
    for _ in $(seq 1 100); do grep -q "srun waiting" "stub-$name.log" && break; sleep 0.1; done
    grep -q "srun waiting" "stub-$name.log" || fail "requeue/$name: the srun stub did not start: $(cat "req-$name.log")"
    kill -s "$sig" "$pid"
  fi
  wait "$pid" || rc=$?
  local report
  report="requeue/$name: script log:
$(cat "req-$name.log")
stub log:
$(cat "stub-$name.log")"
  [ "$rc" -eq "$want_rc" ] || fail "$report
exit code $rc, expected $want_rc"
  grep -q "^srun --mpi=pmix $TSBATCH run $CFG/demo.yaml --set run.checkpoint=" "stub-$name.log" ||
    fail "$report
srun was not called as srun --mpi=pmix tsbatch run CONFIG --set run.checkpoint=..."
  if [ "$sig" != none ]; then
    grep -qx "srun got $sig" "stub-$name.log" || fail "$report
SIG$sig was not forwarded to srun"
    grep -q "batch shell got SIG$sig" "req-$name.log" || fail "$report
the log does not say that SIG$sig came"
  fi
  if [ "$want_requeue" = requeue ]; then
    if [ "$(grep -c '^scontrol' "stub-$name.log")" -ne 1 ] || ! grep -qx "scontrol requeue 4242" "stub-$name.log"; then
      fail "$report
expected exactly one 'scontrol requeue 4242'"
    fi
  else
    ! grep -q '^scontrol' "stub-$name.log" || fail "$report
scontrol was called, but exit code ${mode#*:} must not requeue"
  fi
}
requeue_case usr1-75 wait:75 USR1 0 requeue
requeue_case term-75 wait:75 TERM 0 requeue
requeue_case usr1-0 wait:0 USR1 0 no-requeue
requeue_case usr1-1 wait:1 USR1 1 no-requeue
requeue_case usr1-143 wait:143 USR1 143 no-requeue
requeue_case exit-75 exit:75 none 0 requeue
requeue_case exit-0 exit:0 none 0 no-requeue
requeue_case exit-3 exit:3 none 3 no-requeue
requeue_case exit-2 exit:2 none 2 no-requeue
# When scontrol requeue fails, the job ends with 75 and says so.
requeue_case requeue-fails exit:75 none 75 requeue STUB_SCONTROL_RC=1
grep -q "scontrol requeue 4242 failed" req-requeue-fails.log || fail "requeue-fails: no message: $(cat req-requeue-fails.log)"
# CHECKPOINT unset: next to the effective output (read with the real `tsbatch validate`).
requeue_case default-checkpoint exit:0 none 0 no-requeue CHECKPOINT=
grep -q "^srun --mpi=pmix .* --set run.checkpoint=out/req.h5.ckpt --set output.path=out/req.h5$" stub-default-checkpoint.log ||
  fail "default CHECKPOINT is not <output.path>.ckpt: $(cat stub-default-checkpoint.log)"
echo "requeue.sbatch with stub srun/scontrol: OK (${SECONDS} s)"

# ---------------------------------------------------------------------------------------------
# 3. The one-node Slurm, and the reference results: each config run directly on 2 ranks.
slurm_start "$WORK/slurm"
# Small chunks, so that both ranks get series (at the default size this data is one chunk).
CHUNKS=run.chunk_series=10
reference() {  # NAME CONFIG [--set K=V...]
  local name=$1 cfg=$2
  shift 2
  expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" run "$cfg" --set "$CHUNKS" "$@" --set "output.path=ref/$name.h5"
  [ -f "ref/$name.h5" ] || fail "reference run $name wrote no ref/$name.h5"
}
reference demo "$CFG/demo.yaml"
reference seismic "$CFG/seismic_window.yaml"
reference demo30 "$CFG/demo.yaml" --set steps.hourly.params.period=30min
reference plant "$CFG/plant_running.yaml"
reference part-a "$CFG/demo.yaml" --set input.path=data/part-a.h5
reference part-b "$CFG/demo.yaml" --set input.path=data/part-b.h5

# same_result RESULT REFERENCE WHAT: the result exists and its digest equals the reference's.
same_result() {
  [ -f "$1" ] || fail "$3: no result file $1"
  "$TSBATCH" inspect --digest "$1" >"$1.digest" || fail "$3: tsbatch inspect --digest $1 failed"
  "$TSBATCH" inspect --digest "$2" >"$2.digest"
  [ -s "$2.digest" ] || fail "$3: empty digest of $2"
  diff "$2.digest" "$1.digest" >&2 || fail "$3: $1 differs from the mpiexec -n 2 result $2 (diff above)"
}

# ---------------------------------------------------------------------------------------------
# 4. requeue.sbatch under Slurm, with a stand-in for tsbatch (run.checkpoint does not exist
#    yet): each rank waits for SIGUSR1, then writes a checkpoint and exits 75; on a later start
#    it finds its checkpoint and exits 0. Submitted first, so that it holds both CPUs at once.
cat >fake-tsbatch <<'SH'
#!/bin/bash
# Stands in for `tsbatch run CONFIG --set run.checkpoint=CK ...` that saves a checkpoint on USR1.
ck=""
while [ $# -gt 0 ]; do
  case $1 in --set) case $2 in run.checkpoint=*) ck=${2#run.checkpoint=} ;; esac; shift ;; esac
  shift
done
rank=${SLURM_PROCID:?not started by srun}
if [ -f "$ck.$rank" ]; then echo "rank $rank: resumed from $ck.$rank"; exit 0; fi
# Slurm signals every process of the step, so the sleeper ignores USR1: only the trap ends it.
(trap '' USR1; exec sleep 120) &
sp=$!
trap 'echo "rank $rank: got USR1"; echo chunk-7 >"$ck.$rank"; kill $sp; exit 75' USR1
: >"$ck.$rank.waiting"
wait $sp
echo "rank $rank: no USR1 within 120 s"
exit 1
SH
chmod +x fake-tsbatch
J_REQ=$(TSBATCH="$WORK/fake-tsbatch" CONFIG="$CFG/demo.yaml" CHECKPOINT="$WORK/out/fake.ckpt" \
  sbatch --parsable -n 2 -o "logs/%x-%j.out" "$JOBS/requeue.sbatch")
for _ in $(seq 1 300); do
  [ -f out/fake.ckpt.0.waiting ] && [ -f out/fake.ckpt.1.waiting ] && break
  sleep 0.1
done
if [ ! -f out/fake.ckpt.0.waiting ] || [ ! -f out/fake.ckpt.1.waiting ]; then
  fail "requeue job $J_REQ: the ranks did not start within 30 s: $(squeue -j "$J_REQ" 2>&1; cat logs/*-"$J_REQ".out 2>&1)"
fi
# What --signal=B:USR1@N does near the time limit, now: signal the batch shell only.
scancel --signal=USR1 --batch "$J_REQ"

# ---------------------------------------------------------------------------------------------
# 5. The other jobs, all submitted at once (they queue for the 2 CPUs).
J_RUN=$(CONFIG="$CFG/demo.yaml" TSBATCH_SET="$CHUNKS output.path=out/run.h5" \
  sbatch --parsable -n 2 -o "logs/%x-%j.out" "$JOBS/run.sbatch")
cat >array.list <<LIST
# one config per task; extra words are --set overrides of that task
$CFG/demo.yaml

$CFG/seismic_window.yaml
$CFG/demo.yaml steps.hourly.params.period=30min
LIST
J_ARRAY=$(ARRAY_LIST=array.list OUTPUT_DIR=out/array TSBATCH_SET="$CHUNKS" \
  sbatch --parsable --array=0-2 -n 2 -o "logs/%x-%A_%a.out" "$JOBS/array.sbatch")
J_GLOB=$(ARRAY_GLOB='data/part-*.h5' CONFIG="$CFG/demo.yaml" OUTPUT_DIR=out/glob TSBATCH_SET="$CHUNKS" \
  sbatch --parsable --array=0-1 -n 1 -o "logs/%x-%A_%a.out" "$JOBS/array.sbatch")
J_MULTI=$(CONFIG="$CFG/plant_running.yaml" \
  sbatch --parsable --nodes=1 --ntasks-per-node=2 -o "logs/%x-%j.out" "$JOBS/multinode.sbatch" \
  --set "$CHUNKS" --set output.path=out/multi.h5)
J_DRY=$(CONFIG="$CFG/demo.yaml" TSBATCH_CONTAINER=/nonexistent.sif TSBATCH_DRY_RUN=1 \
  sbatch --parsable -n 1 -o "logs/%x-%j.out" "$JOBS/run.sbatch")

slurm_wait_job "$J_REQ" 120
slurm_wait_job "$J_RUN" 120
slurm_wait_job "$J_ARRAY" 120
slurm_wait_job "$J_GLOB" 120
slurm_wait_job "$J_MULTI" 120
slurm_wait_job "$J_DRY" 60
echo "all jobs completed (${SECONDS} s)"

# ---------------------------------------------------------------------------------------------
# 6. Results and logs.
log=logs/tsbatch-$J_RUN.out
same_result out/run.h5 ref/demo.h5 "run.sbatch"
grep -q "on 2 ranks" "$log" || fail "run.sbatch: tsbatch did not run as one job of 2 ranks: $(cat "$log")"
[ "$(log_command "$log")" = "$TSBATCH run $CFG/demo.yaml --set $CHUNKS --set output.path=out/run.h5" ] ||
  fail "run.sbatch: unexpected command in $log: $(log_command "$log")"

same_result out/array/demo_0.h5 ref/demo.h5 "array.sbatch task 0"
same_result out/array/seismic_window_1.h5 ref/seismic.h5 "array.sbatch task 1"
same_result out/array/demo_2.h5 ref/demo30.h5 "array.sbatch task 2 (steps.hourly.params.period=30min)"
for t in 0 1 2; do
  grep -q "on 2 ranks" "logs/tsbatch-array-${J_ARRAY}_$t.out" ||
    fail "array task $t: not one job of 2 ranks: $(cat "logs/tsbatch-array-${J_ARRAY}_$t.out")"
done
same_result out/glob/part-a_0.h5 ref/part-a.h5 "array.sbatch over data/part-*.h5, task 0"
same_result out/glob/part-b_1.h5 ref/part-b.h5 "array.sbatch over data/part-*.h5, task 1"

log=logs/tsbatch-multinode-$J_MULTI.out
same_result out/multi.h5 ref/plant.h5 "multinode.sbatch"
grep -q "on 2 ranks" "$log" || fail "multinode.sbatch: not one job of 2 ranks: $(cat "$log")"
grep -q "^0: .*plant_running.yaml: OK" "$log" || fail "multinode.sbatch: no per-node validate output: $(cat "$log")"

log=logs/tsbatch-$J_DRY.out
cmd=$(log_command "$log")
[[ $cmd == "apptainer exec /nonexistent.sif tsbatch run "* ]] ||
  fail "run.sbatch with TSBATCH_CONTAINER=/nonexistent.sif: the command is '$cmd', not 'apptainer exec /nonexistent.sif tsbatch run ...'. Log:
$(cat "$log")"
grep -q "dry run (TSBATCH_DRY_RUN=1): nothing started" "$log" || fail "dry run: $(cat "$log")"

log=logs/tsbatch-requeue-$J_REQ.out
for want in "start 1 of job $J_REQ" "batch shell got SIGUSR1" "rank 0: got USR1" "rank 1: got USR1" \
  "exit code 75" "requeueing job $J_REQ" "start 2 of job $J_REQ (SLURM_RESTART_COUNT=1)" \
  "rank 0: resumed from $WORK/out/fake.ckpt.0" "rank 1: resumed from $WORK/out/fake.ckpt.1" "exit code 0"; do
  grep -qF "$want" "$log" || fail "requeue.sbatch under Slurm: the log lacks '$want':
$(cat "$log")"
done
scontrol -o show job "$J_REQ" | grep -q " Restarts=1 " ||
  fail "requeue.sbatch: expected Restarts=1: $(scontrol -o show job "$J_REQ")
$(cat "$log")"

# ---------------------------------------------------------------------------------------------
# 7. The harness itself. A failed job fails slurm_wait_job, which shows the job's exit code and
#    log. A test shell killed outright leaves no daemon behind (the watchdog). Without Slurm
#    installed, slurm_start fails: it never skips.
J_BAD=$(sbatch --parsable -n 1 -o "logs/bad-%j.out" --wrap 'echo about to fail; exit 3')
rc=0
(slurm_wait_job "$J_BAD" 60) >bad.txt 2>&1 || rc=$?
if [ "$rc" -ne 1 ] || ! grep -q "ExitCode=3:0" bad.txt || ! grep -q "about to fail" bad.txt; then
  fail "slurm_wait_job on a job that exits 3: exit $rc, output:
$(cat bad.txt)"
fi
slurm_stop

# shellcheck disable=SC2016  # expanded by the inner shell
bash -c 'source "$0"; slurm_start "$1"; while :; do sleep 1; done' \
  "$TSBATCH_SOURCE_DIR/tests/integration/slurm.sh" "$WORK/slurm-killed" >killed.txt 2>&1 &
shell=$!
for _ in $(seq 1 300); do grep -q "slurm ready" killed.txt && break; kill -0 "$shell" || break; sleep 0.1; done
grep -q "slurm ready" killed.txt || fail "second cluster did not start: $(cat killed.txt)"
daemons=$(cat "$WORK"/slurm-killed/pids/munged "$WORK"/slurm-killed/pids/slurmctld "$WORK"/slurm-killed/pids/slurmd)
kill -KILL "$shell"
wait "$shell" 2>/dev/null || true
for _ in $(seq 1 300); do
  left=""
  for p in $daemons; do if kill -0 "$p" 2>/dev/null; then left="$left $p"; fi; done
  [ -z "$left" ] && break
  sleep 0.1
done
[ -z "$left" ] || fail "30 s after its test shell was killed, daemons$left still run"

# shellcheck disable=SC2016  # expanded by the inner shell
expect_exit 1 env PATH=/nonexistent /bin/bash -c 'source "$0"; slurm_start "$1"' \
  "$TSBATCH_SOURCE_DIR/tests/integration/slurm.sh" "$WORK/slurm-missing"
expect_output "slurmctld is not installed"
echo "slurm_jobs: OK (${SECONDS} s)"
