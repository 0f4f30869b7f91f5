# The storage-tier test harness itself, without tsbatch: VictoriaMetrics starts, stores what
# an OpenTSDB client sends (gzip JSON to /api/put, sent here with curl) and keeps it across a
# SIGINT restart; vm_readback.py reads it back exactly and reports a lost, a duplicated and a
# changed point when the server holds them; http_relay.py passes requests through and its log
# lets vm_readback.py tell acknowledged points from points the server took without answering.
# The push tests rely on all of this.
set -euo pipefail
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
source "$TSBATCH_SOURCE_DIR/tests/integration/victoria_metrics.sh"
IT="$TSBATCH_SOURCE_DIR/tests/integration"

vm_start "$WORK/vm"

/usr/bin/python3 "$IT/make_points.py" -o good.tsdb --series 200 --points 100 --prefix good --seed 3
/usr/bin/python3 "$IT/make_points.py" -o bad.tsdb.gz --series 20 --points 50 --prefix bad --seed 4

# Import lines -> gzip JSON bodies of up to 5000 points, as an OpenTSDB client would send.
# For the "bad" set: drop one point of the first series, send one point of the second
# series twice, and send a point of the third series twice with different values.
/usr/bin/python3 - <<'PY'
import gzip, json, os, sys
sys.path.insert(0, os.path.join(os.environ["TSBATCH_SOURCE_DIR"], "tests/integration"))
import points

def body(series_points):
    return [{"metric": m, "timestamp": int(t), "value": (int(v) if v == int(v) else v), "tags": dict(tags)}
            for m, tags, t, v in series_points]

def write_batches(name, pts, size=5000):
    for i in range(0, len(pts), size):
        with gzip.open(f"{name}-{i // size:04d}.json.gz", "wt") as f:
            json.dump(body(pts[i:i + size]), f)

def flatten(data):
    out = []
    for s in data.values():
        tags = points.split_tags(s.tags)
        out.extend((s.metric, tags, t, v) for t, v in zip(s.time.tolist(), s.value.tolist()))
    return out

write_batches("good", flatten(points.read_import(["good.tsdb"])))
bad = list(points.read_import(["bad.tsdb.gz"]).values())
pts = flatten({s.metric + s.tags: s for s in bad})
first, second, third = bad[0], bad[1], bad[2]
lost = (first.metric, points.split_tags(first.tags), int(first.time[5]), float(first.value[5]))
pts.remove(lost)
pts.append((second.metric, points.split_tags(second.tags), int(second.time[7]), float(second.value[7])))
pts.append((third.metric, points.split_tags(third.tags), int(third.time[2]), float(third.value[2]) + 1))
write_batches("bad", pts)
with open("bad-expect.txt", "w") as f:
    f.write(f"{points.series_id(first.metric, first.tags)}: 1 lost\n")
    f.write(f"{points.series_id(second.metric, second.tags)}: 1 duplicated\n")
    f.write(f"{points.series_id(third.metric, third.tags)}: 1 duplicated\n")
    f.write(f"{points.series_id(third.metric, third.tags)}: 1 changed\n")
PY

for f in good-*.json.gz bad-*.json.gz; do
  code=$(curl -sS -o resp.txt -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H 'Content-Encoding: gzip' -H 'Expect:' --data-binary @"$f" "$VM_PUT_URL/api/put?details")
  [ "$code" = 204 ] || fail "posting $f: HTTP $code $(cat resp.txt)"
done

expect_exit 0 /usr/bin/python3 "$IT/vm_readback.py" --vm "$VM_HTTP" --prefix good. --import good.tsdb
expect_output "readback: OK: 20000 expected points, 20000 found; 0 lost, 0 duplicated, 0 changed"
echo "$OUT"

# The readback must notice each defect of the "bad" set, name the series, and fail.
expect_exit 1 /usr/bin/python3 "$IT/vm_readback.py" --vm "$VM_HTTP" --prefix bad. --import bad.tsdb.gz --retries 0
echo "$OUT"
expect_output "1 lost, 2 duplicated, 1 changed, 0 unexpected"
while IFS=: read -r sid what; do
  grep -F "series $sid: " <<<"$OUT" | grep -qF "${what# }" || fail "readback does not report '$what' for $sid"
done < bad-expect.txt
expect_output "readback: FAILED"

# With a relay log, extra copies from requests the server received but never answered are
# explained, not errors (push_resume_after_kill.sh). A log that lists the request holding the
# duplicated point of the second "bad" series explains that copy and nothing else.
/usr/bin/python3 - <<'PY'
import base64, gzip, json
import os, sys
second = open("bad-expect.txt").read().splitlines()[1].split(": ")[0]
sys.path.insert(0, os.path.join(os.environ["TSBATCH_SOURCE_DIR"], "tests/integration"))
import points
s = points.read_import(["bad.tsdb.gz"])[second]
body = [{"metric": s.metric, "timestamp": int(s.time[7]), "value": float(s.value[7]),
         "tags": dict(points.split_tags(s.tags))}]
