# The helpers of tests/cli/lib.sh fail where they must: same_output on two failing commands,
# on one failing command and on different outputs, and passes on equal outputs.
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
# must_fail WHAT SNIPPET: the snippet, run in a shell that sourced lib.sh, exits non-zero.
must_fail() {
  if bash -c "source '$TSBATCH_SOURCE_DIR/tests/cli/lib.sh'; $2" >/dev/null 2>&1; then
    fail "lib.sh: $1 passed"
  fi
}
must_fail "same_output on two failing commands" "same_output t false -- false"
must_fail "same_output on one failing command" "same_output t echo a -- bash -c 'echo a; exit 3'"
must_fail "same_output on different outputs" "same_output t echo a -- echo b"
same_output "equal outputs" echo a -- bash -o pipefail -c 'echo a | cat'
echo "lib_self_test: OK"
