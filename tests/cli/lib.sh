# Shared by the command-line tests: a scratch directory and assertions that say what failed.
set -euo pipefail
: "${TSBATCH:?set TSBATCH to the tsbatch executable}"
: "${TSBATCH_SOURCE_DIR:?set TSBATCH_SOURCE_DIR to the source tree}"
MPIEXEC=${MPIEXEC:-mpiexec}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tsbatch-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_exit CODE CMD...: runs CMD, stores its stderr+stdout in $OUT, checks the exit code.
expect_exit() {
  local want=$1; shift
  set +e
  OUT=$("$@" 2>&1)
  local got=$?
  set -e
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want. Output:
$OUT"
}

# expect_output TEXT: the last command's output contains TEXT.
expect_output() {
  grep -qF -- "$1" <<<"$OUT" || fail "output lacks '$1'. Output:
$OUT"
}

# same_output WHAT CMD_A... -- CMD_B...: runs both commands, each of which must exit 0, and
# compares what they print byte for byte. `cmp <(A) <(B)` would pass when both commands
# fail (two empty outputs); here a failing command fails the test with its messages. A
# pipeline goes in as `bash -o pipefail -c '...'`.
same_output() {
  local what=$1 rc=0
  shift
  local -a a=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do a+=("$1"); shift; done
  [ $# -gt 1 ] || fail "same_output $what: usage: same_output WHAT CMD_A... -- CMD_B..."
  shift
  local out_a out_b
  out_a=$(mktemp "$WORK/same_a.XXXXXX")
  out_b=$(mktemp "$WORK/same_b.XXXXXX")
  "${a[@]}" >"$out_a" 2>"$out_a.err" || rc=$?
  [ "$rc" -eq 0 ] || fail "$what: '${a[*]}' exited $rc: $(head -c 2000 "$out_a.err")"
  "$@" >"$out_b" 2>"$out_b.err" || rc=$?
  [ "$rc" -eq 0 ] || fail "$what: '$*' exited $rc: $(head -c 2000 "$out_b.err")"
  cmp -s "$out_a" "$out_b" || fail "$what: the outputs differ:
$(diff "$out_a" "$out_b" | head -n 20)"
}

# expect_every_rank_worked WHAT RANKS: the last command's output ($OUT, a `tsbatch run`
# summary) lists RANKS ranks and none of them had 0 series. A rank-invariance comparison
# where one rank did everything proves nothing about the others.
expect_every_rank_worked() {
  local what=$1 ranks=$2 rows idle
  rows=$(awk '$1 == "rank" {on = 1; next} $1 == "step" {on = 0} on && $1 ~ /^[0-9]+$/' <<<"$OUT")
  [ "$(grep -c . <<<"$rows")" -eq "$ranks" ] || fail "$what: the summary lists no table of $ranks ranks:
$OUT"
  idle=$(awk '$2 == 0' <<<"$rows")
  [ -z "$idle" ] || fail "$what: a rank got no series on $ranks ranks (make the chunks smaller): $idle"
}

# interrupt_run SIGNAL CKPT OUT GLOB MIN CONFIG [ARGS...]: starts `tsbatch run CONFIG ARGS`
# on 2 ranks in the background, writing OUT with run.checkpoint CKPT (its output in OUT.log),
# waits until CKPT holds at least MIN files named GLOB, and sends SIGNAL to the ranks, as Slurm
# delivers it to the tasks (mpiexec itself would end the job on SIGTERM). Sets RC to the run's
# exit code. Tests slow the run down (TSBATCH_TEST_*_DELAY_MS) so that the signal lands mid-run.
interrupt_run() {
  local sig=$1 ckpt=$2 out=$3 glob=$4 min=$5 cfg=$6
  shift 6
  "$MPIEXEC" -n 2 "$TSBATCH" run "$cfg" --set output.path="$out" --set run.checkpoint="$ckpt" "$@" > "$out.log" 2>&1 &
  local pid=$!
  recorded() { find "$ckpt" -name "$glob" 2>/dev/null | wc -l; }
  for _ in $(seq 1 300); do [ "$(recorded)" -ge "$min" ] && break; sleep 0.05; done
  [ "$(recorded)" -ge "$min" ] || fail "nothing was recorded in $ckpt: $(cat "$out.log")"
  pkill "-$sig" -f -- "^$TSBATCH run .*--set output.path=$out " || true
  RC=0
  wait "$pid" || RC=$?
}

# A small staged file for tests (deterministic).
make_data() { "$TSBATCH" generate -o "${1:-data.h5}" --series "${2:-40}" --points "${3:-400}" --seed "${4:-5}" >/dev/null; }
