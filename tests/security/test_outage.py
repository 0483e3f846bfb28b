"""A database outage, end to end: a real gunicorn serving Cairn, its database cut and restored.

The shared PostgreSQL keeps running (other tests use it): the server reaches the test database
through a TCP proxy in this test, and cutting the proxy (its listening socket and every open
connection) is the outage. While it lasts /healthz answers 503 and says the database is in
error, pages answer with the friendly 503 page (Retry-After, no traceback) and the API with a
JSON error. When the proxy comes back, the same server process answers 200 again by itself: its
stale persistent connection is dropped (CONN_HEALTH_CHECKS) and a new one made. PostgreSQL only;
the error handler itself is also checked in-process, on any database.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client

from config.views import UNAVAILABLE, server_error
from tests.factories import UserFactory
from tests.security.conftest import requires_postgresql

APPLICATION_NAME = "cairn-test-outage"


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the database; `cut()` refuses and drops every connection,
    `restore()` listens on the same port again."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = _free_port()
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None
        self.acceptor: threading.Thread | None = None

    def restore(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.listener.settimeout(0.1)
        self.acceptor = threading.Thread(target=self._accept, args=(self.listener,), daemon=True)
        self.acceptor.start()

    def cut(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.close()
            # The port is free once the accepting thread has left accept() (within its timeout).
            self.acceptor.join(timeout=5)
        with self.lock:
            for sock in self.sockets:
                _close(sock)
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self.listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            for sock in (client, upstream):
                sock.settimeout(None)
            with self.lock:
                self.sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Answer:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.text = status, headers, body.decode(errors="replace")

    def json(self):
        return json.loads(self.text)


def get(port: int, path: str, *, session: str = "") -> Answer:
    """GET `path` from the server (redirects are not followed), signed in with `session`."""
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"} if session else {}
    server = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        server.request("GET", path, headers=headers)
        response = server.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        server.close()


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except OSError as exc:  # the server is not listening yet
            last = exc
        else:
            if last:
                return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@pytest.fixture
def server(tmp_path):
    """gunicorn serving Cairn (the test suite's settings) on the test database, through a proxy."""
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.restore()
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": (
            f"postgres://{quote(db['USER'] or '')}:{quote(str(db['PASSWORD'] or ''))}@127.0.0.1:{proxy.port}"
            f"/{quote(db['NAME'])}?application_name={APPLICATION_NAME}&connect_timeout=2"
        ),
    }
    log = tmp_path / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--timeout", "30", "--graceful-timeout", "2"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process.port, process.proxy, process.log = port, proxy, log
    try:
        wait_for(lambda: get(port, "/healthz").status == 200, timeout=30, what="gunicorn to answer")
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        proxy.cut()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                [APPLICATION_NAME],
            )


def _pool_workers(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return sorted(int(child) for child in path.read_text().split()) if path.exists() else []


@requires_postgresql("the outage is a PostgreSQL connection cut")
@pytest.mark.django_db(transaction=True)
def test_during_an_outage_cairn_says_so_and_it_recovers_by_itself(server):
    learner = UserFactory(full_name="Olive Outage")
    client = Client()
    client.force_login(learner)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    port = server.port

    def healthy() -> bool:
        return (
            get(port, "/healthz").status == 200
            and get(port, "/", session=session).status == 200
            and get(port, "/api/v1/learning/sessions/", session=session).status == 200
        )

    assert healthy()
    assert get(port, "/healthz").json()["checks"]["database"] == "ok"
    workers = _pool_workers(server.pid)

    server.proxy.cut()

    health = get(port, "/healthz")
    assert health.status == 503
    assert health.json()["status"] == "unavailable"
    assert health.json()["checks"]["database"].startswith("error")
    page = get(port, "/", session=session)
    assert page.status == 503
    assert page.headers["Retry-After"] == "30"
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Cairn is temporarily unavailable" in page.text
    assert "Traceback" not in page.text and "OperationalError" not in page.text
    api = get(port, "/api/v1/learning/sessions/", session=session)
    assert api.status == 503
    assert api.headers["Content-Type"] == "application/json"
    assert api.json() == {"detail": UNAVAILABLE}

    server.proxy.restore()

    wait_for(healthy, timeout=15, what="Cairn to answer again")
    assert get(port, "/healthz").json()["checks"]["database"] == "ok"
    assert learner.full_name in get(port, "/", session=session).text
    # The very same processes recovered: nothing was restarted.
    assert server.poll() is None
    assert _pool_workers(server.pid) == workers

    # A database that restarts while Cairn is idle costs no request: the dead persistent
    # connection is noticed before it is used, and replaced.
    server.proxy.cut()
    server.proxy.restore()
    assert get(port, "/", session=session).status == 200


def _handled(rf, path: str, error: Exception):
    try:
        raise error
    except Exception:  # what Django's handler500 is called within
        return server_error(rf.get(path))


def test_the_error_handler_tells_an_outage_from_a_bug(rf):
    outage = _handled(rf, "/learn/", OperationalError("connection refused"))
    assert outage.status_code == 503 and outage["Retry-After"] == "30"
    assert "Cairn is temporarily unavailable" in outage.content.decode()
    bug = _handled(rf, "/learn/", ZeroDivisionError())
    assert bug.status_code == 500 and not bug.has_header("Retry-After")
    assert "Something went wrong on our side" in bug.content.decode()
    api_outage = _handled(rf, "/api/v1/ideas/", OperationalError("connection refused"))
    assert api_outage.status_code == 503 and api_outage["Content-Type"] == "application/json"
    api_bug = _handled(rf, "/api/v1/ideas/", KeyError("x"))
    assert api_bug.status_code == 500
    assert json.loads(api_bug.content) == {"detail": "Something went wrong on our side. Please try again."}
