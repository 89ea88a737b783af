#!/usr/bin/python3
"""An untrusted file host for the file agent's tests (test_worker_fetch.c).

Listens on 127.0.0.1, on a free port that it prints on the first line of its
standard output, and keeps the files PUT to it in memory. Every path is
/MODE/NAME, where NAME names the file and MODE says how to misbehave:

  ok            serve (GET) or store (PUT) NAME; a missing file is a 404
  fail500-N     answer 500 to the first N requests of this path, then as ok
  status-CODE   always answer CODE (404, 403, 500...)
  truncate      announce the whole file, send half of it, close
  slow-MS       wait MS milliseconds, then as ok
  oversize-N    announce N bytes (Content-Length) and send zeros
  stream-N      send N zeros without a length, then close
  redirect      302 to file:///etc/passwd

GET /_count/MODE/NAME answers how many requests /MODE/NAME has had (so a
test can count retries). With --tls CERT KEY it speaks HTTPS with that
certificate. It serves until killed.
"""
import argparse
import http.server
import socketserver
import ssl
import sys
import threading
import time

files = {}
counts = {}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def split(self):
        parts = self.path.split("/", 2)
        if len(parts) != 3 or not parts[1] or not parts[2]:
            return None, None
        return parts[1], parts[2]

    def reply(self, code, body=b"", length=None):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def count(self):
        with lock:
            counts[self.path] = counts.get(self.path, 0) + 1
            return counts[self.path]

    def misbehave(self, mode, n):
        """Answer for a faulty mode and return True, or False to go on as ok."""
        if mode.startswith("fail500-") and n <= int(mode[8:]):
            self.reply(500, b"try again\n")
            return True
        if mode.startswith("status-"):
            self.reply(int(mode[7:]), b"no\n")
            return True
        if mode.startswith("slow-"):
            time.sleep(int(mode[5:]) / 1000.0)
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        return False

    def send_zeros(self, n, length):
        self.send_response(200)
        if length:
            self.send_header("Content-Length", str(n))
        self.end_headers()
        block = b"\0" * 65536
        while n > 0:
            self.wfile.write(block[: min(n, len(block))])
            n -= len(block)

    def do_GET(self):
        if self.path.startswith("/_count/"):
            self.reply(200, str(counts.get(self.path[7:], 0)).encode())
            return
        mode, name = self.split()
        if mode is None:
            self.reply(400)
            return
        n = self.count()
        try:
            if self.misbehave(mode, n):
                return
            if mode.startswith("oversize-"):
                self.send_zeros(int(mode[9:]), True)
                return
            if mode.startswith("stream-"):
                self.send_zeros(int(mode[7:]), False)
                return
            with lock:
                body = files.get(name)
            if body is None:
                self.reply(404, b"no such file\n")
            elif mode == "truncate":
                self.reply(200, body[: len(body) // 2], length=len(body))
            else:
                self.reply(200, body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_PUT(self):
        mode, name = self.split()
        length = int(self.headers.get("Content-Length", "-1"))
        if mode is None or length < 0:
            self.reply(400)
            return
        body = self.rfile.read(length)
        n = self.count()
        try:
            if self.misbehave(mode, n):
                return
            with lock:
                files[name] = body
            self.reply(201)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
