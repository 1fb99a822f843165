"""Shared fixtures: small factories for the newsroom's content."""

import io
import itertools
import os
import sqlite3
import sys
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models.signals import post_migrate
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from articles.fronts.defaults import ensure_default_fronts
from articles.models import Author, RelatedHeadline, Section, Story, StoryAuthor
from articles.roles import sync_roles
from tests import tiers

pytest_plugins = ["tests.site_templates"]  # one templates folder for the sites a run starts
_counter = itertools.count(1)

# Keep the test modules' rewritten bytecode (pytest's assertion rewriting) even where
# PYTHONDONTWRITEBYTECODE is set: rewriting every module again took each parallel
# worker six seconds of its start. The caches go to __pycache__ folders (git-ignored).
sys.dont_write_bytecode = False


def at(moment):
    """Freeze the clock every visibility decision reads (`with at(NOON): …`)."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def require(condition, reason):
    """Skip a test whose outside dependency is missing, except in CI, where it fails."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


def pytest_addoption(parser):
    parser.addoption(
        "--fast",
        action="store_true",
        help="only the tests that start no browser and no other process and replay no "
        "migrations (tests/tiers.py)",
    )


def pytest_configure(config):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        tiers.isolate_worker(worker)
    post_migrate.connect(_restore_data_migrations_rows, dispatch_uid="tests-data-migrations")
    # Image work at full priority: at the production niceness (19) a test waiting for its
    # renditions crawled whenever the other worker, or anything else, kept the CPU busy.
    # test_photo_bulk sets its own niceness where the niceness is what it checks.
    override_settings(NEWSROOM={**settings.NEWSROOM, "PHOTO_WORKER_NICE": 0}).enable()


def _restore_data_migrations_rows(sender, using="default", verbosity=1, **kwargs):
    """Make again what the data migrations made, after a transactional test's flush.

    The test framework's flush (transaction=True, live_server; verbosity 0, not
    interactive) empties every table, the roles' groups and the default fronts with
    them, then sends post_migrate. Restored here, the tests that follow find the
    database as migrated whatever order the parallel workers run them in (Django's
    serialized_rollback does the same at the cost of a dump per test). A test's own
    `flush` (tests/test_backup.py) runs at verbosity 1 and is left as an operator's.
    """
    if sender.label == "articles" and verbosity == 0 and not kwargs.get("interactive"):
        sync_roles(using=using)
        ensure_default_fronts(using=using)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups (tiers.group_by_module)
