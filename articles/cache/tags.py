"""Cache tags: what a cached page or fragment shows, and purging by it.

Drupal's cache tags (Varnish's xkey, Fastly's surrogate keys) with a shared cache:

- While a public page renders, everything it shows names itself with `depends_on()`:
  `story:<pk>` for each story whose headline, card or text it shows, `section:<pk>`,
  `tag:<pk>`, `author:<pk>` for those objects' own fields, and membership tags for
  lists (`list:latest`, `list:section:<pk>`, `list:tag:<pk>`, `list:author:<pk>`) that
  change only when a story enters, leaves or moves in that list. A few broad tags:
  `sections` (the navigation: which sections have a public story), `search` (any
  public text), `sitemap` (any public URL or its lastmod), `missing` (404 pages: any
  new public address). Their names are made in articles/cache/names.py; what purges
  each is decided by the app whose models change (the story core's:
  articles/signal_handlers.py). This package knows tags, never models.
- Each tag has a version in the state cache (`CACHES["state"]`): a unique token. An
  entry is stored with the versions of its tags at render time (its *stamp*) and is
  valid only while all of them still match: one `get_many` per lookup, whichever
  worker or host stored it, and whichever holds a copy (articles/cache/local.py).
- A purge gives each purged tag a new token, at once and again after the transaction
  commits (pages rendered meanwhile by other processes saw the old data). Tokens are
  set, never incremented: two purges racing on a file cache cannot cancel out.
- Every stamp also holds the **epoch**, which `purge_everything()` renews (bulk
  imports) and a worker renews when it reaches Redis again after an outage (purges
  made meanwhile were lost): nothing stored before is valid after.
- A render that overlaps a purge is not stored: each request reads the last purge's
  token when it starts (`PURGED_KEY`) and a stamp is refused if it moved, since the
  page may show data from before the change under versions from after it.
- A worker's copy of a page, once checked, is not checked again until the next purge
  anywhere (`PURGED_KEY` moves, and is written after the tags it purges): a hit then
  reads two small keys, as many as before there were tags.
- **Scheduled changes.** A scheduled story goes live with no save and no signal (nor
  does anything else registered with `register_schedule`: a pin or banner that starts
  or ends at a time). The next such moment is kept in the state cache; the first
  request after it passes purges the tags of what changed (for stories, the lists they
  enter) and looks up the next one. No entry outlives that moment, nor any reply's
  `max-age` or `s-maxage + stale-while-revalidate`: a hit reads the moment with the
  purge token (`hit_state`) and caps the lifetimes it replays by it, so a page cached
  before a change was scheduled still ends every cache's copy on time.

The state lives apart from pages (`CACHES["state"]`): a full cache culls pages, never
tag versions; on Redis they are the keys without a TTL, which `volatile-lru` keeps.
"""

import contextlib
import secrets
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache, caches
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from . import names
from .backends import RENEW_AFTER_OUTAGE

EPOCH_KEY = "newsroom:cache-epoch"
# The token of the latest purge: a render that saw it move is not stored.
PURGED_KEY = "newsroom:last-purge"
# Timestamp of the next scheduled publication; 0.0 when none is scheduled.
NEXT_KEY = "newsroom:next-scheduled"
TAG_PREFIX = "newsroom:tag:"
# Purges made while Redis was away were lost: the epoch moves when it is back (and the
# last purge's token, so that every worker checks its copies again).
RENEW_AFTER_OUTAGE.extend([EPOCH_KEY, PURGED_KEY])
# The tag a CDN purges everything with (every cacheable response carries it).
EVERYTHING = names.EVERYTHING


def state_cache():
    """`CACHES["state"]`, where no culling of pages reaches (else the default cache)."""
    return caches["state"] if "state" in settings.CACHES else cache


def _token():
    return f"{time.time_ns():x}.{secrets.token_hex(4)}"


def _now():
    return timezone.now().timestamp()


def tag_key(tag):
    return TAG_PREFIX + tag


# What the current request renders under


@dataclass
class Render:
    """One public request: the state it started from, and the tags it has shown."""

    epoch: object
    mark: object
    next_publication: float  # timestamp, 0.0 for none
    tags: set = field(default_factory=set)


_current = ContextVar("newsroom_cache_render", default=None)


def current():
    """The public page being rendered in this context, or None (admin, shell, …)."""
    return _current.get()


@contextlib.contextmanager
def rendering():
    """Render a public page: tags shown inside are collected on the yielded Render."""
    token = _current.set(begin())
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def depends_on(*tags):
    """Declare that the page being rendered shows what `tags` name (no-op outside one)."""
    render = current()
    if render is not None:
        render.tags.update(tags)


