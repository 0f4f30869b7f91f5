# tsbatch across two hosts of a Slurm cluster (tests/integration/cluster.sh: n1 and n2 are
# network namespaces, ranks talk over TCP through a bridge, one directory is the shared file
# system), each result compared with a 1-rank run by `tsbatch inspect --digest`:
#  * `sbatch -N 2 jobs/slurm/multinode.sbatch` runs config/demo.yaml with one rank on each
#    host (the result's /_run_ranks names both hosts);
#  * stage-in of OpenTSDB import files and export of a collection and of a table, on two hosts;
#  * a dataset-wide step (correlation) on two hosts;
#  * a lost host: the job runs with checkpoints on 2 hosts, n2's slurmd and tsbatch rank get
#    SIGKILL mid-run, the job ends (NODE_FAIL), and the same job resubmitted on n1 alone, as a
#    user's script would, finishes from the checkpoint with the chunks it holds reused.
set -euo pipefail
# Nothing from the caller's environment may steer sbatch or the job script.
unset CONFIG CHECKPOINT SRUN_ARGS TSBATCH_SET TSBATCH_DRY_RUN TSBATCH_CONTAINER TSBATCH_CONTAINER_RUNTIME \
  TSBATCH_CONTAINER_ARGS TSBATCH_CONTAINER_EXE TSBATCH_TEST_CHUNK_DELAY_MS PREFLIGHT
for v in $(compgen -v SLURM_) $(compgen -v SBATCH_) $(compgen -v SRUN_); do unset "$v"; done
# The scratch directory is the cluster's shared file system: not under /tmp, which each host
# has of its own.
export TMPDIR=/var/tmp
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
source "$TSBATCH_SOURCE_DIR/tests/integration/cluster.sh"
JOB=$TSBATCH_SOURCE_DIR/jobs/slurm/multinode.sbatch
SECONDS=0

# The program and the configs where both hosts see them (the build tree may be under /tmp).
mkdir -p bin data logs out ref
cp "$TSBATCH" bin/tsbatch
export TSBATCH=$WORK/bin/tsbatch
cp "$TSBATCH_SOURCE_DIR/config/demo.yaml" demo.yaml
make_data data/demo.h5 120 2000 42
cat > corr.yaml <<'YAML'
input: {path: data/demo.h5}
steps:
  - {name: hourly, op: resample, params: {period: 1h}}
  - {name: corr,   op: correlation, input: hourly, params: {max_lag: 1, top_pairs: 20}}
output: {path: out/corr.h5}
YAML

cluster_start "$WORK/cluster"

# digest_equal WHAT FILE REF: the two files hold the same data.
digest_equal() {
  "$TSBATCH" inspect --digest "$2" > "$2.digest"
  "$TSBATCH" inspect --digest "$3" > "$3.digest"
  [ -s "$3.digest" ] || fail "$1: empty digest of $3"
  diff "$3.digest" "$2.digest" >&2 || fail "$1: $2 differs from the 1-rank $3 (diff above)"
  echo "$1: digest equal to 1 rank ($(wc -l < "$3.digest") datasets and attribute sets, sha256 of the digest $(sha256sum < "$3.digest" | cut -c1-16))"
}

# hosts_of RESULT: the host of each rank, from /_run_ranks.
hosts_of() {
  /usr/bin/python3 -c 'import h5py, sys; print(" ".join(h5py.File(sys.argv[1], "r")["_run_ranks/host"].asstr()[()]))' "$1"
}

# run_job NAME SBATCH_ARGS... -- SCRIPT_ARGS...: submits multinode.sbatch, waits, requires COMPLETED.
run_job() {
  local name=$1 state j
  shift
  local sb=()
  while [ "$1" != -- ]; do sb+=("$1"); shift; done
  shift
  j=$(sbatch --parsable -J "$name" -o "logs/%x-%j.out" "${sb[@]}" "$JOB" "$@")
  state=$(cluster_wait_job "$j" 180)
  [ "$state" = "COMPLETED 0:0" ] || fail "job $name ($j) ended $state: $(cat "logs/$name-$j.out")"
  LOG=logs/$name-$j.out
}

# 1. config/demo.yaml through multinode.sbatch, one rank on each host.
"$TSBATCH" run demo.yaml --set output.path=ref/demo.h5 --set run.chunk_series=10 >/dev/null
CONFIG=demo.yaml run_job demo -N 2 --ntasks-per-node=1 -- --set output.path=out/demo.h5 --set run.chunk_series=10
grep -q "tsbatch: nodes: n1 n2" "$LOG" || fail "the job did not get both hosts: $(cat "$LOG")"
[ "$(hosts_of out/demo.h5)" = "n1 n2" ] || fail "ranks ran on '$(hosts_of out/demo.h5)', not 'n1 n2'"
grep -qE '^ +1 +[1-9][0-9]* +[0-9]+ .* n2$' "$LOG" || fail "the run summary shows no work by rank 1 on n2: $(cat "$LOG")"
digest_equal "multinode.sbatch on n1 + n2" out/demo.h5 ref/demo.h5

