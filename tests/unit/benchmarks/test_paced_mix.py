"""paced.py's bodies sent in turn (consultarFactura of many invoices), their labels, and the file bytes a process read."""
from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.benchmarks.paced import cycle_body, paced_load
from tests.benchmarks.reads import _file_bytes_read, paced_label


def test_bodies_follow_the_schedule_order_and_wrap_around():
    cycle = (b"a", b"b", b"c")
    assert [cycle_body(cycle, n) for n in range(7)] == [b"a", b"b", b"c", b"a", b"b", b"c", b"a"]


def test_one_invoice_keeps_the_goal_rows_name_and_more_name_their_count():
    assert paced_label("edge consultarFactura", 1) == "edge consultarFactura"
    assert paced_label("edge consultarFactura", 200) == "edge consultarFactura, 200 invoices in turn"


@pytest.fixture
def recorded():
    """A local HTTP/1.1 server (keep-alive) recording (X-Bench-Seq, body) of each POST; its URL and the records."""
    seen: list[tuple[int, bytes]] = []

    class Recorder(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((int(self.headers.get("X-Bench-Seq", -1)), body))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/soap", seen
    server.shutdown()
    server.server_close()


def test_each_request_carries_the_body_of_its_sequence_number(recorded):
    url, seen = recorded
    bodies = [b"<one/>", b"<two/>", b"<three/>"]
    run = paced_load(url, ("text/xml", b"<unused/>"), rate=200, seconds=0.1, connections=4, trace=[], bodies=bodies)
    assert run["requests"] == 20 and run["errors"] == 0
    assert sorted(seen) == [(n, bodies[n % 3]) for n in range(20)]


def test_without_bodies_every_request_carries_the_requests_own(recorded):
    url, seen = recorded
    paced_load(url, ("text/xml", b"<only/>"), rate=200, seconds=0.05, connections=2)
    assert [body for _, body in seen] == [b"<only/>"] * 10


def test_file_bytes_read_count_a_read_of_this_process(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(os.urandom(50_000))
    before = _file_bytes_read(os.getpid())
    assert len(path.read_bytes()) == 50_000
    assert _file_bytes_read(os.getpid()) - before >= 50_000