entry = {"conn": 1, "request": "POST /api/put?details HTTP/1.1", "forwarded": True, "answered": False,
         "body": base64.b64encode(gzip.compress(json.dumps(body).encode())).decode()}
open("explain.jsonl", "w").write(json.dumps(entry) + "\n")
PY
expect_exit 1 /usr/bin/python3 "$IT/vm_readback.py" --vm "$VM_HTTP" --prefix bad. --import bad.tsdb.gz --retries 0 \
  --relay-log explain.jsonl
expect_output "1 lost, 1 duplicated, 1 changed, 0 unexpected"
expect_output "1 extra copies explained"

# The relay passes requests and answers through and logs them; --acknowledged-only expects
# exactly the points of the answered requests, explains those of a request the server took
# without answering (simulated: posted around the relay, logged as unanswered), and fails on
# points that came neither way.
/usr/bin/python3 "$IT/http_relay.py" --upstream "${VM_PUT_URL#http://}" --port-file relay.port --log relay.jsonl \
  --max-seconds 120 </dev/null >relay.out 2>&1 &
RELAY_PID=$!
kill_at_exit "$RELAY_PID"
for i in $(seq 1 100); do [ -s relay.port ] && break; sleep 0.05; done
[ -s relay.port ] || fail "the relay did not start: $(cat relay.out)"
RELAY="http://127.0.0.1:$(cat relay.port)"
/usr/bin/python3 "$IT/make_points.py" -o ack.tsdb --series 3 --points 20 --prefix ack --seed 5
/usr/bin/python3 - <<'PY'
import gzip, json, os, sys
sys.path.insert(0, os.path.join(os.environ["TSBATCH_SOURCE_DIR"], "tests/integration"))
import points
pts = []
for s in points.read_import(["ack.tsdb"]).values():
    tags = dict(points.split_tags(s.tags))
    pts += [{"metric": s.metric, "timestamp": t, "value": v, "tags": tags} for t, v in zip(s.time.tolist(), s.value.tolist())]
for name, part in (("a", pts[:25]), ("b", pts[25:40]), ("c", pts[40:41])):
    open(f"ack-{name}.json.gz", "wb").write(gzip.compress(json.dumps(part).encode()))
PY
post() {  # post FILE URL: a gzip JSON body to URL/api/put?details, must answer 204
  local code
  code=$(curl -sS -o resp.txt -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H 'Content-Encoding: gzip' -H 'Expect:' --data-binary @"$1" "$2/api/put?details")
  [ "$code" = 204 ] || fail "posting $1 to $2: HTTP $code $(cat resp.txt)"
}
post ack-a.json.gz "$RELAY"
post ack-b.json.gz "$VM_PUT_URL"
/usr/bin/python3 - <<'PY'
import base64, json
entry = {"conn": 9, "request": "POST /api/put?details HTTP/1.1", "forwarded": True, "answered": False,
         "body": base64.b64encode(open("ack-b.json.gz", "rb").read()).decode()}
open("relay.jsonl", "a").write(json.dumps(entry) + "\n")
PY
expect_exit 0 /usr/bin/python3 "$IT/vm_readback.py" --vm "$VM_HTTP" --prefix ack. --import ack.tsdb \
  --relay-log relay.jsonl --acknowledged-only
echo "$OUT"
expect_output "the relay saw 1 requests answered with 2xx and 1 received by the server but not answered"
expect_output "25 expected points, 40 found; 0 lost, 0 duplicated, 0 changed, 0 unexpected"
expect_output "15 extra copies explained"
post ack-c.json.gz "$VM_PUT_URL"
expect_exit 1 /usr/bin/python3 "$IT/vm_readback.py" --vm "$VM_HTTP" --prefix ack. --import ack.tsdb \
  --relay-log relay.jsonl --acknowledged-only --retries 0
expect_output "0 lost, 0 duplicated, 0 changed, 1 unexpected"
kill "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null || true

# Points acknowledged before a SIGINT shutdown are there after a restart on the same data.
vm_stop
vm_restart
expect_exit 0 /usr/bin/python3 "$IT/vm_readback.py" --vm "$VM_HTTP" --prefix good. --import good.tsdb
expect_output "0 lost, 0 duplicated, 0 changed"

# A prefix with no data on the server: every series is reported missing.
expect_exit 1 /usr/bin/python3 "$IT/vm_readback.py" --vm "$VM_HTTP" --prefix none. \
  --import <(sed 's/^good\./none./' good.tsdb) --retries 0
expect_output "200 series missing"
vm_stop
echo "vm_harness: OK"
