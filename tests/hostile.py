"""A hostile HTTP server on 127.0.0.1 for the transport's adversarial tests.

Each path is one misbehaviour seen in the field: `/trickle` sends its headers
and then one body byte every `TICK` seconds, for ever; `/trickle-headers` never
finishes its headers; `/not-json` answers 200 with an HTML body; `/odd-retry`
answers 429 with `Retry-After: ²`; `/reset` resets the connection; `/ok` is a
well-behaved JSON answer. Loopback only, a bounded number of connections, and
every handler ends when the server stops (the fixture's teardown), so no test
can leave a thread behind. Each answer closes its connection (one request
per connection), so a retry is a fresh connection as against a real server.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field

import pytest

_CONNECT = socket.socket.connect  # saved before tests/conftest.py's guard replaces it
_CREATE = socket.create_connection

TICK = 0.05  # seconds between trickled bytes
MAX_CONNECTIONS = 64


@dataclass
class Hostile:
    base: str  # http://127.0.0.1:PORT
    requests: list[str] = field(default_factory=list)  # "METHOD /path" as received


def allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let sockets connect to 127.0.0.1 and nowhere else (the suite refuses all)."""

    def connect(sock: socket.socket, address: object) -> None:
        if not (isinstance(address, tuple) and address[0] == "127.0.0.1"):
            raise RuntimeError(f"a test tried to connect to {address!r}: loopback only")
        _CONNECT(sock, address)

    def create(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        if address[0] != "127.0.0.1":
            raise RuntimeError(f"a test tried to connect to {address!r}: loopback only")
        return _CREATE(address, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", create)


@contextmanager
def hostile_server() -> Iterator[Hostile]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stopping = threading.Event()
    server = Hostile(f"http://127.0.0.1:{listener.getsockname()[1]}")
    workers: list[threading.Thread] = []

    def accept() -> None:
        while not stopping.is_set() and len(workers) < MAX_CONNECTIONS:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=serve, args=(conn,), daemon=True)
            workers.append(worker)
            worker.start()

    def serve(conn: socket.socket) -> None:
        conn.settimeout(1.0)
        try:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, path = line.split(" ")[:2]
            server.requests.append(f"{method} {path}")
            behave(conn, path)
        except OSError:
            pass
        finally:
            conn.close()

    def behave(conn: socket.socket, path: str) -> None:
        if path.startswith("/trickle-headers"):
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100000:
                if stopping.wait(TICK):
                    return
                conn.sendall(bytes([byte]))
        elif path.startswith("/trickle"):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            conn.sendall(b"Content-Length: 100000\r\n\r\n")
            while not stopping.wait(TICK):
                conn.sendall(b" ")
        elif path.startswith("/not-json"):
            body = b"<html><body>Service temporarily unavailable</body></html>"
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
        elif path.startswith("/odd-retry"):
            conn.sendall(
                "HTTP/1.1 429 Too Many Requests\r\nRetry-After: \u00b2\r\nConnection: close\r\n"
                "Content-Length: 0\r\n\r\n".encode("latin-1")
            )
        elif path.startswith("/reset"):
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            body = b'{"ok": true}'
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        stopping.set()
        listener.close()
        acceptor.join(5)
        for worker in workers:
            worker.join(5)
