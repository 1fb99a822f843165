"""A production-like Newsroom on a free loopback port: its own database, files and gunicorn.

One implementation for everything that needs the real server: the benchmark
(`bench/run.py`) and the test suite's live site (`tests/live.py`). Settings are the
production ones (DJANGO_DEBUG=0, collected and compressed static files, gunicorn.conf.py);
only the secret, the database, the folders and the port are the site's own.

    with Site(tmp_path, database_url=os.environ.get("DATABASE_URL")) as site:
        site.prepare()      # database, migrations, collectstatic
        site.manage("load_demo")
        site.start()
        urllib.request.urlopen(site.url("/"))

SQLite (the default) lives in the site's folder. With a PostgreSQL DATABASE_URL the site
uses a database of its own beside it (`<name>_<suffix>`), created by `prepare()` and
dropped by `stop()` unless `keep_database` is set.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "live-site-key-for-tests-and-benchmarks-only-never-in-production"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (never 8000)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port != 8000:
            return port


def is_postgres(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in {"postgres", "postgresql", "pgsql"}


def derived_database_url(url: str, suffix: str) -> str:
    """The same PostgreSQL server and credentials, database `<name>_<suffix>`."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "newsroom"
    return urlunsplit(parts._replace(path=f"/{name}_{suffix}"))


def _maintenance_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        urlunsplit(parts._replace(path="/postgres", query="")), autocommit=True, connect_timeout=5
    )


def create_postgres_database(url: str) -> None:
    """Drop (with any leftover connections) and create the database `url` names."""
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with _maintenance_connection(url) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_postgres_database(url: str) -> None:
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with _maintenance_connection(url) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def children(pid: int) -> list[int]:
    """Process ids whose parent is `pid`, read from /proc (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # The process ended while we looked.
            continue
        # Field 2 is "(comm)" and may hold spaces; the parent id is 2 fields after it.
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


class SiteError(RuntimeError):
    pass


class Site:
    """One production-like site in `workdir`; see the module docstring."""

    def __init__(
        self,
        workdir: Path | str,
        *,
        database_url: str | None = None,
        redis_url: str | None = None,
        database_suffix: str = "live",
        workers: int | None = 3,
        threads: int | None = 1,
        access_log: str | None = None,
        keep_database: bool = False,
        extra_env: dict[str, str] | None = None,
    ):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.workdir / "gunicorn.log"
        self.keep_database = keep_database
        self.process: subprocess.Popen | None = None
        self._log_file = None
        self._database_created = False
        if is_postgres(database_url):
            self.database_url = derived_database_url(database_url, database_suffix)
        else:
            self.database_url = f"sqlite:///{self.workdir / 'site.sqlite3'}"
        env = {
            key: value
            for key, value in os.environ.items()
            # The suite's own settings must not leak into the server.
            if not key.startswith(("PYTEST_", "GUNICORN_", "DJANGO_", "NEWSROOM_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="newsroom.settings",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=SECRET_KEY,
            DATABASE_URL=self.database_url,
            STATIC_ROOT=str(self.workdir / "static"),
            MEDIA_ROOT=str(self.workdir / "media"),
            PRIVATE_MEDIA_ROOT=str(self.workdir / "originals"),
            NEWSROOM_CACHE_DIR=str(self.workdir / "cache"),
            NEWSROOM_BASE_URL=self.base_url,
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            GUNICORN_ACCESS_LOG=access_log or "-",
            PYTHONUNBUFFERED="1",
        )
        # None: gunicorn.conf.py's own defaults (2 × CPUs + 1 workers, 1 thread).
        if workers is not None:
            env["GUNICORN_WORKERS"] = str(workers)
        if threads is not None:
            env["GUNICORN_THREADS"] = str(threads)
        env.pop("REDIS_URL", None)
        if redis_url:
            # A prefix of its own: the site's cache never meets the suite's.
            env.update(REDIS_URL=redis_url, CACHE_KEY_PREFIX=f"newsroom-site-{self.port}")
        env.update(extra_env or {})
        self.env = env

    # ---------------------------------------------------------------- set-up

    def manage(self, *args: str, timeout: float = 300, env: dict | None = None) -> str:
        """Run `manage.py <args>` against this site's settings; return its output."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise SiteError(
                f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result.stdout

    def python(self, code: str, timeout: float = 300) -> str:
        """Run Python code inside Django (manage.py shell); return what it prints."""
        return self.manage("shell", "--no-imports", "-c", code, timeout=timeout)

    def prepare(self) -> None:
        """A fresh database with the schema, and the static files collected."""
        if is_postgres(self.database_url):
            create_postgres_database(self.database_url)
            self._database_created = True
        # Independent steps, in parallel: start-up time is what the suite waits for.
        with ThreadPoolExecutor(2) as pool:
            steps = [
                pool.submit(self.manage, "migrate", "--no-input", "--verbosity", "0"),
                pool.submit(self.manage, "collectstatic", "--no-input", "--verbosity", "0"),
            ]
            for step in steps:
                step.result()

    def create_superuser(self, username: str, password: str) -> None:
        self.manage(
            "createsuperuser",
            "--no-input",
            env={
                "DJANGO_SUPERUSER_USERNAME": username,
                "DJANGO_SUPERUSER_PASSWORD": password,
                "DJANGO_SUPERUSER_EMAIL": f"{username}@example.com",
            },
        )

    # ------------------------------------------------------------ the server

    def start(self, timeout: float = 20, *, probe: bool = True) -> None:
        """Start gunicorn and return once it answers HTTP on the site's port.

        With `probe=False` it returns as soon as the port accepts connections and the
        workers are up, without a request: the next request is the site's very first.
        """
        self._log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "newsroom.wsgi"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise SiteError(f"gunicorn exited with {code}:\n{self.log_tail()}")
            try:
                if not probe:
                    socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
                    if "GUNICORN_WORKERS" in self.env:
                        self.wait_for_workers(int(self.env["GUNICORN_WORKERS"]))
                    return
                with urllib.request.urlopen(self.url("/"), timeout=2) as response:
                    response.read()
                return
            except urllib.error.HTTPError:
                return  # It answers; what it answers is for the tests to judge.
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SiteError(f"gunicorn did not answer within {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop gunicorn (gracefully, then not) and drop a PostgreSQL database it made."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._database_created and not self.keep_database:
            drop_postgres_database(self.database_url)
            self._database_created = False

    def __enter__(self) -> Site:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def master_pid(self) -> int:
        if self.process is None:
            raise SiteError("The site is not running.")
        return self.process.pid

    def worker_pids(self) -> list[int]:
        return children(self.master_pid)

    def wait_for_workers(self, count: int, timeout: float = 15) -> list[int]:
        """Wait until the master runs `count` workers (after a restart, say)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == count:
                return pids
            time.sleep(0.05)
        raise SiteError(f"Expected {count} workers, found {self.worker_pids()}")

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return ""