def pytest_collection_modifyitems(config, items):
    """Mark tests by what they start; run database-specific tests only against their database.

    Tests marked `postgres` need PostgreSQL features (full-text search, …) and tests
    marked `sqlite` exercise the embedded fallback; the suite runs once per database
    (see .ci/run), so each pass deselects the other's tests instead of skipping them.
    `--fast` (`make test-fast`) also deselects the tests marked `browser`, `server` or
    `migrations`.
    """
    from django.conf import settings

    tiers.classify(items)
    engine = settings.DATABASES["default"]["ENGINE"]
    other = "sqlite" if "postgresql" in engine else "postgres"
    fast = config.getoption("fast")
    keep, drop = [], []
    for item in items:
        left_out = item.get_closest_marker(other) or (fast and not tiers.in_fast_tier(item))
        (drop if left_out else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    tiers.group_by_module(items)


@pytest.fixture(autouse=True)
def _processes_only_when_marked(request, monkeypatch):
    """A test that starts a process must say so (tests/tiers.py), or it fails."""
    if not tiers.starts_processes(request.node):
        tiers.refuse_processes(monkeypatch, request.node.nodeid)


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    """Uploads go to the test's own folder; static URLs need no collectstatic run.

    Tests that start gunicorn run collectstatic and use the production storage.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "originals": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "originals"},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users made by tests need no slow, attack-resistant hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def image_bytes(width=1200, height=800, fmt="JPEG", color=(40, 90, 140), mode="RGB", **options):
    """An image file's bytes; `options` go to Pillow's save (quality, exif, …)."""
    buffer = io.BytesIO()
    Image.new(mode, (width, height), color if mode == "RGB" else 0).save(buffer, fmt, **options)
    return buffer.getvalue()


def library_photo(upload=None, *, ready=True, **fields):
    """A photo of the library (articles/photos/), its renditions made now unless
    `ready=False` (then it is "processing", as until the worker has run)."""
    from articles.models import Photo
    from articles.photos.tasks import make_photo_renditions

    if upload is None:
        upload = SimpleUploadedFile("photo.jpg", image_bytes(), content_type="image/jpeg")
    photo = Photo.objects.create(original=upload, **fields)
    if ready:
        make_photo_renditions.call(photo.pk)
        photo = Photo.objects.get(pk=photo.pk)
    return photo


@pytest.fixture
def photo_upload():
    def make(name="photo.jpg", **kwargs):
        return SimpleUploadedFile(name, image_bytes(**kwargs), content_type="image/jpeg")

    return make


@pytest.fixture
def section(db):
    return Section.objects.create(name="Nation", slug="nation", order=1)


@pytest.fixture
def make_section(db):
    return section_factory()


def section_factory():
    def make(name=None, **kwargs):
        n = next(_counter)
        name = name or f"Section {n}"
        kwargs.setdefault("slug", f"section-{n}")
        return Section.objects.create(name=name, **kwargs)

    return make


@pytest.fixture
def make_author(db):
    return author_factory()


def author_factory():
    def make(name=None, **kwargs):
        n = next(_counter)
        name = name or f"Reporter {n}"
        kwargs.setdefault("slug", f"reporter-{n}")
        return Author.objects.create(name=name, **kwargs)

    return make


@pytest.fixture
def make_story(db, section):
    """Create a story; published an hour ago unless told otherwise.

    `authors` and `tags` take lists; `related` takes (headline, url, target) tuples.
    """
    return story_factory(section)


def story_factory(section):
    """`make_story` with `section` as the default section (for wider-scoped fixtures)."""

    def make(headline=None, *, authors=(), tags=(), related=(), **kwargs):
        n = next(_counter)
        if isinstance(kwargs.get("lead_photo"), File):
            # An upload: a library photo with the photo's own fields, renditions made.
            kwargs["lead_photo"] = library_photo(
                kwargs["lead_photo"],
                credit=kwargs.pop("photo_credit", ""),
                alt=kwargs.pop("photo_alt", ""),
                focal_x=kwargs.pop("lead_photo_focal_x", 0.5),
                focal_y=kwargs.pop("lead_photo_focal_y", 0.5),
            )
        kwargs.setdefault("section", section)
        kwargs.setdefault("status", Story.Status.PUBLISHED)
        if kwargs["status"] == Story.Status.PUBLISHED:
            kwargs.setdefault("published_at", timezone.now() - timedelta(hours=1, minutes=n))
        kwargs.setdefault("dek", f"What happened in story {n}.")
        kwargs.setdefault("body", f"<p>Body of story {n}.</p>")
        story = Story.objects.create(headline=headline or f"Story number {n}", **kwargs)
        for order, author in enumerate(authors):
            StoryAuthor.objects.create(story=story, author=author, order=order)
        if tags:
            story.tags.add(*tags)
        for order, (text, url, target) in enumerate(related):
            RelatedHeadline.objects.create(
                story=story, headline=text, url=url, target=target, order=order
            )
        return story

    return make


@pytest.fixture
def editor(db, django_user_model):
    return django_user_model.objects.create_superuser(
        "editor", "editor@example.com", "correct horse battery staple"
    )


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def role_user(db, django_user_model):
    """A staff user in one of the newsroom's groups (articles.roles).

    The data migration creates the groups; tests that flush the database (live
    server, transaction=True) lose them, so they are made again when missing.
    """
    from django.contrib.auth.models import Group

    from articles.roles import sync_roles

    def make(role, username, **fields):
        if not Group.objects.filter(name=role).exists():
            sync_roles()
        user = django_user_model.objects.create_user(username, is_staff=True, **fields)
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def reporter(role_user):
    return role_user("Reporter", "reporter", first_name="Min-ji", last_name="Kim")


@pytest.fixture
def news_editor(role_user):
    """An editor by role (the Editor group), not a superuser like `editor`."""
    return role_user("Editor", "desk", first_name="Ji-ho", last_name="Park")


@pytest.fixture
def login(db):
    """A separate logged-in test client per user, for tests with several sessions."""
    from django.test import Client

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def reporter_client(login, reporter):
    return login(reporter)


@pytest.fixture
def news_editor_client(login, news_editor):
    return login(news_editor)


@pytest.fixture
def base_url(settings):
    """A public address unlike the test client's host: absolute URLs must use it."""
    settings.NEWSROOM = {**settings.NEWSROOM, "BASE_URL": "https://news.example.com"}
    return "https://news.example.com"


@pytest.fixture
@tiers.starts(tiers.MIGRATIONS)
def at_migration(transactional_db):
    """Migrate the test database to `targets` ([(app, migration or None)]; none: the
    latest) and return the apps as migrated there (every app's historical models);
    back to the latest after the test.

    On SQLite "back to the latest" copies back the database as it was before the test,
    which the migrations made (the test's own rows go with the flush that follows
    anyway): migrating forward again took seconds a test. A test that checks migrating
    forward does so itself.
    """
    snapshot = None
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        snapshot = sqlite3.connect(":memory:")
        connection.connection.backup(snapshot)

    def migrate(targets=None):
        executor = MigrationExecutor(connection)
        state = executor.migrate(targets or executor.loader.graph.leaf_nodes())
        # The real models' content type cache knew the other label.
        ContentType.objects.clear_cache()
        # The project state there, rendered now (every applied migration's models).
        return state.apps

    yield migrate
    if snapshot is None:
        migrate()
    else:
        connection.ensure_connection()
        snapshot.backup(connection.connection)
        snapshot.close()
        ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with empty caches (pages, axes; the cache tags' versions in "state")."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


# The live site (real gunicorn, production settings) and Chromium: see tests/live.py.
from tests.live import browser, live_site  # noqa: E402, F401
