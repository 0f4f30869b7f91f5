#!/usr/bin/python3
"""Reads every series back from VictoriaMetrics and compares it with what was sent.

    vm_readback.py --vm $VM_HTTP --prefix it. (--h5 FILE.h5[:GROUP] | --import FILE...)
                   [--metric-template '{metric}'] [--retries 3] [--examples 3]
                   [--relay-log FILE.jsonl [--acknowledged-only]]

Expected points come from a staged HDF5 file (read with h5py) or from `tsdb import` text;
NaN points are not expected (OpenTSDB refuses them, so tsbatch skips them). The server's
points come from /api/v1/export after /internal/force_flush, matching every metric that
starts with --prefix. Prints, per series, the lost, duplicated, changed and unexpected points
(counts and the first few examples), then a summary; exits 1 unless all of them are zero.

With --relay-log (the log of tests/integration/http_relay.py between the client and the
server), extra copies of points that were in requests the server received but never answered
are not counted as errors but reported as explained: the server may have stored such a
request, and no client can know, so a resumed push has to send it again. Every other extra
copy is an error. --acknowledged-only expects only the points of requests the server answered
with 2xx (the state after an interrupted push), so it proves that none of them was lost.

A read that finds points lost is repeated (flush, 1 s pause) up to --retries times before it
is reported, so a slow flush is not mistaken for a loss; duplicates are never retried away.
"""

import argparse
import json
import os
import sys
import time
import urllib.parse
import urllib.request

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import points  # noqa: E402


def prefix_regex(prefix):
    """A PromQL regex for names starting with `prefix`, special characters in [] classes."""
    return "".join(c if c.isalnum() or c in "_" else f"[{c}]" for c in prefix) + ".*"


def http(url, data=None, timeout=120):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(url, data=body, timeout=timeout) as r:
        return r.read()


def read_vm(base, prefix):
    """All series of the server whose metric starts with prefix; duplicates kept."""
    http(base + "/internal/force_flush")
    raw = http(base + "/api/v1/export", {"match[]": '{__name__=~"%s"}' % prefix_regex(prefix)})
    acc = {}
    for line in raw.splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        labels = dict(obj["metric"])
        metric = labels.pop("__name__")
        tags = points.canonical_tags(labels.items())
        sid = points.series_id(metric, tags)
        entry = acc.setdefault(sid, (metric, tags, [], []))
        # One series may come in several lines (reference/opentsdb.md §2).
        entry[2].extend(obj["timestamps"])
        entry[3].extend(float(v) for v in obj["values"])
    return {sid: points.Series(m, t, np.asarray(ts, dtype=np.int64), np.asarray(vs, dtype=np.float64))
            for sid, (m, t, ts, vs) in acc.items()}


def server_counters(base):
    try:
        text = http(base + "/metrics", timeout=10).decode()
    except OSError as e:
        return f"(no /metrics: {e})"
    keep = ("vm_rows_added_to_storage_total", 'vm_rows_invalid_total{type="opentsdbhttp"}',
            "vm_rows_ignored_total")
    return "\n".join(line for line in text.splitlines() if line.startswith(keep))


def relay_points(log_path):
    """({id: times} of requests answered 2xx, {id: (times, counts)} of requests forwarded to
    the server and not answered), from the relay's log."""
    import base64
    import gzip
    from collections import Counter, defaultdict

    answered, unanswered = defaultdict(list), defaultdict(Counter)
    n_ans = n_unans = 0
    with open(log_path) as f:
        for line in f:
            e = json.loads(line)
            if "body" not in e or not e.get("forwarded") or "/api/put" not in e.get("request", ""):
                continue
            ok = e.get("answered") and 200 <= e.get("status", 0) < 300
            if e.get("answered") and not ok:
                continue  # refused: nothing stored
            raw = base64.b64decode(e["body"])
            body = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
            for p in body if isinstance(body, list) else [body]:
                sid = points.series_id(p["metric"], points.canonical_tags(p["tags"].items()))
                if ok:
                    answered[sid].append(int(p["timestamp"]))
                else:
                    unanswered[sid][int(p["timestamp"])] += 1
            if ok:
                n_ans += 1
            else:
                n_unans += 1
    acked = {sid: np.unique(np.asarray(ts, dtype=np.int64)) for sid, ts in answered.items()}
    allowance = {}
    for sid, c in unanswered.items():
        ts = np.asarray(sorted(c), dtype=np.int64)
        allowance[sid] = (ts, np.asarray([c[t] for t in ts.tolist()], dtype=np.int64))
    return acked, allowance, n_ans, n_unans


def rename(data, template):
    if template == "{metric}":
        return data
    out = {}
    for s in data.values():
        metric = template.replace("{metric}", s.metric)
        out[points.series_id(metric, s.tags)] = points.Series(metric, s.tags, s.time, s.value)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vm", required=True, help="VictoriaMetrics API base URL ($VM_HTTP)")
    ap.add_argument("--prefix", required=True, help="metric prefix to read back, e.g. it.")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--h5", help="staged file FILE.h5[:GROUP]")
    src.add_argument("--import", dest="imports", nargs="+", help="tsdb import files (.gz or not)")
    ap.add_argument("--metric-template", default="{metric}", help="as given to tsbatch push --metric")
    # VictoriaMetrics can take several seconds to show series created after a restart in
    # /api/v1/export even after force_flush (its series-lookup caches expire on their own), so
    # a readback that misses points is repeated for up to 30 s before it counts them as lost.
    ap.add_argument("--retries", type=int, default=30)
    ap.add_argument("--examples", type=int, default=3)
    ap.add_argument("--relay-log", help="log of http_relay.py between the client and the server")
    ap.add_argument("--acknowledged-only", action="store_true",
                    help="expect only the points of requests the server answered (needs --relay-log)")
    args = ap.parse_args()
    if args.acknowledged_only and not args.relay_log:
        ap.error("--acknowledged-only needs --relay-log")

    if args.h5:
        expected = points.read_staged(*points.split_path(args.h5))
    else:
        expected = points.read_import(args.imports)
    expected = rename(expected, args.metric_template)
    for sid in expected:
        if not sid.startswith(args.prefix):
            ap.error(f"expected series {sid} does not start with --prefix {args.prefix}")

    subset = allowance = None
    if args.relay_log:
        acked, allowance, n_ans, n_unans = relay_points(args.relay_log)
        print(f"readback: the relay saw {n_ans} requests answered with 2xx and {n_unans} received by the "
              f"server but not answered")
        if args.acknowledged_only:
            subset = acked

    for attempt in range(args.retries + 1):
        actual = read_vm(args.vm, args.prefix)
        rep = points.compare(expected, actual, nan_dropped=True, examples=args.examples, subset=subset,
                             allowance=allowance)
        if rep.totals["lost"] == 0 or attempt == args.retries:
            break
        print(f"readback: {rep.totals['lost']} points not visible yet, reading again", file=sys.stderr)
        time.sleep(1)
    print(f"readback: {len(expected)} series expected, {len(actual)} on the server; "
          f"{rep.skipped_nan} NaN points not expected")
    if rep.ok():
        print("readback: OK: " + rep.summary())
        return 0
    print(rep.text())
    print("server counters:\n" + server_counters(args.vm))
    print("readback: FAILED")
    return 1


if __name__ == "__main__":
    sys.exit(main())
