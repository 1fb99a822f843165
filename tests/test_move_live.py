"""Live coverage's move to its own app (label "live", articles/live/): lossless both ways.

A database with live updates (bylines, a library photo, tombstones), their history and
a group holding their permissions, at the state before the move (articles 0025, no
live app), migrated forwards: the same rows in the same tables, the same content type
(relabelled), the same permissions in every group, old versions that open and revert.
Then backwards: the same again under the old label.

LiveUpdate has no admin of its own (its views are the story admin's, …/live/), so no
old admin address moves: the story admin still shows the live panel and the live desk.
"""

import json

import pytest
import reversion
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from articles import history
from articles.live.history import record_live_change
from articles.live.models import LiveUpdate, LiveUpdateRemoval
from articles.roles import sync_roles
from tests.conftest import library_photo

BEFORE = [("live", None), ("articles", "0028_move_wire")]
TABLES = ("articles_liveupdate", "articles_liveupdate_authors", "articles_liveupdateremoval")


def rows():
    """Every row of the live tables, read with SQL: the same whatever the models say."""
    with connection.cursor() as cursor:
        found = {}
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")
            found[table] = cursor.fetchall()
    return found


def group_permissions():
    """{group name: {permission pk}} of every group."""
    return {
        group.name: set(group.permissions.values_list("pk", flat=True))
        for group in Group.objects.prefetch_related("permissions")
    }


def recorded_model(version_pk):
    return json.loads(Version.objects.get(pk=version_pk).serialized_data)[0]["model"]