# 2. stage-in and export across the two hosts (srun from the controller, one task per host).
on_two_hosts() { cluster_on ctl srun --mpi=pmix -N 2 -n 2 --ntasks-per-node=1 "$@"; }
"$TSBATCH" export --to opentsdb-import data/demo.h5 -o import >/dev/null
zcat import/part-00000.tsdb.gz > all.tsdb
split -n l/4 -d all.tsdb piece.
"$TSBATCH" stage-in --from opentsdb-import 'piece.*' -o ref/staged.h5 >/dev/null
on_two_hosts "$TSBATCH" stage-in --from opentsdb-import 'piece.*' -o out/staged.h5 > logs/stage-in.txt
digest_equal "stage-in on n1 + n2" out/staged.h5 ref/staged.h5
on_two_hosts "$TSBATCH" export --to opentsdb-import out/demo.h5:/hourly -o out/export2 >/dev/null
"$TSBATCH" export --to opentsdb-import ref/demo.h5:/hourly -o ref/export1 >/dev/null
[ -f out/export2/part-00001.tsdb.gz ] || fail "the export on two hosts wrote no part for rank 1: $(ls out/export2)"
cmp <(zcat out/export2/part-*.tsdb.gz) <(zcat ref/export1/part-*.tsdb.gz) ||
  fail "export --to opentsdb-import on n1 + n2 differs from 1 rank"
on_two_hosts "$TSBATCH" export --to csv out/demo.h5 -o out/csv2 --rows-per-part 50 >/dev/null
"$TSBATCH" export --to csv ref/demo.h5 -o ref/csv1 --rows-per-part 50 >/dev/null
for f in ref/csv1/*.csv; do
  case $f in */_run_*) continue ;; esac  # the run's own timings and hosts
  cmp "$f" "out/csv2/${f#ref/csv1/}" || fail "export --to csv on n1 + n2: ${f#ref/csv1/} differs"
done
echo "stage-in and export on n1 + n2: the same as 1 rank ($(ls ref/csv1/*.csv | wc -l) CSV files, $(wc -l < all.tsdb) import lines)"

# 3. A dataset-wide step: correlation on two hosts.
"$TSBATCH" run corr.yaml --set output.path=ref/corr.h5 --set run.chunk_series=10 >/dev/null
CONFIG=corr.yaml run_job corr -N 2 --ntasks-per-node=1 -- --set run.chunk_series=10
[ "$(hosts_of out/corr.h5)" = "n1 n2" ] || fail "correlation ranks ran on '$(hosts_of out/corr.h5)'"
digest_equal "correlation on n1 + n2" out/corr.h5 ref/corr.h5

# 4. A host lost mid-run. 120 series in chunks of 3: 40 chunks, 20 a rank, each 150 ms slower.
NCHUNKS=40
CKPT=out/loss.h5.ckpt
chunks_in() { { find "$1" -name 'chunk-*.bin' 2>/dev/null || true; } | wc -l; }
"$TSBATCH" run demo.yaml --set output.path=ref/loss.h5 --set run.chunk_series=3 >/dev/null
J=$(TSBATCH_TEST_CHUNK_DELAY_MS=150 CONFIG=demo.yaml \
  sbatch --parsable -J loss -o "logs/%x-%j.out" -N 2 --ntasks-per-node=1 "$JOB" \
  --set output.path=out/loss.h5 --set run.chunk_series=3 --set run.checkpoint=$CKPT)
at_kill=0
for _ in $(seq 1 600); do
  at_kill=$(chunks_in "$CKPT")
  [ "$at_kill" -ge 6 ] && break
  [ -n "$(squeue -h -j "$J" -o %i)" ] || fail "job $J ended before the host was lost: $(cat logs/loss-$J.out)"
  sleep 0.1
done
[ "$at_kill" -ge 6 ] || fail "job $J: fewer than 6 chunks in $CKPT after 60 s: $(cat logs/loss-$J.out)"
cluster_kill_host n2
echo "n2 lost (slurmd and its rank killed) with $at_kill chunk files recorded (${SECONDS} s)"
state=$(cluster_wait_job "$J" 120)
[[ $state != COMPLETED* ]] || fail "job $J completed although n2 was lost: $(cat logs/loss-$J.out)"
[ ! -e out/loss.h5 ] || fail "the interrupted job left a result file"
left=$(chunks_in "$CKPT")
((left >= at_kill && left < NCHUNKS)) || fail "after the loss the checkpoint holds $left chunk files (had $at_kill)"
for _ in $(seq 1 60); do
  [[ $(sinfo -h -n n2 -o %T) == down* ]] && break
  sleep 0.5
done
echo "job $J ended $state; n2 is $(sinfo -h -n n2 -o %T); $left chunk files in $CKPT (${SECONDS} s)"
# The user resubmits the same job on the host left.
CONFIG=demo.yaml run_job resume -N 1 -n 2 --ntasks-per-node=2 -w n1 -- --set output.path=out/loss.h5 --set run.chunk_series=3 \
  --set run.checkpoint=$CKPT
line=$(grep -E "checkpoint [^ ]*: [0-9]+ of $NCHUNKS chunks taken from it" "$LOG" || true)
taken=$(sed -E 's/.*: ([0-9]+) of [0-9]+ chunks taken from it.*/\1/' <<<"$line")
[ -n "$line" ] && ((taken > 0)) || fail "the resumed job took no chunk from the checkpoint: $(cat "$LOG")"
[ "$taken" -eq "$left" ] || fail "the resumed job took $taken chunks, but $left were recorded"
[ "$(hosts_of out/loss.h5)" = "n1 n1" ] || fail "the resumed job ran on '$(hosts_of out/loss.h5)', not n1 alone"
digest_equal "resumed on n1 after losing n2 ($taken of $NCHUNKS chunks reused)" out/loss.h5 ref/loss.h5
echo "multinode: OK (${SECONDS} s)"
