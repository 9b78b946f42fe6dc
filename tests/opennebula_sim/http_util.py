"""Shared plumbing of the OneFlow and OneGate listeners (stdlib http.server)."""

import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler_class, api, before_request, host="127.0.0.1"):
        super().__init__((host, 0), handler_class)
        self.api = api
        self.before_request = before_request   # (api name, handler) -> optional (status, body)

    @property
    def url(self):
        return "http://%s:%d" % self.server_address[:2]


class SimHandler(BaseHTTPRequestHandler):
    """Routes every method to `handle_request(method, path, query, body)` which returns
    (status, body, content_type, extra_headers). Sinatra on WEBrick answers keep-alive."""

    protocol_version = "HTTP/1.1"
    server_version = "WEBrick/1.8.1"
    sys_version = "(Ruby/3.1.2/2022-04-12)"
    api_name = None

    def log_message(self, *_args):
        pass

    def _dispatch(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parsed = urllib.parse.urlsplit(self.path)
        injected = self.server.before_request(self.api_name)
        if injected is not None:
            status, text = injected
            return self.send(status, text, "text/plain")
        status, payload, content_type, headers = self.handle_request(
            self.command, parsed.path, urllib.parse.parse_qs(parsed.query, keep_blank_values=True), body)
        self.send(status, payload, content_type, headers)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _dispatch

    def send(self, status, payload, content_type, headers=()):
        data = payload.encode() if isinstance(payload, str) else (payload or b"")
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        if status != 204:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and status != 204:
            self.wfile.write(data)

    def handle_request(self, method, path, query, body):  # pragma: no cover - overridden
        raise NotImplementedError
