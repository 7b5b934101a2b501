"""A real HTTP server on 127.0.0.1 for tests of outgoing HTTP (SMS gateway, push services).

Each request gets the next scripted answer for its path: `(status, body)` or HANG, which holds
the request unanswered until the test ends, so the client's read timeout always fires first
(no race with a sleep). Every request is recorded with its headers and body.
"""

import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HANG = "hang"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict  # names in lower case
    body: bytes


@dataclass
class StubServer:
    answers: dict = field(default_factory=lambda: defaultdict(deque))
    default: tuple = (200, b"{}")
    requests: list = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str = "/") -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def script(self, path: str, *answers) -> None:
        self.answers[path].extend(answers)

    def hits(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.split("?")[0] == path]

    def start(self) -> "StubServer":
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                path = self.path.split("?")[0]
                headers = {name.lower(): value for name, value in self.headers.items()}
                stub.requests.append(Recorded("POST", self.path, headers, body))
                queue = stub.answers[path]
                answer = queue.popleft() if queue else stub.default
                if answer == HANG:
                    stub.release.wait(timeout=60)
                    return
                status, payload = answer
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)
