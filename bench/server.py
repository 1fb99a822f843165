"""A production-like Newsroom on a free loopback port: its own database, files and gunicorn.

One implementation for everything that needs the real server: the benchmark
(`bench/run.py`) and the test suite's live site (`tests/live.py`). Settings are the
production ones (DJANGO_DEBUG=0, collected and compressed static files, gunicorn.conf.py);
only the secret, the database, the folders and the port are the site's own.

    with Site(tmp_path, database_url=os.environ.get("DATABASE_URL")) as site:
        site.prepare()      # database, migrations, collectstatic
        site.seed(LOAD_DEMO)  # or site.manage("load_demo")
        site.start()
        urllib.request.urlopen(site.url("/"))

SQLite (the default) lives in the site's folder. With a PostgreSQL DATABASE_URL the site
uses a database of its own beside it (`<name>_<suffix>`), created by `prepare()` and
dropped by `stop()` unless `keep_database` is set.

Templates (the test suite; `make bench` and `make run` never set it): when the environment
names a folder in NEWSROOM_SITE_TEMPLATES, what every site would build alike is built once
in it and copied from there, under a file lock, so parallel test processes share one:
the migrated database (an SQLite file copied, or `CREATE DATABASE … TEMPLATE` on
PostgreSQL), the collected static files (used in place, through a symlink: nothing
writes them) and, with `seed(code)`, a seeded database with its media files (hard links:
files are written once, never rewritten in place) and what the code printed. Nothing in a
seeded database depends on the seeding site's port: absolute URLs (feeds, sitemaps,
metadata) are made from NEWSROOM_BASE_URL when a page is rendered, never stored, and the
caches (per site, keyed by port on Redis) start empty, as after a restore. A site's copy
is made when it next runs something (`manage`, `python`, `start`, an uncached seed), so
that a seed copied over a migrated database does not copy twice; sites sharing a database
(the benchmark's) let the prepared one run something first.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "live-site-key-for-tests-and-benchmarks-only-never-in-production"
TEMPLATES_ENV = "NEWSROOM_SITE_TEMPLATES"
# PostgreSQL template databases made in a templates folder, one URL a line, for
# drop_templates() to drop at the end of the run.
TEMPLATE_DATABASES = "postgres-templates.txt"
# Test settings that collect production's static files (they change URLs, password
# hashers or the clock, not the static files' finders): one collection serves them all.
STATIC_AS_PRODUCTION = {"tests.gunicorn_settings", "tests.clock_settings"}
# The demo newsroom, as a seed: shared by the benchmarks and the test suite's sites.
LOAD_DEMO = (
    "import io\n"
    "from django.core.management import call_command\n"
    'call_command("load_demo", stdout=io.StringIO())\n'
)


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


def create_postgres_database(url: str, template: str | None = None) -> None:
    """Drop (with any leftover connections) and create the database `url` names, as a
    copy of the database `template` names if given (nobody may be connected to that)."""
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with _maintenance_connection(url) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if template is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        else:
            source = urlsplit(template).path.lstrip("/")
            connection.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(source)
                )
            )


def drop_postgres_database(url: str) -> None:
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with _maintenance_connection(url) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def templates_folder() -> Path | None:
    """The run's templates folder (see the module docstring), or None: build everything."""
    folder = os.environ.get(TEMPLATES_ENV)
    return Path(folder) if folder else None


