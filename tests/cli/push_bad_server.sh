# tsbatch push against servers that do not take the points (DESIGN §6, §8): an unreachable
# URL, a server answering 500, and 400 answers with and without per-point details (a scripted
# stub, tests/integration/stub_opentsdb.py, since VictoriaMetrics never refuses anything).
# Each ends with exit 5 and a message that says what happened; 5xx is retried as often as
# --retries says, 4xx is not retried.
set -euo pipefail
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
IT="$TSBATCH_SOURCE_DIR/tests/integration"

STUB_PIDS=()
stop_stubs() {
  local p
  for p in "${STUB_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  STUB_PIDS=()
}
trap 'stop_stubs; rm -rf "$WORK"' EXIT

# start_stub MODE: a stub server answering /api/put by MODE; sets STUB_URL and STUB_LOG.
start_stub() {
  local mode=$1 i
  STUB_LOG="$WORK/stub-$mode.jsonl"
  rm -f "$WORK/stub-$mode.port" "$STUB_LOG"
  /usr/bin/python3 "$IT/stub_opentsdb.py" --mode "$mode" --port-file "$WORK/stub-$mode.port" \
    --log "$STUB_LOG" --max-seconds 300 </dev/null >"$WORK/stub-$mode.out" 2>&1 &
  STUB_PIDS+=($!)
  for i in $(seq 1 100); do [ -s "$WORK/stub-$mode.port" ] && break; sleep 0.05; done
  [ -s "$WORK/stub-$mode.port" ] || fail "the stub server ($mode) did not start: $(cat "$WORK/stub-$mode.out")"
  STUB_URL="http://127.0.0.1:$(cat "$WORK/stub-$mode.port")"
}

# attempts: the most times the stub got one and the same request body, and how many requests.
attempts() {
  /usr/bin/python3 - "$STUB_LOG" <<'PY'
import collections, json, os, sys
log = [json.loads(l) for l in open(sys.argv[1])] if os.path.exists(sys.argv[1]) else []
put = [e for e in log if e["path"].startswith("/api/put")]
bodies = collections.Counter(e.get("sha1") for e in put)
print(max(bodies.values()) if bodies else 0, len(put))
PY
}

/usr/bin/python3 "$IT/make_points.py" -o pts.tsdb --series 20 --points 50 --seed 2 >/dev/null
expect_exit 0 "$TSBATCH" stage-in --from opentsdb-import pts.tsdb -o pts.h5

# --- nothing listens at the URL ---------------------------------------------------------------
closed=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$closed"
SECONDS=0
expect_exit 5 "$MPIEXEC" -n 2 "$TSBATCH" push pts.h5 --url "$url" --retries 1 --timeout 5 --journal j_closed
echo "$OUT"
expect_output "$url"
[ "$SECONDS" -lt 60 ] || fail "giving up on a closed port took ${SECONDS} s"

# --- 500 on every request: retried --retries times, then exit 5 ----------------------------
start_stub 500
expect_exit 5 "$MPIEXEC" -n 2 "$TSBATCH" push pts.h5 --url "$STUB_URL" --retries 1 --journal j_500
echo "$OUT"
expect_output "$STUB_URL"
grep -qF 500 <<<"${OUT//$STUB_URL/}" || fail "the message does not give the server's status 500: $OUT"
read -r most total < <(attempts)
[ "$most" -eq 2 ] || fail "with --retries 1 a request was tried $most times, expected 2 (1 + 1 retry)"
echo "500: $total requests, each tried at most $most times"
[ -z "$(cat j_500/rank-*.log 2>/dev/null)" ] || fail "the journal records requests the server refused: $(cat j_500/rank-*.log)"

# --- 400 with ?details: the server's per-point error is shown, exit 5 ----------------------
start_stub 400details
expect_exit 5 "$MPIEXEC" -n 2 "$TSBATCH" push pts.h5 --url "$STUB_URL" --retries 1 --journal j_details
echo "$OUT"
expect_output "Unknown metric"
expect_output "$STUB_URL"
read -r most total < <(attempts)
[ "$most" -eq 1 ] || fail "a request answered 400 was sent $most times (4xx must not be retried)"
grep -qF '/api/put?details' "$STUB_LOG" || fail "requests did not ask for ?details: $(head -n 2 "$STUB_LOG")"
grep -q '"gzip": true' "$STUB_LOG" || fail "request bodies were not gzip'd"

# --- 400 without details (e.g. a body too large for a stock OpenTSDB): exit 5 ---------------
start_stub 400plain
expect_exit 5 "$MPIEXEC" -n 2 "$TSBATCH" push pts.h5 --url "$STUB_URL" --retries 1 --journal j_plain
echo "$OUT"
expect_output "$STUB_URL"
grep -qF 400 <<<"${OUT//$STUB_URL/}" || fail "the message does not give the server's status 400: $OUT"
read -r most total < <(attempts)
[ "$most" -eq 1 ] || fail "a request answered 400 was sent $most times (4xx must not be retried)"
[ -z "$(cat j_plain/rank-*.log 2>/dev/null)" ] || fail "the journal records requests the server refused"

# --- a stub that takes everything: the same data goes through (the stub itself works) -------
start_stub ok
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" push pts.h5 --url "$STUB_URL" --journal j_ok
expect_output ": 1000 points in 20 requests"
/usr/bin/python3 - "$STUB_LOG" <<'PY' || fail "the stub did not get 1000 points once each"
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
assert sum(e["points"] for e in log) == 1000, sum(e["points"] for e in log)
assert all(e["points"] <= 50 for e in log), "more than --batch-points (default 50) in a request"
assert all(e["bytes"] <= 8000 for e in log), "a body over --max-request-bytes (default 8000)"
assert all(e["expect"] in (None, "") for e in log), "Expect: 100-continue was sent"
PY
# The journal: a rerun sends nothing; other request limits do not match it (exit 2, naming
# it); --restart forgets it and sends everything again.
lines_before=$(wc -l < "$STUB_LOG")
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" push pts.h5 --url "$STUB_URL" --journal j_ok
expect_output ": 0 points in 0 requests"
[ "$(wc -l < "$STUB_LOG")" -eq "$lines_before" ] || fail "the rerun sent requests"
expect_exit 2 "$MPIEXEC" -n 2 "$TSBATCH" push pts.h5 --url "$STUB_URL" --journal j_ok --batch-points 10
expect_output "j_ok"
[ "$(wc -l < "$STUB_LOG")" -eq "$lines_before" ] || fail "a push with a journal that does not match sent requests"
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" push pts.h5 --url "$STUB_URL" --journal j_ok --restart
expect_output ": 1000 points in 20 requests"
stop_stubs
echo "push_bad_server: OK"
