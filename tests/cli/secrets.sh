# Secrets never reach a log or a file the program writes (README: credentials come from the
# environment). A secret is planted in every place a user could put one: in URLs (user
# information, refused; query parameters named like tokens, redacted), in the environment
# (TSBATCH_OPENTSDB_PASSWORD, TSBATCH_OPENTSDB_TOKEN), in the run config and on the command
# line. Then every byte the program wrote is searched: stdout, stderr, result files, the HTML
# report, the push journal, checkpoint files and `validate --print`. None holds a secret.
set -euo pipefail
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
IT="$TSBATCH_SOURCE_DIR/tests/integration"
mkdir -p in out logs
STUB_PID=""
trap '[ -z "$STUB_PID" ] || kill "$STUB_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

S_URL=url-pass-7f3a91     # user information in a URL
S_QUERY=query-token-5c2e8 # a URL query parameter
S_CFG=config-key-0e61f5   # a URL query parameter in the run config
S_SET=set-pass-4b9d20     # a URL on the command line (--set)
S_PW=env-password-91ab4   # the environment
S_TOKEN=env-token-2d77c1
SECRETS=("$S_URL" "$S_QUERY" "$S_CFG" "$S_SET" "$S_PW" "$S_TOKEN")

/usr/bin/python3 "$IT/stub_opentsdb.py" --mode ok --port-file in/stub.port --log in/stub.jsonl --max-seconds 300 \
  </dev/null >in/stub.out 2>&1 &
STUB_PID=$!
for _ in $(seq 1 100); do [ -s in/stub.port ] && break; sleep 0.05; done
[ -s in/stub.port ] || fail "the stub server did not start: $(cat in/stub.out)"
STUB="http://127.0.0.1:$(cat in/stub.port)"
DEAD="http://127.0.0.1:1"   # nothing listens there: a push that fails and says where

make_data in/data.h5 40 400
cat > in/run.yaml <<YAML
input: {path: in/data.h5}
steps:
  - {name: hourly, op: resample, params: {period: 1h}}
output:
  path: out/result.h5
  opentsdb: {url: $STUB, import_dir: out/import}
run: {chunk_series: 5, checkpoint: out/ckpt}
YAML
export TSBATCH_OPENTSDB_USER=alice TSBATCH_OPENTSDB_PASSWORD=$S_PW

# logged CODE NAME CMD...: runs CMD with stdout and stderr kept in logs/NAME.{out,err}.
logged() {
  local want=$1 name=$2 rc=0
  shift 2
  "$@" >"logs/$name.out" 2>"logs/$name.err" || rc=$?
  [ "$rc" -eq "$want" ] || fail "$name: exit $rc, expected $want: $(cat "logs/$name.err")"
}

# 1. User information in a URL is refused, naming the variables to use instead.
logged 2 push_userinfo "$TSBATCH" push in/data.h5 --url "http://alice:$S_URL@127.0.0.1:$(cat in/stub.port)"
grep -q "TSBATCH_OPENTSDB_PASSWORD" logs/push_userinfo.err || fail "push: the refusal names no variable"
sed "s|url: $STUB|url: 'http://alice:$S_URL@127.0.0.1:1'|" in/run.yaml > in/userinfo.yaml
logged 2 run_userinfo "$TSBATCH" run in/userinfo.yaml
grep -q "output.opentsdb.url" logs/run_userinfo.err || fail "run: the refusal names no key"
grep -q "TSBATCH_OPENTSDB_TOKEN" logs/run_userinfo.err || fail "run: the refusal names no variable"
logged 2 validate_userinfo "$TSBATCH" validate in/userinfo.yaml
logged 2 run_set_userinfo "$TSBATCH" run in/run.yaml --set "output.opentsdb.url=http://bob:$S_SET@127.0.0.1:1"

# 2. Query parameters named like secrets: accepted, and redacted wherever the URL shows.
logged 5 push_query "$TSBATCH" push in/data.h5 --url "$DEAD/?token=$S_QUERY" --retries 0 --journal out/journal_query
grep -q "token=\*\*\*" logs/push_query.err || fail "push: the failed URL is not shown redacted: $(cat logs/push_query.err)"
logged 0 validate_print "$TSBATCH" validate in/run.yaml --print --set "output.opentsdb.url=$DEAD/?api_key=$S_SET"
grep -q "api_key=\*\*\*" logs/validate_print.out || fail "validate --print: no redacted URL: $(cat logs/validate_print.out)"
# A run whose push fails (exit 5) keeps its result, with the config and the command line.
sed "s|url: $STUB|url: '$DEAD/?secret=$S_CFG'|" in/run.yaml > in/query.yaml
logged 5 run_query "$TSBATCH" run in/query.yaml --set output.path=out/query.h5 --set output.opentsdb.retries=0
logged 5 run_query_set "$TSBATCH" run in/run.yaml --set output.path=out/query_set.h5 --set output.opentsdb.retries=0 \
  --set "output.opentsdb.url=$DEAD/?password=$S_SET"
[ -f out/query.h5 ] && [ -f out/query_set.h5 ] || fail "a run with a failing push left no result"
grep -q "password=\*\*\*" logs/run_query_set.err || fail "run: the failed URL is not shown redacted"

# 3. Credentials from the environment, a checkpoint left by a stopped run, then a complete
# run that pushes to the stub server (which needs the credentials in the header).
TSBATCH_TEST_CHUNK_DELAY_MS=200 "$TSBATCH" run in/run.yaml >logs/stopped.out 2>logs/stopped.err &
pid=$!
for _ in $(seq 1 200); do [ -n "$(find out/ckpt -name 'chunk-*.bin' 2>/dev/null)" ] && break; sleep 0.05; done
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 75 ] || fail "the stopped run: exit $rc, expected 75: $(cat logs/stopped.err)"
[ -n "$(find out/ckpt -name 'chunk-*.bin')" ] || fail "the stopped run recorded no chunk"
cp -R out/ckpt out/ckpt_kept    # the rerun removes the checkpoint once the result is written
logged 0 run_push "$TSBATCH" run in/run.yaml
[ -f out/result.h5 ] && [ -f out/result.report.html ] || fail "the run wrote no result or report"
[ -n "$(find out -path '*journal*' -type f)" ] || fail "no push journal to search"
[ -n "$(ls out/import)" ] || fail "the run wrote no import files"
grep -q '"status": 204' in/stub.jsonl || fail "the stub server took no points"
unset TSBATCH_OPENTSDB_USER TSBATCH_OPENTSDB_PASSWORD
logged 0 push_token env TSBATCH_OPENTSDB_TOKEN="$S_TOKEN" "$TSBATCH" push out/result.h5:/hourly --url "$STUB" \
  --journal out/journal_token
logged 0 inspect "$TSBATCH" inspect --config out/query.h5
logged 0 inspect_set "$TSBATCH" inspect --config out/query_set.h5

# 4. Every byte written: logs and everything under out/ (HDF5 files included, as bytes).
files=$(find logs out -type f | wc -l)
[ "$files" -ge 20 ] || fail "only $files files to search"
for s in "${SECRETS[@]}"; do
  if found=$(grep -r -a -l -F -- "$s" logs out); then
    fail "secret '$s' found in: $found"
  fi
done
echo "secrets: none of ${#SECRETS[@]} planted secrets in $files files written"
