"""The wire's models moved from the `articles` app to their own, `wire` (articles/wire/).

articles/wire/migrations/0001_initial.py and articles/migrations/0028_move_wire.py move
them in the migration state only: a populated database (sources, mappings, items, a
draft made from an item with its history, admin log entries) keeps every row, every
group keeps the same permissions, and history still opens and reverts, forwards and
backwards. The old admin addresses of the moved models redirect to the new ones.
"""

import json
from pathlib import Path

import pytest
from django.apps import apps as global_apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from reversion.models import Revision, Version

from articles.models import Story
from articles.roles import sync_roles
from articles.wire import ingest
from articles.wire.models import SubjectMapping, WireItem, WireSource
from tests.background_tasks import run_worker

SAMPLES = Path(__file__).parent / "wire_samples"
# Before the move: the `articles` app as it was, and no `wire` app at all (unapplying
# wire's 0001 unapplies articles' 0026 first, which depends on it).
BEFORE = [("articles", "0027_move_fronts"), ("wire", None)]
MOVED = ("wiresource", "wireitem", "subjectmapping")


def sample(name):
    return (SAMPLES / name).read_bytes()


@pytest.fixture(autouse=True)
def wire_root(settings, tmp_path):
    settings.NEWSROOM = {**settings.NEWSROOM, "WIRE_ROOT": tmp_path}
    return tmp_path


def group_permissions():
    """Each group's permissions, by row (the ids) and by name (label and codename)."""
    return {
        group.name: sorted(
            group.permissions.values_list("pk", "content_type__app_label", "codename")
        )
        for group in Group.objects.order_by("name")
    }


def rows(apps, label):
    """Every row of the moved tables, through `label`'s models, by model name."""
    return {
        name: sorted(
            apps.get_model(label, name).objects.values_list(*fields),
        )
        for name, fields in (
            ("WireSource", ("pk", "name", "slug", "format", "default_section_id", "token_hash")),
            ("SubjectMapping", ("pk", "code", "source_id", "tag", "section_id")),
            (
                "WireItem",
                ("pk", "source_id", "guid", "version", "status", "headline", "story_id"),
            ),
        )
    }


def populated(section, editor):
    """The wire as a newsroom has it: a source with a token and a mapping, items (a
    rejected one among them), a draft made from an item and updated by a newer version
    (its history), and admin log entries of the wire's objects."""
    source = WireSource.objects.create(
        name="Agency ninjs", slug="agency", format="ninjs", default_section=section
    )
    source.new_token()
    source.save()
    SubjectMapping.objects.create(code="medtop:04000000", tag="Economy", source=source)
    SubjectMapping.objects.create(code="medtop:20000523", tag="Interest rates")
    first, _ = ingest.receive(source, sample("ninjs1-budget.json"), "v1.json")
    ingest.receive(source, sample("ninjs-malformed.json"), "bad.json")
    story, created = ingest.make_draft(first, user=editor)
    assert created
    ingest.receive(source, sample("ninjs1-budget-v2.json"), "v2.json")
    run_worker()  # the newer version rewrites the untouched draft: a second revision
    story.refresh_from_db()
    assert story.headline.endswith("(corrected)")
    assert Version.objects.get_for_object(story).count() == 2

    for obj, message in ((source, "Changed token."), (first, "Made a draft.")):
        LogEntry.objects.create(
            user=editor,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            action_flag=CHANGE,
            change_message=message,
        )
    # History naming a moved model ("app_label.model" in its data): rewritten both ways.
    revision = Revision.objects.create(
        user=editor, comment="Source as it was", date_created=timezone.now()
    )
    source_version = Version.objects.create(
        revision=revision,
        object_id=str(source.pk),
        content_type=ContentType.objects.get_for_model(source),
        db="default",
        format="json",
        serialized_data=serializers.serialize("json", [source]),
        object_repr=str(source),
    )
    return source, story, source_version