def begin():
    state = state_cache()
    found = state.get_many([EPOCH_KEY, PURGED_KEY, NEXT_KEY])
    when = found.get(NEXT_KEY)
    if when is None:
        when = refresh_next_publication()
    elif when and when <= _now():
        # The first request after a scheduled story's moment: the lists it enters.
        when = publish_due(when)
        found = state.get_many([EPOCH_KEY, PURGED_KEY])
    epoch, mark = found.get(EPOCH_KEY), found.get(PURGED_KEY)
    if epoch is None or mark is None:
        # A new (or emptied) state cache. The purge token too: a copy checked under
        # no token at all would be checked again on every hit, tag by tag.
        state.add(EPOCH_KEY, _token(), timeout=None)
        state.add(PURGED_KEY, _token(), timeout=None)
        found = state.get_many([EPOCH_KEY, PURGED_KEY])  # {} while it is unreachable
        epoch, mark = found.get(EPOCH_KEY), found.get(PURGED_KEY)
    return Render(epoch=epoch, mark=mark, next_publication=when or 0.0)


def stamp(tags):
    """{state key: version} for the epoch and `tags` now; None if the current render
    may not be stored (no render, cache unreachable, or a purge since it started)."""
    return stamp_many([tags])[0]


def stamp_many(tag_sets):
    """`stamp()` for several entries at once: one read of the state for all of them."""
    render = current()
    if render is None or render.epoch is None:
        return [None] * len(tag_sets)
    state = state_cache()
    key_sets = [[tag_key(tag) for tag in sorted(tags)] for tags in tag_sets]
    keys = sorted({key for key_set in key_sets for key in key_set})
    found = state.get_many([EPOCH_KEY, PURGED_KEY, *keys])
    missing = [key for key in keys if key not in found]
    if missing:
        # A tag never purged yet gets its first version. `add`, never `set`: a purge
        # racing with this keeps its own token (and moves PURGED_KEY, checked below).
        for key in missing:
            state.add(key, _token(), timeout=None)
        found.update(state.get_many([PURGED_KEY, *missing]))
    if found.get(EPOCH_KEY) != render.epoch or found.get(PURGED_KEY) != render.mark:
        return [None] * len(tag_sets)
    if any(key not in found for key in keys):
        return [None] * len(tag_sets)
    return [
        {EPOCH_KEY: render.epoch, **{key: found[key] for key in key_set}} for key_set in key_sets
    ]


def valid(stamps, *, before_next_publication=False):
    """Whether each stamp still matches the current versions: one `get_many` for all.

    `before_next_publication`: also none once the next scheduled publication has come
    (a page answered without rendering: the render that follows purges what went live).
    """
    wanted = set()
    for entry_stamp in stamps:
        wanted.update(entry_stamp)
    if not wanted:
        return [False] * len(stamps)
    if before_next_publication:
        wanted.add(NEXT_KEY)
    found = state_cache().get_many(list(wanted))
    if before_next_publication:
        when = found.get(NEXT_KEY)
        if when is None or (when and when <= _now()):
            return [False] * len(stamps)
    return [
        all(found.get(key, _MISSING) == version for key, version in entry_stamp.items())
        for entry_stamp in stamps
    ]


_MISSING = object()


def hit_state():
    """(token of the last purge, the next timed change as a timestamp: 0.0 for none,
    None when unknown): what a hit reads before trusting a copy it has already checked,
    and what ends the lifetime its reply announces. One read of the state cache."""
    found = state_cache().get_many([PURGED_KEY, NEXT_KEY])
    return found.get(PURGED_KEY), found.get(NEXT_KEY)


def next_change_now():
    """The next timed change as the state cache says now (timestamp, 0.0 for none,
    None when unknown): read again after a render, which a schedule made meanwhile may
    have overtaken."""
    return state_cache().get(NEXT_KEY)


def tags_of(entry_stamp):
    """The tag names a stamp covers (for the page that reads a stamped fragment)."""
    return [key[len(TAG_PREFIX) :] for key in entry_stamp if key.startswith(TAG_PREFIX)]


# Purging


class _AfterCommit:
    """The purge to repeat when the transaction commits: one per transaction, gathering
    the tags of every purge made in it (dropped with the transaction on rollback)."""

    def __init__(self):
        self.tags, self.schedule = set(), False

    def __call__(self):
        _apply(self.tags, self.schedule, committed=True)
        _notify(self.tags)


def purge(tags, *, schedule=False, using=DEFAULT_DB_ALIAS):
    """Invalidate every entry that shows any of `tags`, on every worker and host.

    Now (the writer's own next request) and again after the current transaction
    commits (pages other processes rendered meanwhile from the old data).
    `schedule=True`: a publication time may have changed; the next one is looked up
    again.
    """
    tags = set(tags)
    if not tags and not schedule:
        return
    _apply(tags, schedule)
    connection = connections[using]
    if not connection.in_atomic_block:
        _notify(tags)
        return
    pending = next(
        (
            callback
            for _, callback, *_ in connection.run_on_commit
            if isinstance(callback, _AfterCommit)
        ),
        None,
    )
    if pending is None:
        pending = _AfterCommit()
        transaction.on_commit(pending, using=using)
    pending.tags |= tags
    pending.schedule = pending.schedule or schedule


def _apply(tags, schedule, committed=False):
    if schedule:
        # First: a render that starts after the purge below sees the new schedule.
        refresh_next_publication(committed=committed)
    values = {tag_key(tag): _token() for tag in tags}
    values[PURGED_KEY] = _token()
    state_cache().set_many(values, timeout=None)


