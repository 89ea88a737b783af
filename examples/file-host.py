#!/usr/bin/python3
"""An untrusted file host for the examples: GET and PUT of files in a directory.

    file-host.py DIR        serve DIR on 127.0.0.1, on a free port printed on
                            the first line of standard output

PUT /NAME stores the body as DIR/NAME (written to a temporary name, then
renamed); GET /NAME returns it. NAME is one path segment of letters,
digits, '.', '-' and '_'. It stores whatever it is given: in Custos only
ciphertext ever reaches it, which the examples check by scanning DIR.
"""
import http.server
import os
import re
import sys

NAME = re.compile(r"^/([A-Za-z0-9._-]{1,128})$")
MAX = 1 << 30


class Handler(http.server.BaseHTTPRequestHandler):
    def _path(self):
        m = NAME.match(self.path)
        if not m or m.group(1).startswith("."):
            self.send_error(400, "bad name")
            return None
        return os.path.join(self.server.root, m.group(1))

    def do_GET(self):
        p = self._path()
        if p is None:
            return
        try:
            with open(p, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        p = self._path()
        if p is None:
            return
        n = int(self.headers.get("Content-Length", "-1"))
        if n < 0 or n > MAX:
            self.send_error(411 if n < 0 else 413)
            return
        data = self.rfile.read(n)
        tmp = p + ".part"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, p)
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: file-host.py DIR")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.root = sys.argv[1]
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
