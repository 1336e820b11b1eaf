"""A hostile HTTP server on 127.0.0.1 for the transport's adversarial tests.

Each path is one misbehaviour seen in the field: `/trickle` sends its headers
and then one body byte every `TICK` seconds, for ever; `/trickle-headers` never
finishes its headers; `/not-json` answers 200 with an HTML body; `/odd-retry`
answers 429 with `Retry-After: ²`; `/reset` resets the connection; `/hold`
answers like `/ok` once the test sets `release`; `/ok` is a well-behaved JSON
answer. Loopback only, a bounded number of connections, and
every handler ends when the server stops (the fixture's teardown), so no test
can leave a thread behind. Each answer closes its connection (one request
per connection), so a retry is a fresh connection as against a real server.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import pytest

_CONNECT = socket.socket.connect  # saved before tests/conftest.py's guard replaces it
_CREATE = socket.create_connection

TICK = 0.05  # seconds between trickled bytes
MAX_CONNECTIONS = 64


@dataclass
class Hostile:
    base: str  # http://127.0.0.1:PORT
    requests: list[str] = field(default_factory=list)  # "METHOD /path" as received
    release: threading.Event = field(default_factory=threading.Event)  # `/hold` answers


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
            head = _read_request(conn)
            if head is None:
                return
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
            while path.startswith("/hold") and not server.release.wait(TICK):
                if stopping.is_set():
                    return
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


# --- TLS with a certificate no CA signed ------------------------------------------

# The names the desks' example URLs use: a test sends a desk's connections here
# (`send_to`), so each connector talks to its usual host, and the certificate
# names that host, so only the missing trust fails.
TLS_NAMES = ("acme.atlassian.net", "acme.zendesk.com", "acme.service-now.com")


@dataclass
class TlsServer:
    port: int
    cert: Path  # the self-signed certificate (PEM): what REQUESTS_CA_BUNDLE would name
    handshakes: list[str] = field(default_factory=list)  # "ok" or the server-side failure


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate (and its key) for TLS_NAMES and 127.0.0.1, made
    with the openssl command (a test that needs it skips where there is none)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command makes the test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    names = ",".join([*(f"DNS:{name}" for name in TLS_NAMES), "IP:127.0.0.1"])
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=escalada-test"]
        + ["-addext", f"subjectAltName={names}"],
        check=True,
        capture_output=True,
    )
    return cert, key


def _read_request(conn: socket.socket) -> bytes | None:
    """Read one whole HTTP request (its head, then Content-Length bytes of body) and
    return its head; None when the client hung up first. Answering after the first
    read and closing while the client still sends its body (requests sends head and
    body apart) resets the connection under it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk or len(data) > 65536:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head


@contextmanager
def tls_server(cert: Path, key: Path) -> Iterator[TlsServer]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate: a client that
    trusts it gets `{"ok": true}`, any other fails its handshake (recorded)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stopping = threading.Event()
    server = TlsServer(listener.getsockname()[1], cert)

    def accept() -> None:
        while not stopping.is_set() and len(server.handshakes) < MAX_CONNECTIONS:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(2.0)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    server.handshakes.append("ok")
                    _read_request(tls)
                    body = b'{"ok": true}'
                    tls.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + b"Connection: close\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
            except (OSError, ssl.SSLError) as error:
                server.handshakes.append(type(error).__name__)
            finally:
                conn.close()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        stopping.set()
        listener.close()
        acceptor.join(5)


def send_to(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    """Every connection urllib3 opens goes to 127.0.0.1:`port`, whatever host the
    URL names (as a resolver pointing the desk's name here would)."""
    from urllib3.util import connection

    opened = connection.create_connection

    def create(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        return opened(("127.0.0.1", port), *args, **kwargs)

    monkeypatch.setattr(connection, "create_connection", create)
