# tsbatch push into a real OpenTSDB-protocol server (VictoriaMetrics on loopback, DESIGN §8,
# §10): 1000 series and 1,001,000 points (1000 of them NaN, which OpenTSDB refuses, so push
# leaves them out) pushed from 2 ranks are all read back, none lost, none duplicated, none
# changed; a rerun of the same command sends nothing (the journal) and the server still holds
# each point once. The points read back are compared with the import text make_points.py
# wrote (an independent reference), not with the file tsbatch staged from it.
set -euo pipefail
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
source "$TSBATCH_SOURCE_DIR/tests/integration/victoria_metrics.sh"
IT="$TSBATCH_SOURCE_DIR/tests/integration"
ROWS='vm_protoparser_rows_read_total{type="opentsdbhttp"}'
REQUESTS='vm_ingestserver_requests_total{type="opentsdbhttp", name="write", net="tcp"}'

vm_start "$WORK/vm"

/usr/bin/python3 "$IT/make_points.py" -o pts.tsdb.gz --series 1000 --points 1001 --seed 21 --nan 1000
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" stage-in --from opentsdb-import pts.tsdb.gz -o pts.h5
expect_output "1000 series, 1001000 points"

# Larger batches than the default (which suits a stock OpenTSDB) keep the test quick.
rows_before=$(vm_counter "$ROWS")
SECONDS=0
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" push pts.h5 --url "$VM_PUT_URL" --batch-points 5000 --max-request-bytes 4000000
echo "$OUT"
echo "first push: ${SECONDS} s"
expect_output ": 1000000 points in "
vm_alive
[ -d pts.h5.push-journal ] || fail "no journal at the default place pts.h5.push-journal"
# The server received every point exactly once: no request was sent twice, no NaN sent.
rows=$(( $(vm_counter "$ROWS") - rows_before ))
[ "$rows" -eq 1000000 ] || fail "the server received $rows points, expected 1000000"

vm_flush
/usr/bin/python3 "$IT/vm_readback.py" --vm "$VM_HTTP" --prefix it. --import pts.tsdb.gz ||
  fail "the points read back differ from pts.tsdb.gz, the independent reference (see above)"

# A rerun finds every request in the journal and sends none.
requests_before=$(vm_counter "$REQUESTS")
expect_exit 0 "$MPIEXEC" -n 2 "$TSBATCH" push pts.h5 --url "$VM_PUT_URL" --batch-points 5000 --max-request-bytes 4000000
echo "$OUT"
expect_output ": 0 points in 0 requests"
[ "$(vm_counter "$REQUESTS")" -eq "$requests_before" ] || fail "the rerun sent requests to the server"
[ "$(( $(vm_counter "$ROWS") - rows_before ))" -eq 1000000 ] || fail "the rerun sent points again"
/usr/bin/python3 "$IT/vm_readback.py" --vm "$VM_HTTP" --prefix it. --import pts.tsdb.gz ||
  fail "after the rerun the points read back differ from pts.tsdb.gz, the independent reference (see above)"
vm_stop
echo "push_roundtrip: OK"
