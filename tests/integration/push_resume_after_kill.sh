# tsbatch push survives the server going away mid-push (DESIGN §8): the push exits 5 naming
# the URL, and once the server is back the same command sends exactly the requests that were
# not acknowledged, so every point ends up on the server, none lost.
#
# The server is stopped with SIGINT, VictoriaMetrics' graceful shutdown, and restarted on the
# same data. A logging relay (http_relay.py) between the push and the server records which
# requests the server answered, so the test can prove on the wire that:
#  * every point of an answered request survived the shutdown (none lost by the server);
#  * the journal holds exactly the answered requests, and the rerun sends each of the others
#    once and no answered one again (no point acknowledged twice);
#  * the only extra copies on the server are points of requests the server received but never
#    answered. VictoriaMetrics (Go's http.Server.Shutdown) can store a request that arrives on
#    an idle keep-alive connection as it shuts down and close the connection without an answer;
#    no client can tell such a request from one the server dropped, so it must send it again.
#    Any other duplicate fails the test. No server-side deduplication is used.
set -euo pipefail
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
source "$TSBATCH_SOURCE_DIR/tests/integration/victoria_metrics.sh"
IT="$TSBATCH_SOURCE_DIR/tests/integration"

vm_start "$WORK/vm"
/usr/bin/python3 "$IT/http_relay.py" --upstream "${VM_PUT_URL#http://}" --port-file relay.port --log relay.jsonl \
  --max-seconds 300 </dev/null >relay.out 2>&1 &
kill_at_exit $!
for i in $(seq 1 100); do [ -s relay.port ] && break; sleep 0.05; done
[ -s relay.port ] || fail "the relay did not start: $(cat relay.out)"
URL="http://127.0.0.1:$(cat relay.port)"

# 500,000 points: two chunks of series (a chunk closes at 2^18 points), one per rank.
/usr/bin/python3 "$IT/make_points.py" -o pts.tsdb.gz --series 500 --points 1000 --seed 33
expect_exit 0 "$TSBATCH" stage-in --from opentsdb-import pts.tsdb.gz -o pts.h5
expect_output "500 series, 500000 points"

# Small requests (5000 of them) so the push lasts a few seconds; one retry so that it gives
# up soon after the server is gone.
PUSH=("$MPIEXEC" -n 2 "$TSBATCH" push pts.h5 --url "$URL" --batch-points 100 --retries 1 --timeout 10)
"${PUSH[@]}" > push1.log 2>&1 &
push_pid=$!

# Wait until some requests are acknowledged (journal lines), then take the server away.
journal_lines() { cat pts.h5.push-journal/rank-*.log 2>/dev/null | wc -l; }
for i in $(seq 1 200); do
  [ "$(journal_lines)" -ge 50 ] && break
  kill -0 "$push_pid" 2>/dev/null || break
  sleep 0.05
done
kill -0 "$push_pid" 2>/dev/null || fail "the push ended before the server was stopped (make it longer):
$(cat push1.log)"
vm_stop
echo "server stopped after $(journal_lines) acknowledged requests"

rc=0
wait "$push_pid" || rc=$?
cat push1.log
[ "$rc" -eq 5 ] || fail "the push exited $rc after the server went away, expected 5"
grep -qF "$URL" push1.log || fail "the push's message does not name the URL $URL"
acked=$(journal_lines)
[ "$acked" -lt 5000 ] || fail "the journal holds all 5000 requests although the push failed"

# The journal records exactly the requests the server answered.
answered=$(/usr/bin/python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if (e := json.loads(l)).get("answered") and 200 <= e["status"] < 300))' relay.jsonl)
echo "journal: $acked requests; the relay saw $answered answered"
[ "$acked" -eq "$answered" ] || fail "the journal holds $acked requests, the server answered $answered"

# After the restart the server holds every point it acknowledged, and nothing else than
# points of requests it received without answering.
vm_restart
vm_flush
/usr/bin/python3 "$IT/vm_readback.py" --vm "$VM_HTTP" --prefix it. --import pts.tsdb.gz --relay-log relay.jsonl \
  --acknowledged-only || fail "after the restart the server does not hold what it acknowledged (see above)"

# The same command again: it sends the rest.
expect_exit 0 "${PUSH[@]}"
echo "$OUT"
vm_flush
/usr/bin/python3 "$IT/vm_readback.py" --vm "$VM_HTTP" --prefix it. --import pts.tsdb.gz --relay-log relay.jsonl ||
  fail "after the resumed push the points read back differ from pts.tsdb.gz (see above)"

# Over both runs, each request was answered exactly once, and together they hold every point.
/usr/bin/python3 - <<'PY' || fail "requests were acknowledged twice or points never (see above)"
import base64, collections, gzip, json
answered = collections.Counter()
points = collections.Counter()
for line in open("relay.jsonl"):
    e = json.loads(line)
    if e.get("answered") and 200 <= e["status"] < 300:
        answered[e["body"]] += 1
        for p in json.loads(gzip.decompress(base64.b64decode(e["body"]))):
            points[(p["metric"], tuple(sorted(p["tags"].items())), p["timestamp"])] += 1
twice = sum(1 for n in answered.values() if n > 1)
print(f"relay: {len(answered)} distinct requests answered, {twice} of them more than once; "
      f"{len(points)} distinct points acknowledged, {sum(1 for n in points.values() if n > 1)} more than once")
assert twice == 0 and len(points) == 500000 and max(points.values()) == 1
PY
vm_stop
echo "push_resume_after_kill: OK"