@contextmanager
def template_lock(folder: Path, name: str):
    """Hold `name`'s lock in `folder`: one process builds a template, the others wait."""
    with (folder / f"{name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def _link_tree(source: Path, target: Path) -> None:
    """`target` as a copy of the folder `source`, its files hard links where possible."""

    def link(src, dst):
        try:
            os.link(src, dst)
        except OSError:  # another file system
            shutil.copy2(src, dst)

    shutil.rmtree(target, ignore_errors=True)
    if source.is_dir():
        shutil.copytree(source, target, copy_function=link)


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _copy_sqlite(source: Path, target: Path) -> None:
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(source, target)


def _snapshot_sqlite(source: Path, target: Path) -> None:
    """A self-contained copy of a database its processes have left (WAL included)."""
    target.unlink(missing_ok=True)
    connection = sqlite3.connect(source)
    try:
        connection.execute("VACUUM INTO ?", (str(target),))
    finally:
        connection.close()


def _record_template_database(folder: Path, url: str) -> None:
    with (folder / TEMPLATE_DATABASES).open("a") as listing:
        listing.write(url + "\n")


def migrated_sqlite_template(folder: Path, manage) -> Path:
    """The run's migrated SQLite database in `folder`, made once with `manage(*args, env=)`
    (manage.py with the caller's settings; migrations are the same under all of them)."""
    name = f"migrated-{_key(str(folder), 'sqlite')}"
    template = folder / name / "site.sqlite3"
    with template_lock(folder, name):
        if not (folder / f"{name}.done").exists():
            template.parent.mkdir(exist_ok=True)
            built = template.with_name("build.sqlite3")
            built.unlink(missing_ok=True)
            manage(
                "migrate",
                "--no-input",
                "--verbosity",
                "0",
                env={"DATABASE_URL": f"sqlite:///{built}"},
            )
            _snapshot_sqlite(built, template)
            (folder / f"{name}.done").touch()
    return template


def collected_static_template(folder: Path, settings_module: str, manage) -> Path:
    """The run's static files collected under `settings_module` (whose finders decide
    what is collected), made once in `folder` with `manage(*args, env=)`."""
    if settings_module in STATIC_AS_PRODUCTION:
        settings_module = "newsroom.settings"
    name = f"static-{_key(settings_module)}"
    collected = folder / name
    with template_lock(folder, name):
        if not (folder / f"{name}.done").exists():
            shutil.rmtree(collected, ignore_errors=True)
            manage(
                "collectstatic",
                "--no-input",
                "--verbosity",
                "0",
                env={"STATIC_ROOT": str(collected)},
            )
            (folder / f"{name}.done").touch()
    return collected


def link_static(static_root: Path, collected: Path) -> None:
    """`static_root` as a symbolic link to collected files (nothing writes in them)."""
    if static_root.is_symlink() or static_root.is_file():
        static_root.unlink()
    elif static_root.exists():
        shutil.rmtree(static_root)
    static_root.symlink_to(collected, target_is_directory=True)


def drop_templates(folder: Path) -> None:
    """Drop the PostgreSQL template databases a run made in `folder`; remove the folder."""
    listing = folder / TEMPLATE_DATABASES
    if listing.exists():
        for url in sorted(set(listing.read_text().split())):
            drop_postgres_database(url)
    shutil.rmtree(folder, ignore_errors=True)


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
        # The server, credentials and name the site's own database derives from.
        self._server_url = database_url if is_postgres(database_url) else None
        # What the database holds: the migrated schema, then each seed's code in turn.
        self._state = "migrated"
        # The copy of a template this site's database and media files are to be, made
        # when the site next runs something: a seed's copy replaces the migrated one's.
        self._pending_copy = None
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
        self._copy_from_template()
        return self._manage(*args, timeout=timeout, env=env)

    def _manage(self, *args: str, timeout: float = 300, env: dict | None = None) -> str:
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
        folder = templates_folder()
        if is_postgres(self.database_url):
            if folder is None:
                create_postgres_database(self.database_url)
            self._database_created = True
        self._state = "migrated"
        self._pending_copy = None
        if folder is None:
            steps = (
                lambda: self.manage("migrate", "--no-input", "--verbosity", "0"),
                lambda: self.manage("collectstatic", "--no-input", "--verbosity", "0"),
            )
        else:
            steps = (lambda: self._database_from_template(folder), lambda: self._static(folder))
        # Independent steps, in parallel: start-up time is what the suite waits for.
        with ThreadPoolExecutor(2) as pool:
            for step in [pool.submit(step) for step in steps]:
                step.result()

    def seed(self, code: str, timeout: float = 600) -> str:
        """Run `code` as `python()` does, on the prepared database; return what it printed.

        With a templates folder, the database and media files it leaves behind are kept
        there, keyed by the code (and the seeds before it): the next site seeded alike
        gets copies instead of running the code again. Seeds must depend on nothing but
        their code and the database (not the site's port, settings module or clock); they
        run with the database task queue (TASKS_BACKEND), whatever the site's.
        """
        folder = templates_folder()
        if folder is None:
            return self.python(code, timeout=timeout)
        self._state = _key(self._state, code)
        name = f"seed-{self._engine_key(folder)}-{self._state}"
        store = folder / name
        with template_lock(folder, name):
            if (folder / f"{name}.done").exists():
                self._pending_copy = lambda: self._restore(store)
                return (store / "output.txt").read_text()
            # Production's task queue whatever the site's (the live site runs tasks in
            # the request): what the seed enqueues stays queued, and every site seeded
            # alike gets the same database.
            output = self.manage(
                *("shell", "--no-imports", "-c", code),
                timeout=timeout,
                env={"TASKS_BACKEND": "database"},
            )
            self._save(store, output)
            (folder / f"{name}.done").touch()
            return output

    # ------------------------------------------------------------ templates

    def _engine_key(self, folder: Path) -> str:
        """Which database server the templates are for, and which run they belong to."""
        server = "sqlite" if self._server_url is None else self._server_url
        return _key(str(folder), server)

    def _template_database_url(self, name: str) -> str:
        """The PostgreSQL database of the template `name` (which names the run too)."""
        return derived_database_url(self._server_url, f"tpl_{_key(name)}")

    def _database_from_template(self, folder: Path) -> None:
        """This site's database: a copy of the run's migrated one, made once."""
        if self._server_url is None:
            template = migrated_sqlite_template(folder, self._manage)
            path = _sqlite_path(self.database_url)
            self._pending_copy = lambda: _copy_sqlite(template, path)
            return
        name = f"migrated-{self._engine_key(folder)}"
        url = self._template_database_url(name)
        with template_lock(folder, name):
            if not (folder / f"{name}.done").exists():
                _record_template_database(folder, url)
                create_postgres_database(url)
                self._manage("migrate", "--no-input", "--verbosity", "0", env={"DATABASE_URL": url})
                (folder / f"{name}.done").touch()
        self._pending_copy = lambda: create_postgres_database(self.database_url, template=url)

    def _copy_from_template(self) -> None:
        """Make the copy prepare() or seed() left to make (templates), if any."""
        copy, self._pending_copy = self._pending_copy, None
        if copy is not None:
            copy()

    def _static(self, folder: Path) -> None:
        """The run's collected static files for this settings module, used in place."""
        collected = collected_static_template(
            folder, self.env["DJANGO_SETTINGS_MODULE"], self._manage
        )
        # A link in the site's folder, where STATIC_ROOT points: sites sharing the
        # folder (the benchmark's, one per cache mode) find them there too.
        link_static(Path(self.env["STATIC_ROOT"]), collected)

    def _save(self, store: Path, output: str) -> None:
        """Keep this seeded site's database, media files and output in `store`."""
        shutil.rmtree(store, ignore_errors=True)
        store.mkdir()
        for kind in ("MEDIA_ROOT", "PRIVATE_MEDIA_ROOT"):
            _link_tree(Path(self.env[kind]), store / kind)
        if self._server_url is None:
            _snapshot_sqlite(_sqlite_path(self.database_url), store / "site.sqlite3")
        else:
            url = self._template_database_url(store.name)
            _record_template_database(store.parent, url)
            create_postgres_database(url, template=self.database_url)
        (store / "output.txt").write_text(output)

    def _restore(self, store: Path) -> None:
        """This site's database and media files: copies of a seeded site's in `store`."""
        for kind in ("MEDIA_ROOT", "PRIVATE_MEDIA_ROOT"):
            _link_tree(store / kind, Path(self.env[kind]))
        if self._server_url is None:
            _copy_sqlite(store / "site.sqlite3", _sqlite_path(self.database_url))
        else:
            url = self._template_database_url(store.name)
            create_postgres_database(self.database_url, template=url)

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
        self._copy_from_template()
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
