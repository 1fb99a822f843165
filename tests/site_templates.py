"""One templates folder per test run for the production-like sites tests start.

Every `bench.server.Site` of the run (in the suite's processes, the benchmarks they start
and the gunicorns of tests/servers.py) builds its migrated database, collected static
files and seeded databases once, in this folder, and copies them from there (see
bench/server.py). The controlling process (pytest itself, or xdist's controller: no
PYTEST_XDIST_WORKER) makes it before any worker starts, so that every worker inherits
NEWSROOM_SITE_TEMPLATES, and removes it, PostgreSQL template databases included, at the
end. A folder already named in the environment is used and left alone.
"""

import os
import tempfile
from pathlib import Path

import pytest

from bench.server import TEMPLATES_ENV, drop_templates

_OWNED = pytest.StashKey[Path]()


def pytest_configure(config):
    if os.environ.get("PYTEST_XDIST_WORKER") or os.environ.get(TEMPLATES_ENV):
        return
    folder = Path(tempfile.mkdtemp(prefix="newsroom-site-templates-"))
    os.environ[TEMPLATES_ENV] = str(folder)
    config.stash[_OWNED] = folder


def pytest_unconfigure(config):
    folder = config.stash.get(_OWNED, None)
    if folder is None:
        return
    del config.stash[_OWNED]
    os.environ.pop(TEMPLATES_ENV, None)
    drop_templates(folder)
