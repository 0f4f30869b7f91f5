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

# A small staged file for tests (deterministic).
make_data() { "$TSBATCH" generate -o "${1:-data.h5}" --series "${2:-40}" --points "${3:-400}" --seed "${4:-5}" >/dev/null; }