def test_moving_live_coverage_to_its_app_and_back_loses_nothing(
    at_migration, make_story, editor, editor_client
):
    # The role groups, as migrations make them (a flushed test database has none).
    sync_roles()
    # Today's models: a live story, its updates (one with a photo), an edit and a
    # deletion recorded in its history (as the live desk records them).
    story = make_story("Typhoon", dek="First dek.", live_started_at=timezone.now())
    with reversion.create_revision():
        reversion.add_to_revision(story)
    first_version = Version.objects.get_for_object(story).get()
    photo = library_photo(alt="Waves")
    pictured = LiveUpdate.objects.create(
        story=story, headline="Landfall", body="<p>It is here.</p>", photo=photo, pinned=True
    )
    edited = LiveUpdate.objects.create(story=story, headline="Before", body="<p>Calm.</p>")
    record_live_change(edited, user=editor, comment="Edited live update")
    update_version = Version.objects.get_for_object(edited).get()
    edited.headline = "After"
    edited.save()
    gone = LiveUpdate.objects.create(story=story, body="<p>A mistake.</p>")
    gone.delete()
    record_live_change(gone, user=editor, comment="Deleted live update")
    type_pk = ContentType.objects.get_for_model(LiveUpdate).pk

    # Before the move: no live app; the content type and history say "articles".
    apps = at_migration(BEFORE)
    with pytest.raises(LookupError):
        apps.get_app_config("live")
    content_type = apps.get_model("contenttypes", "ContentType").objects.get(pk=type_pk)
    assert (content_type.app_label, content_type.model) == ("articles", "liveupdate")
    assert recorded_model(update_version.pk) == "articles.liveupdate"
    # More written the old way: an update with bylines, its version, a tombstone, and
    # a group holding the updates' permissions under the old label.
    OldUpdate = apps.get_model("articles", "LiveUpdate")
    author = apps.get_model("articles", "Author").objects.create(name="Kim Ji-won", slug="kim")
    bylined = OldUpdate.objects.create(story_id=story.pk, body="<p>Winds at 40 m/s.</p>")
    bylined.authors.set([author])
    apps.get_model("articles", "LiveUpdateRemoval").objects.create(story_id=story.pk, update_id=99)
    revision = apps.get_model("reversion", "Revision").objects.create(
        date_created=timezone.now(), comment="Edited live update"
    )
    old_version = apps.get_model("reversion", "Version").objects.create(
        revision=revision,
        object_id=str(bylined.pk),
        content_type=content_type,
        db="default",
        format="json",
        serialized_data=serializers.serialize("json", [bylined]),
        object_repr="Winds at 40 m/s.",
    )
    permission = apps.get_model("auth", "Permission").objects
    desk = apps.get_model("auth", "Group").objects.create(name="Live desk")
    desk.permissions.set(
        permission.filter(content_type__app_label="articles", codename__contains="liveupdate")
    )
    assert desk.permissions.count() == 8  # LiveUpdate's four and LiveUpdateRemoval's
    before, groups = rows(), group_permissions()
    assert {"Reporter", "Editor", "Live desk"} <= set(groups)

    # Forwards: the same rows, the content type relabelled, every group as it was.
    at_migration()
    assert rows() == before
    assert group_permissions() == groups
    assert ContentType.objects.get_for_model(LiveUpdate).pk == type_pk
    assert LiveUpdate._meta.label == "live.LiveUpdate"
    assert {
        p.content_type.app_label for p in Group.objects.get(name="Live desk").permissions.all()
    } == {"live"}
    desk_member = type(editor).objects.create_user("desk", password="x")
    desk_member.groups.add(Group.objects.get(name="Live desk"))
    assert desk_member.has_perm("live.change_liveupdate")
    assert not desk_member.has_perm("articles.change_liveupdate")
    assert LiveUpdate.objects.get(pk=pictured.pk).photo_id == photo.pk
    assert list(LiveUpdate.objects.get(pk=bylined.pk).authors.values_list("name", flat=True)) == [
        "Kim Ji-won"
    ]
    assert set(story.live_updates.values_list("pk", flat=True)) == {
        pictured.pk,
        edited.pk,
        bylined.pk,
    }
    assert LiveUpdateRemoval.objects.filter(story_id=story.pk).count() == 2

    # Old versions open (under the new label) and revert.
    assert recorded_model(update_version.pk) == "live.liveupdate"
    assert recorded_model(old_version.pk) == "live.liveupdate"
    assert Version.objects.get_for_object(edited).get().pk == update_version.pk
    recorded = Version.objects.get(pk=old_version.pk)._object_version
    assert recorded.object.body == "<p>Winds at 40 m/s.</p>"
    assert recorded.m2m_data["authors"] == [author.pk]
    Version.objects.get(pk=update_version.pk).revert()
    assert LiveUpdate.objects.get(pk=edited.pk).headline == "Before"
    # The story's history: its page, the version holding an update, the restore.
    assert (
        editor_client.get(reverse("admin:articles_story_history", args=[story.pk])).status_code
        == 200
    )
    story_in_update_revision = update_version.revision.version_set.exclude(
        pk=update_version.pk
    ).get()
    revision_page = editor_client.get(
        reverse("admin:articles_story_revision", args=[story.pk, story_in_update_revision.pk])
    )
    assert revision_page.status_code == 200
    with transaction.atomic():
        history.restore(Version.objects.get(pk=first_version.pk))
    assert LiveUpdate.objects.filter(story=story).count() == 3  # a revert keeps updates

    # The story admin still carries the live desk (LiveUpdate has no admin of its own).
    change = editor_client.get(reverse("admin:articles_story_change", args=[story.pk]))
    assert 'id="live-updates"' in change.content.decode()
    desk_page = editor_client.get(f"/admin/articles/story/{story.pk}/live/")
    assert desk_page.status_code == 200 and b"Landfall" in desk_page.content
    assert editor_client.get("/admin/live/").status_code == 404  # no models to list
    after = rows()

    # Backwards: the same rows again, under the old label.
    apps = at_migration(BEFORE)
    assert rows() == after
    content_type = apps.get_model("contenttypes", "ContentType").objects.get(pk=type_pk)
    assert content_type.app_label == "articles"
    assert recorded_model(update_version.pk) == "articles.liveupdate"
    assert recorded_model(old_version.pk) == "articles.liveupdate"
    assert group_permissions() == groups
    restored = apps.get_model("articles", "LiveUpdate").objects.get(pk=edited.pk)
    assert restored.headline == "Before"


def test_a_fresh_database_has_the_live_models_under_their_label(db):
    content_type = ContentType.objects.get_for_model(LiveUpdate)
    assert content_type.app_label == "live"
    assert LiveUpdate._meta.db_table == "articles_liveupdate"
    assert LiveUpdate.authors.through._meta.db_table == "articles_liveupdate_authors"
    assert LiveUpdateRemoval._meta.db_table == "articles_liveupdateremoval"
    assert not ContentType.objects.filter(app_label="articles", model="liveupdate").exists()


def test_the_story_core_never_imports_live_coverage():
    """articles/live/ imports the core; nothing of the core imports it (not even in a
    function). The demo (load_demo) is not the core: it fills every desk; nor is the
    content API (articles/api/), a room above the desks."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "articles"
    above = {root / "live", root / "demo", root / "api"}
    allowed = {root / "management" / "commands" / "load_demo.py"}
    offenders = []
    for path in root.rglob("*.py"):
        if above & set(path.parents) or path in allowed:
            continue
        package = ".".join(path.relative_to(root.parent).with_suffix("").parts[:-1])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, *([base] if base else [])])
                names = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            if any(name == "articles.live" or name.startswith("articles.live.") for name in names):
                offenders.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert not offenders, offenders
