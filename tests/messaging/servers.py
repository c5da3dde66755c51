"""Real ASGI servers for the WebSocket tests and the browser journey.

- ``InProcessServer``: Daphne (the ASGI server Channels ships with) on a loopback port in a
  thread of the test process, so that it sees the test database (SQLite in-memory
  shared cache or PostgreSQL). Twisted's reactor starts once per process: one server
  per test session (see ``asgi_server`` in conftest).
- ``DaphneProcess``: ``python -m daphne`` in a child process, for the tests where two
  server processes share one Redis; they reach the test database through ``shared_database_url``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
from contextlib import closing

from django.conf import settings
from django.db import connection

from enrs.bench.benchmarks.chat import free_port, wait_for_port  # noqa: F401 - also used by smtp_peer


class InProcessServer:
    def __init__(self):
        self.port = free_port()
        self.thread = threading.Thread(target=self._run, name="daphne-test-server", daemon=True)
        self.server = None

    def _run(self) -> None:
        from daphne.server import Server

        from enrs.asgi import application

        self.server = Server(
            application=application, endpoints=[f"tcp:port={self.port}:interface=127.0.0.1"], signal_handlers=False,
            verbosity=0,
        )  # fmt: skip
        self.server.run()

    def start(self) -> InProcessServer:
        self.thread.start()
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        from twisted.internet import reactor

        if reactor.running:
            reactor.callFromThread(reactor.stop)
        self.thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/messagerie/"


_shared: InProcessServer | None = None


def shared_in_process_server() -> InProcessServer:
    """The process's one in-thread Daphne server (Twisted's reactor cannot start twice), for every
    module that needs one (messaging tests, the chat and teleconsultation browser journeys)."""
    global _shared
    if _shared is None:  # a daemon thread: it ends with the test process (stopping it at exit would log to closed streams)
        _shared = InProcessServer().start()
    return _shared


# --- Child processes -------------------------------------------------------------------------
class SharedDatabase:
    """The test database as a URL a child process can open.

    PostgreSQL: the test database itself (the test must be transactional so rows are committed).
    SQLite (in memory): a file copy made with the backup API; ``count`` then reads the file.
    """

    def __init__(self):
        self.vendor = connection.vendor
        self.path = None
        if self.vendor == "sqlite":
            handle, self.path = tempfile.mkstemp(prefix="enrs-msg-", suffix=".sqlite3")
            os.close(handle)
            connection.ensure_connection()
            target = sqlite3.connect(self.path)
            connection.connection.backup(target)
            # WAL now, once: two servers switching the journal mode at their first query would race.
            target.execute("PRAGMA journal_mode=WAL")
            target.close()
            self.url = f"sqlite:///{self.path}"
        else:
            d = connection.settings_dict
            self.url = f"postgres://{d['USER']}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"

    def count(self, sql: str, params=()) -> int:
        if self.path:
            with closing(sqlite3.connect(self.path)) as db:
                return db.execute(sql, params).fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), params)
            return cursor.fetchone()[0]

    def close(self) -> None:
        if self.path:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(self.path + suffix):
                    os.unlink(self.path + suffix)


class DaphneProcess:
    def __init__(self, database_url: str, extra_env: dict[str, str]):
        self.port = free_port()
        env = {
            **os.environ, "ENRS_DATABASE_URL": database_url, "ENRS_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_SETTINGS_MODULE": "enrs.settings", "ENRS_LOG_LEVEL": "WARNING", **extra_env,
        }  # fmt: skip
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "enrs.asgi:application"],
            env=env, stdout=subprocess.DEVNULL, stderr=self.log,
        )  # fmt: skip

    def logs(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def wait(self, timeout: float = 90.0) -> DaphneProcess:
        try:
            wait_for_port(self.port, timeout)
        except RuntimeError:
            self.stop()
            raise RuntimeError(self.logs()) from None
        return self

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/messagerie/"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_scenario(coroutine):
    """``asyncio.run`` in a thread of its own and return its result.

    Playwright's sync API keeps an event loop running in the main thread for
    the rest of the worker's session once a browser journey has run there, and
    ``asyncio.run`` refuses to start under a running loop.
    """
    import asyncio
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