def test_the_move_keeps_rows_permissions_and_history_both_ways(
    at_migration, section, editor, news_editor, reporter
):
    source, story, source_version = populated(section, editor)
    sync_roles()  # the groups as the last migration leaves them
    permissions = group_permissions()
    assert ("wire", "view_wireitem") in {p[1:] for p in permissions["Reporter"]}
    new_rows = rows(global_apps, "wire")
    assert len(new_rows["WireItem"]) == 3 and new_rows["WireItem"][-1][-1] == story.pk
    story_history = dict(Version.objects.get_for_object(story).values_list("pk", "serialized_data"))
    log_ids = sorted(LogEntry.objects.values_list("pk", "content_type_id"))

    # Backwards: the models are the `articles` app's again, over the same rows.
    apps = at_migration(BEFORE)
    assert rows(apps, "articles") == new_rows
    with pytest.raises(LookupError):
        apps.get_app_config("wire")
    content_types = apps.get_model("contenttypes", "ContentType").objects
    assert set(content_types.filter(model__in=MOVED).values_list("app_label", flat=True)) == {
        "articles"
    }
    old = group_permissions()
    assert [[p[0] for p in perms] for perms in old.values()] == [
        [p[0] for p in perms] for perms in permissions.values()
    ]  # the same permission rows, named under the old label
    assert ("articles", "view_wireitem") in {p[1:] for p in old["Reporter"]}
    assert ("articles", "make_story_from_wireitem") in {p[1:] for p in old["Reporter"]}
    assert ("articles", "change_wiresource") in {p[1:] for p in old["Editor"]}
    assert not any(label == "wire" for perms in old.values() for _, label, _ in perms)
    assert sorted(LogEntry.objects.values_list("pk", "content_type_id")) == log_ids
    recorded = json.loads(Version.objects.get(pk=source_version.pk).serialized_data)
    assert recorded[0]["model"] == "articles.wiresource"
    # The story's own history names no wire model: untouched.
    stored = Version.objects.filter(pk__in=story_history).values_list("pk", "serialized_data")
    assert dict(stored) == story_history

    # Forwards again: the `wire` app's, the same rows, permissions and history.
    apps = at_migration()
    assert rows(apps, "wire") == new_rows
    assert group_permissions() == permissions
    assert sorted(LogEntry.objects.values_list("pk", "content_type_id")) == log_ids
    assert ContentType.objects.get_for_model(WireItem).app_label == "wire"

    # Old versions open and revert (the source's as django-reversion reads one: its
    # serialized data, deserialized; the wire's models are not versioned themselves).
    version = Version.objects.get(pk=source_version.pk)
    assert json.loads(version.serialized_data)[0]["model"] == "wire.wiresource"
    (recorded,) = serializers.deserialize("json", version.serialized_data)
    assert isinstance(recorded.object, WireSource) and recorded.object.slug == "agency"
    WireSource.objects.filter(pk=source.pk).update(name="Renamed")
    recorded.save()
    assert WireSource.objects.get(pk=source.pk).name == "Agency ninjs"
    versions = list(Version.objects.get_for_object(story).order_by("pk"))
    assert [v.pk for v in versions] == sorted(story_history)
    assert not versions[0].field_dict["headline"].endswith("(corrected)")
    versions[0].revision.revert()
    assert not Story.objects.get(pk=story.pk).headline.endswith("(corrected)")
    assert WireItem.objects.filter(story=story).count() == 2

    # The desks work with what they had: the Wire lists it, its history shows the log,
    # the source's token still answers pushes.
    desk = Client()
    desk.force_login(news_editor)
    changelist = desk.get(reverse("admin:wire_wireitem_changelist"))
    assert changelist.status_code == 200
    assert "(corrected)" in changelist.content.decode()
    history = desk.get(reverse("admin:wire_wiresource_history", args=[source.pk]))
    assert "Changed token." in history.content.decode()
    reporter_desk = Client()
    reporter_desk.force_login(reporter)
    item = WireItem.objects.filter(story=story).first()
    assert (
        reporter_desk.get(reverse("admin:wire_wireitem_change", args=[item.pk])).status_code == 200
    )


@pytest.mark.django_db
@pytest.mark.parametrize("model", [WireSource, WireItem, SubjectMapping])
def test_old_admin_addresses_of_the_wire_redirect_to_the_new_ones(editor_client, section, model):
    source = WireSource.objects.create(name="Agency", slug="agency", format="ninjs")
    objects = {
        WireSource: source,
        WireItem: WireItem.objects.create(source=source, guid="g", headline="Budget passes"),
        SubjectMapping: SubjectMapping.objects.create(code="medtop:04000000", tag="Economy"),
    }
    obj = objects[model]
    name = model._meta.model_name
    assert model._meta.app_label == "wire" and model._meta.db_table == f"articles_{name}"
    for old, new in (
        (f"/admin/articles/{name}/", reverse(f"admin:wire_{name}_changelist")),
        (
            f"/admin/articles/{name}/?q=agency",
            reverse(f"admin:wire_{name}_changelist") + "?q=agency",
        ),
        (
            f"/admin/articles/{name}/{obj.pk}/change/",
            reverse(f"admin:wire_{name}_change", args=[obj.pk]),
        ),
        (
            f"/admin/articles/{name}/{obj.pk}/history/",
            reverse(f"admin:wire_{name}_history", args=[obj.pk]),
        ),
    ):
        response = editor_client.get(old)
        assert response.status_code == 301, old
        assert response["Location"] == new
        assert editor_client.get(new).status_code == 200, new
