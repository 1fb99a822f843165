"""Real gunicorn processes for tests: start, wait until ready, stop; and a TCP proxy.

    static_root = collect_static(tmp_dir)            # once per session is enough
    database_url = migrated_sqlite(tmp_dir)          # or shared_database_url() on PostgreSQL
    with Gunicorn(database_url=..., static_root=...) as server:
        server.get("/")                              # (status, headers, body)

gunicorn runs `gunicorn.conf.py` with DJANGO_SETTINGS_MODULE=tests.gunicorn_settings
(production settings plus a test-only /slow/ page), debug off, on 127.0.0.1 and a free
port. Its stdout and stderr go to `server.log_path`.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.server import (
    collected_static_template,
    link_static,
    migrated_sqlite_template,
    templates_folder,
)

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
SECRET = "gunicorn-test-only-secret-key-" + "x" * 30


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(*args, env):
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.gunicorn_settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET,
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    return env


def _template_manage(*args, env):
    _manage(*args, env=base_env(**env))


def collect_static(directory):
    """collectstatic into `directory` (debug off uses the hashed manifest storage).

    In a run with site templates (tests/site_templates.py) `directory` becomes a link to
    the run's files, collected once (bench/server.py).
    """
    folder = templates_folder()
    if folder is None:
        env = base_env(STATIC_ROOT=directory)
        _manage("collectstatic", "--no-input", "--verbosity", "0", env=env)
    else:
        collected = collected_static_template(folder, "tests.gunicorn_settings", _template_manage)
        link_static(Path(directory), collected)
    return directory


def migrated_sqlite(directory):
    """A migrated SQLite database file in `directory`; returns its DATABASE_URL.

    In a run with site templates, a copy of the run's migrated database.
    """
    path = Path(directory) / "db.sqlite3"
    url = f"sqlite:///{path}"
    folder = templates_folder()
    if folder is None:
        _manage("migrate", "--no-input", env=base_env(DATABASE_URL=url))
    else:
        shutil.copyfile(migrated_sqlite_template(folder, _template_manage), path)
    return url


def shared_database_url():
    """The test database pytest-django made, for gunicorn to share (use transactional_db)."""
    from django.db import connection

    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER']}{password}@{host}/{s['NAME']}"


class Gunicorn:
    def __init__(self, *, database_url, static_root, workers=2, log_dir=None, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log_dir = Path(log_dir or static_root).parent
        self.log_path = log_dir / f"gunicorn-{self.port}.log"
        self.env = base_env(
            DATABASE_URL=database_url,
            STATIC_ROOT=static_root,
            PORT=self.port,
            GUNICORN_WORKERS=workers,
            GUNICORN_TIMEOUT=30,
            GUNICORN_GRACEFUL_TIMEOUT=10,
            NEWSROOM_BASE_URL=self.url,
            **env,
        )
        self.process = None
        self.workers = workers

    def start(self, timeout=20):
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "newsroom.wsgi"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log()}")
            try:
                if (
                    self.get("/healthz", timeout=1)[0] == 200
                    and len(self.worker_pids()) >= self.workers
                ):
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer in {timeout}s:\n{self.log()}")

    def stop(self, timeout=15):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def worker_pids(self):
        """The master's children (its workers), from /proc."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def get(self, path, *, headers=None, timeout=10, opener=None):
        return request(self.url + path, headers=headers, timeout=timeout, opener=opener)


def request(url, *, data=None, headers=None, timeout=10, opener=None):
    """(status, headers, body) for a GET (or a POST with `data` bytes); never raises on 4xx/5xx."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    open_ = opener.open if opener else urllib.request.urlopen
    try:
        with open_(req, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class TcpProxy:
    """A TCP proxy to (host, port) that a test can cut and restore, like a network outage."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener = None
        self._connections = []
        self._lock = threading.Lock()

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(50)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def stop(self):
        """Refuse new connections and cut the open ones."""
        if self._listener:
            # shutdown() wakes the thread blocked in accept(); close() alone would not.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._connections:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._connections = []