def purge_everything(using=DEFAULT_DB_ALIAS):
    """Invalidate every entry (bulk imports): the epoch every stamp holds moves."""
    state_cache().set_many({EPOCH_KEY: _token(), PURGED_KEY: _token()}, timeout=None)
    refresh_next_publication()
    if connections[using].in_atomic_block:
        transaction.on_commit(lambda: purge_everything(using), using=using)
    else:
        _notify({EVERYTHING})


def _notify(tags):
    """Tell a CDN in front (NEWSROOM_CACHE_PURGE_HOOK) which tags were purged."""
    hook = settings.PAGE_CACHE.get("PURGE_HOOK")
    if hook and tags:
        import_string(hook)(sorted(tags))


# Scheduled changes


@dataclass(frozen=True)
class Schedule:
    """A source of changes that come with time, with no save and no signal.

    `next_at()`: the next moment (an aware datetime after now) when something of it
    changes, or None. Or, instead, `moments()`: [(queryset, field)], whose earliest
    `field` values are its candidates; every schedule's are read in one query (UNION
    ALL), so a cold start costs one query however many schedules there are.
    `due_tags(since)`: the tags of the changes that came between `since` and now,
    which the first request after that moment purges.
    """

    name: str
    next_at: Callable[[], datetime | None] | None
    due_tags: Callable[[datetime], set[str]]
    moments: Callable[[], list] | None = None


_SCHEDULES: dict[str, Schedule] = {}
# Each schedule's next moment as last looked up (timestamp, 0.0 for none), by name.
SCHEDULE_KEY_PREFIX = "newsroom:next-scheduled:"


def register_schedule(name, *, due_tags, next_at=None, moments=None):
    """Add (or replace) a source of timed changes; call it from an AppConfig.ready().

    Stories' publication times are one source (articles/signal_handlers.py); anything
    else shown on public pages that starts or ends at a time (a pin, a banner, a
    scheduled layout) registers its own, and is then honoured to the minute by pages,
    fragments and `max-age`.
    Give `moments` (preferred: read in the one query) or `next_at`.
    """
    if (next_at is None) == (moments is None):
        raise ValueError("register_schedule() needs one of next_at and moments")
    _SCHEDULES[name] = Schedule(name, next_at, due_tags, moments)


def _query_next_moments():
    """{schedule name: its next moment or None}: one query for every `moments` schedule
    (plus one per `next_at` schedule)."""
    from django.db.models import CharField, Min, Value

    found, parts = {}, []
    for schedule in _SCHEDULES.values():
        if schedule.moments is None:
            found[schedule.name] = schedule.next_at()
            continue
        found[schedule.name] = None
        for queryset, field_name in schedule.moments():
            parts.append(
                queryset.order_by()
                .values(schedule=Value(schedule.name, output_field=CharField()))
                .annotate(moment=Min(field_name))
                .values_list("schedule", "moment")
            )
    if parts:
        for name, moment in parts[0].union(*parts[1:], all=True):
            if moment is not None and (found[name] is None or moment < found[name]):
                found[name] = moment
    return found


def _query_next_publication(moments=None):
    """When the next scheduled change comes, as a timestamp (0.0: none scheduled)."""
    moments = _query_next_moments() if moments is None else moments
    found = [moment for moment in moments.values() if moment is not None]
    return min(found).timestamp() if found else 0.0


def next_moment_of(name):
    """Schedule `name`'s next moment as last looked up: a timestamp, 0.0 when it had
    none, None when unknown. (0.0 lets a fragment know there is nothing to show.)"""
    return state_cache().get(SCHEDULE_KEY_PREFIX + name)


def refresh_next_publication(committed=True):
    """Look up the next scheduled publication and keep it in the state cache."""
    state = state_cache()
    moments = _query_next_moments()
    when = _query_next_publication(moments)
    each = {
        SCHEDULE_KEY_PREFIX + name: moment.timestamp() if moment else 0.0
        for name, moment in moments.items()
    }
    if not committed and connections[DEFAULT_DB_ALIAS].in_atomic_block:
        # Seen from inside a transaction that may yet roll back: never later than
        # what was known before it. The purge after commit sets the exact time.
        previous = state.get(NEXT_KEY)
        if previous and previous > _now():
            when = min(t for t in (when, previous) if t)
        # Nor "nothing scheduled" for a schedule, which a rollback could make untrue.
        state.delete_many(list(each))
    else:
        state.set_many(each, timeout=None)
    state.set(NEXT_KEY, when, timeout=None)
    return when


def publish_due(when):
    """Purge what the changes scheduled for `when` (and since) have changed."""
    since = datetime.fromtimestamp(when, UTC) - timedelta(seconds=1)
    tags = set()
    for schedule in _SCHEDULES.values():
        tags |= schedule.due_tags(since)
    if tags:
        purge(tags)
    return refresh_next_publication()


def seconds_until_next_publication():
    """Seconds until the next scheduled story goes live (None if none is scheduled)."""
    render = current()
    when = render.next_publication if render is not None else _query_next_publication()
    if not when:
        return None
    return when - _now()
