#!/usr/bin/python3
"""A logging HTTP/1.1 relay between an OpenTSDB client (tsbatch push) and the server, so a
test can tell from the wire which requests the server answered.

    http_relay.py --upstream 127.0.0.1:PORT --port-file FILE --log FILE.jsonl [--max-seconds 600]

Listens on a free loopback port (written to --port-file once it accepts connections). Each
client connection gets its own keep-alive connection to --upstream; every request is passed
on unchanged and the answer passed back unchanged. Each exchange is logged as a JSON line:

    {"conn": 3, "forwarded": true, "answered": true, "status": 204, "body": "<base64>", ...}

`forwarded` means the whole request reached the server's socket; `answered` that a complete
answer came back and was passed on. A request forwarded but not answered may have been
stored by the server anyway (VictoriaMetrics does this when a request races its graceful
shutdown on a keep-alive connection), so the client cannot know; such requests are the only
ones a correct client may send twice. When the server fails mid-exchange the relay closes the
client's connection, and when it cannot reach the server it closes new connections at once,
so the client sees a dead server either way.
"""

import argparse
import base64
import json
import os
import socket
import threading

MAX_HEAD = 64 * 1024


def read_head(f):
    """Header bytes up to the blank line, or None at a clean EOF before any byte."""
    head = b""
    while True:
        line = f.readline(MAX_HEAD)
        if not line:
            if head:
                raise ConnectionError("connection closed inside a header")
            return None
        head += line
        if line in (b"\r\n", b"\n"):
            return head
        if len(head) > MAX_HEAD:
            raise ConnectionError("header too long")


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name:
            return v.strip().decode("latin-1")
    return None


def read_exact(f, n):
    data = f.read(n)
    if len(data) != n:
        raise ConnectionError(f"connection closed after {len(data)} of {n} body bytes")
    return data


def read_chunked(f):
    out = b""
    while True:
        line = f.readline(1024)
        if not line:
            raise ConnectionError("connection closed inside a chunked body")
        out += line
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while True:  # trailers up to the blank line
                t = f.readline(MAX_HEAD)
                if not t:
                    raise ConnectionError("connection closed inside trailers")
                out += t
                if t in (b"\r\n", b"\n"):
                    return out
        out += read_exact(f, size + 2)


class Relay:
    def __init__(self, upstream, log_path):
        host, _, port = upstream.rpartition(":")
        self.upstream = (host, int(port))
        self.log_path = log_path
        self.lock = threading.Lock()
        self.next_conn = 0

    def log(self, entry):
        with self.lock, open(self.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def serve_client(self, client):
        with self.lock:
            self.next_conn += 1
            conn_id = self.next_conn
        try:
            up = socket.create_connection(self.upstream, timeout=30)
        except OSError as e:
            self.log({"conn": conn_id, "event": "upstream refused", "error": str(e)})
            client.close()
            return
        cf, uf = client.makefile("rb"), up.makefile("rb")
        try:
            while True:
                head = read_head(cf)
                if head is None:
                    return
                length = header(head, b"content-length")
                if header(head, b"transfer-encoding"):
                    body = read_chunked(cf)
                else:
                    body = read_exact(cf, int(length)) if length else b""
                entry = {"conn": conn_id, "request": head.split(b"\r\n", 1)[0].decode("latin-1"),
                         "body": base64.b64encode(body).decode(), "forwarded": False, "answered": False}
                try:
                    up.sendall(head + body)
                    entry["forwarded"] = True
                    rhead = read_head(uf)
                    if rhead is None:
                        raise ConnectionError("server closed the connection without an answer")
                    status = int(rhead.split(b" ", 2)[1])
                    rlen = header(rhead, b"content-length")
                    if status in (204, 304) or 100 <= status < 200 or head.startswith(b"HEAD "):
                        rbody = b""
                    elif header(rhead, b"transfer-encoding"):
                        rbody = read_chunked(uf)
                    elif rlen is not None:
                        rbody = read_exact(uf, int(rlen))
                    else:
                        rbody = uf.read()  # until the server closes
                except (OSError, ConnectionError, ValueError) as e:
                    entry["error"] = str(e)
                    self.log(entry)
                    return
                try:
                    client.sendall(rhead + rbody)
                except OSError as e:
                    entry["error"] = f"client went away: {e}"
                    entry["status"] = status
                    self.log(entry)
                    return
                entry.update(answered=True, status=status)
                self.log(entry)
        except (OSError, ConnectionError, ValueError) as e:
            self.log({"conn": conn_id, "event": "client error", "error": str(e)})
        finally:
            for s in (client, up):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", required=True, help="HOST:PORT of the server")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--max-seconds", type=float, default=600)
    args = ap.parse_args()

    relay = Relay(args.upstream, args.log)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(128)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{srv.getsockname()[1]}\n")
    os.replace(tmp, args.port_file)
    # Exits by itself after --max-seconds, so a forgotten relay does not linger.
    threading.Timer(args.max_seconds, lambda: os._exit(0)).start()
    while True:
        client, _ = srv.accept()
        threading.Thread(target=relay.serve_client, args=(client,), daemon=True).start()


if __name__ == "__main__":
    main()
