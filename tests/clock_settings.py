"""Production settings with a clock the tests control, for gunicorn started by the
fronts' browser journey (tests/test_fronts_journey.py): pins and layouts that start or
end at a time are checked by moving this clock, never by sleeping.

`NEWSROOM_TEST_CLOCK` names a file holding an ISO 8601 time; while it does, that is
`django.utils.timezone.now()` in every worker (read again when the file changes). An
empty or missing file: the real time.
"""

import os
from datetime import datetime

from django.utils import timezone

from newsroom.settings import *  # noqa: F403

_CLOCK_FILE = os.environ["NEWSROOM_TEST_CLOCK"]
_real_now = timezone.now
_read = {"mtime": None, "moment": None}


def _test_now():
    try:
        mtime = os.stat(_CLOCK_FILE).st_mtime_ns
    except FileNotFoundError:
        return _real_now()
    if mtime != _read["mtime"]:
        with open(_CLOCK_FILE) as clock:
            text = clock.read().strip()
        _read.update(mtime=mtime, moment=datetime.fromisoformat(text) if text else None)
    return _read["moment"] or _real_now()


timezone.now = _test_now
