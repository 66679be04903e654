"""A real HTTP server on a free port of 127.0.0.1, for any test that needs
one: the harvester's sources, the link checker's files.  Port 0, never a
fixed one: dev/run-tests.sh runs two test processes side by side."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Server:
    """Serves `routes[path]`: a (status, headers, body) tuple or a callable
    taking the request handler and returning one (HEAD: the same
    answer without its body); a body that is an iterator
    of byte chunks is streamed without a length.  Requests are logged."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self):
                self.do_GET()

            def do_GET(self):
                path, _, query = self.path.partition("?")
                server.requests.append((path, query, dict(self.headers)))
                route = server.routes.get(path)
                if route is None:
                    status, headers, body = 404, {}, b"not found"
                else:
                    status, headers, body = route(self) if callable(route) else route
                if isinstance(body, str):
                    body = body.encode("utf-8")
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if not isinstance(body, bytes):  # an iterator of chunks: streamed, no length
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self._stream(body)
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command == "GET":
                    self.wfile.write(body)

            def _stream(self, chunks):
                self.close_connection = True
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except OSError:
                    pass  # the client hung up, as it should on a hostile body

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def file_server() -> Server:
    """The link checker's files: /good.csv is there, every other file is not (404)."""
    server = Server()
    server.routes["/good.csv"] = (200, {}, b"")
    return server
