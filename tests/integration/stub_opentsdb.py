#!/usr/bin/python3
"""A scripted stand-in for an OpenTSDB server's /api/put, for tests of how `tsbatch push`
handles refusals (VictoriaMetrics never refuses anything; reference/opentsdb.md §4).

    stub_opentsdb.py --mode 400details|500|400plain|ok --port-file FILE [--log FILE]
                     [--max-seconds 300]

Listens on a free loopback port chosen by the kernel and writes the port number to
--port-file once it accepts connections (write to a temporary name, then rename, so a reader
never sees a partial number). Answers every POST to /api/put (gzip or plain JSON body) by mode:

* 400details: 400 with OpenTSDB's ?details body: the first point of the request refused as
  "Unknown metric", the others counted as stored:
  {"success":N-1,"failed":1,"errors":[{"datapoint":{...},"error":"Unknown metric"}]}
* 500: 500 with an OpenTSDB error object, always.
* 400plain: 400 with a text/plain body and no per-point details ("Chunked request not
  supported.", what a stock OpenTSDB says to a body over 8 KiB).
* ok: 204, no body.

Other paths get 404. Each request is logged to --log as one JSON line (path, mode, status,
number of points, a hash of the decoded body), so a test can count attempts per request.
The server exits by itself after --max-seconds, so a forgotten one does not linger.
"""

import argparse
import gzip
import hashlib
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ERROR_TEXT = "Unknown metric"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as OpenTSDB

    def log_message(self, fmt, *args):  # quiet; requests go to --log
        pass

    def _send(self, status, body=b"", ctype="application/json"):
        self.send_response(status)
        if body:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _log(self, entry):
        if self.server.log_path:
            with self.server.log_lock, open(self.server.log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def do_GET(self):
        self._send(404, b'{"error":{"code":404,"message":"Endpoint not found"}}')

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        mode = self.server.mode
        entry = {"path": self.path, "mode": mode, "bytes": len(raw),
                 "gzip": self.headers.get("Content-Encoding", "") == "gzip",
                 "expect": self.headers.get("Expect")}
        if path not in ("/api/put", "/opentsdb/api/put"):
            entry["status"] = 404
            self._log(entry)
            self._send(404, b'{"error":{"code":404,"message":"Endpoint not found"}}')
            return
        try:
            body = gzip.decompress(raw) if entry["gzip"] else raw
            pts = json.loads(body)
            if isinstance(pts, dict):
                pts = [pts]
        except (OSError, ValueError) as e:
            entry.update(status=400, error=str(e))
            self._log(entry)
            self._send(400, b'{"error":{"code":400,"message":"Unable to parse the given JSON"}}')
            return
        entry["points"] = len(pts)
        entry["sha1"] = hashlib.sha1(body).hexdigest()
        if mode == "ok":
            status, reply, ctype = 204, b"", "application/json"
        elif mode == "500":
            status, ctype = 500, "application/json"
            reply = json.dumps({"error": {"code": 500, "message": "Storage exception: stub server error",
                                          "trace": ""}}).encode()
        elif mode == "400plain":
            status, reply, ctype = 400, b"Chunked request not supported.", "text/plain"
        else:  # 400details
            first = dict(pts[0]) if pts else {}
            if "value" in first:
                first["value"] = str(first["value"])  # OpenTSDB echoes the value as a string
            status, ctype = 400, "application/json"
            reply = json.dumps({"success": max(len(pts) - 1, 0), "failed": 1,
                                "errors": [{"datapoint": first, "error": ERROR_TEXT}]}).encode()
        entry["status"] = status
        self._log(entry)
        self._send(status, reply, ctype)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", required=True, choices=["400details", "500", "400plain", "ok"])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--max-seconds", type=float, default=300)
    args = ap.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.mode = args.mode
    server.log_path = args.log
    server.log_lock = threading.Lock()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{server.server_address[1]}\n")
    os.replace(tmp, args.port_file)
    timer = threading.Timer(args.max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    server.server_close()


if __name__ == "__main__":
    main()
