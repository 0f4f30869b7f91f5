# The helpers of tests/cli/lib.sh fail where they must: same_output on two failing commands,
# on one failing command and on different outputs (and passes on equal ones);
# expect_every_rank_worked on an idle or a missing rank.
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
# expect_every_rank_worked on a run summary: a rank with 0 series, or a missing rank row, fails.
summary='OUT="  rank     series       points
     0         63        40018
     1         ZERO            0
step             op"'
must_fail "expect_every_rank_worked with an idle rank" "${summary/ZERO/0}; expect_every_rank_worked t 2"
must_fail "expect_every_rank_worked with a rank missing" "${summary/ZERO/5}; expect_every_rank_worked t 3"
eval "${summary/ZERO/5}"
expect_every_rank_worked "two working ranks" 2
echo "lib_self_test: OK"
