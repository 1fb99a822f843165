"""The front-page desk's move from the `articles` app to its own (`fronts`): the tables
stay, and so do the rows, the permissions each group and user holds, the history (old
versions open and revert) and the admin's old addresses (a permanent redirect)."""

import json
from datetime import timedelta

import pytest
import reversion
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import resolve, reverse
from django.utils import timezone
from reversion.models import Version

from articles.fronts import views as fronts_views
from articles.fronts.defaults import ensure_default_fronts
from articles.fronts.models import Banner, Front, Layout, Pin, Zone
from articles.models import Section, Story
from articles.roles import sync_roles

BEFORE = [("articles", "0026_move_photos"), ("fronts", None)]
MOVED = ["front", "layout", "zone", "pin", "banner"]
TABLES = [f"articles_{model}" for model in MOVED]


def rows():
    """Every row of the moved tables, read with SQL (no model's label in the way)."""
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")
            found[table] = cursor.fetchall()
    return found


def group_permissions():
    """{group: {(content type label, codename, permission pk)}} and the same per user."""
    by_group = {
        group.name: {(p.content_type.app_label, p.codename, p.pk) for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions__content_type")
    }
    return by_group


def held_pks():
    """Permission pks per group and per user: what must not change across the move."""
    return {
        **{f"group {g.name}": {p.pk for p in g.permissions.all()} for g in Group.objects.all()},
        **{
            f"user {p.pk}": set(p.user_set.values_list("pk", flat=True))
            for p in Permission.objects.filter(codename="arrange_fronts")
        },
    }


def content_type_labels():
    return {(ct.pk, ct.app_label, ct.model) for ct in ContentType.objects.filter(model__in=MOVED)}


def version_models():
    """{version pk: [model labels in its serialized data]} of the desk's versions."""
    return {
        version.pk: [obj["model"] for obj in json.loads(version.serialized_data)]
        for version in Version.objects.filter(content_type__model__in=MOVED).order_by("pk")
    }


@pytest.fixture
def desk_with_history(django_user_model):
    """Fronts, a layout with zones and pins and two versions, a banner with two versions
    and a deleted one, an editor holding the permission by group and a user directly."""
    sync_roles()
    editor = django_user_model.objects.create_user("desk", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))
    direct = django_user_model.objects.create_user("direct", is_staff=True)
    direct.user_permissions.add(Permission.objects.get(codename="arrange_fronts"))
    section = Section.objects.create(name="Nation", slug="nation", order=1)
    story = Story.objects.create(
        headline="Ferries return",
        section=section,
        status=Story.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )
    ensure_default_fronts()
    home = Front.objects.get(section=None)
    with reversion.create_revision():
        reversion.set_user(editor)
        layout = Layout.objects.create(front=home, name="Evening edition")
        lead = Zone.objects.create(layout=layout, kind="lead", slots=1)
        Pin.objects.create(layout=layout, zone=lead, story=story)
    with reversion.create_revision():
        reversion.set_user(editor)
        layout.name = "Late edition"
        layout.save()
    with reversion.create_revision():
        banner = Banner.objects.create(
            text="Storm warning", story=story, expires_at=timezone.now() + timedelta(hours=2)
        )
    with reversion.create_revision():
        banner.text = "Storm warning lifted"
        banner.save()
    with reversion.create_revision():
        gone = Banner.objects.create(
            text="Old news", url="https://example.com/", expires_at=timezone.now() + timedelta(1)
        )
    gone_pk = gone.pk
    gone.delete()
    return {"layout": layout, "banner": banner, "gone": gone_pk}


def test_the_move_keeps_rows_permissions_and_history_both_ways(at_migration, desk_with_history):
    # The database as it was before the move, with the desk's data and history in it.
    old_apps = at_migration(BEFORE)
    assert all(ct[1] == "articles" for ct in content_type_labels())
    assert all(
        label.startswith("articles.") for labels in version_models().values() for label in labels
    )
    assert ("articles", "arrange_fronts") in {
        (label, codename) for label, codename, _ in group_permissions()["Editor"]
    }
    OldBanner = old_apps.get_model("articles", "Banner")
    assert OldBanner.objects.get().text == "Storm warning lifted"
    before = rows(), held_pks(), {pk for pk, _, _ in content_type_labels()}
    versions_before = version_models()

    # Forwards: the same rows, permissions (the same rows, relabelled), history.
    at_migration()
    assert rows() == before[0]
    assert held_pks() == before[1]
    assert {pk for pk, _, _ in content_type_labels()} == before[2]
    assert all(ct[1] == "fronts" for ct in content_type_labels())
    assert version_models() == {
        pk: [label.replace("articles.", "fronts.") for label in labels]
        for pk, labels in versions_before.items()
    }
    editor_permissions = group_permissions()["Editor"]
    assert ("fronts", "arrange_fronts") in {(a, c) for a, c, _ in editor_permissions}
    assert ("articles", "arrange_fronts") not in {(a, c) for a, c, _ in editor_permissions}
    assert not Permission.objects.filter(
        content_type__app_label="articles", codename="arrange_fronts"
    ).exists()
    desk = Group.objects.get(name="Editor").user_set.get()
    assert desk.has_perm("fronts.arrange_fronts")
    direct = type(desk).objects.get(username="direct")
    assert direct.has_perm("fronts.arrange_fronts")
    assert not Group.objects.get(name="Reporter").user_set.exists()

    # Old versions open and revert, with today's models.
    layout = Layout.objects.get(pk=desk_with_history["layout"].pk)
    first_layout = Version.objects.get_for_object(layout).order_by("pk").first()
    assert first_layout.field_dict["name"] == "Evening edition"
    first_layout.revision.revert()
    layout.refresh_from_db()
    assert layout.name == "Evening edition"
    assert layout.pins.get().story.headline == "Ferries return"
    banner = Banner.objects.get()
    first_banner = Version.objects.get_for_object(banner).order_by("pk").first()
    assert first_banner.field_dict["text"] == "Storm warning"
    first_banner.revert()
    banner.refresh_from_db()
    assert banner.text == "Storm warning"
    deleted = Version.objects.get_deleted(Banner).get()
    assert deleted.object_id == str(desk_with_history["gone"])
    deleted.revert()
    assert Banner.objects.filter(text="Old news").exists()
    after_reverts = rows(), held_pks()

    # Backwards: as before the move (with the reverts' rows), labels and all.
    at_migration(BEFORE)
    assert rows() == after_reverts[0]
    assert held_pks() == after_reverts[1]
    assert all(ct[1] == "articles" for ct in content_type_labels())
    assert ("articles", "arrange_fronts") in {(a, c) for a, c, _ in group_permissions()["Editor"]}
    assert all(
        label.startswith("articles.") for labels in version_models().values() for label in labels
    )

    # And forwards once more (a database moved back and forth is not left half-moved).
    at_migration()
    assert rows() == after_reverts[0]
    assert held_pks() == after_reverts[1]


# The admin's old addresses, and the public pages' paths and names


@pytest.fixture
def desk(news_editor_client):
    return news_editor_client


@pytest.mark.parametrize("model", ["front", "layout", "banner"])
def test_old_admin_addresses_of_every_moved_admin_redirect_for_good(db, desk, model):
    ensure_default_fronts()
    objects = {
        "front": lambda: Front.objects.get(section=None),
        "layout": lambda: Layout.objects.first(),
        "banner": lambda: Banner.objects.create(
            text="Storm", expires_at=timezone.now() + timedelta(hours=1)
        ),
    }
    obj = objects[model]()
    pages = ["", "add/", f"{obj.pk}/change/", f"{obj.pk}/history/", f"{obj.pk}/delete/"]
    if model == "layout":
        pages.append(f"{obj.pk}/preview/")
    for page in pages:
        old = f"/admin/articles/{model}/{page}"
        response = desk.get(old)
        assert response.status_code == 301, old
        assert response["Location"] == f"/admin/fronts/{model}/{page}"
        assert desk.get(response["Location"]).status_code == 200, response["Location"]
    # A query string goes along (a filtered list).
    response = desk.get(f"/admin/articles/{model}/?o=1")
    assert response["Location"] == f"/admin/fronts/{model}/?o=1"
    assert desk.get(response["Location"]).status_code == 200
    assert reverse(f"admin:fronts_{model}_changelist") == f"/admin/fronts/{model}/"


def test_public_paths_and_names_stay_in_the_articles_namespace(db):
    assert reverse("articles:home") == "/"
    assert reverse("articles:section_detail", kwargs={"slug": "nation"}) == "/sections/nation/"
    assert resolve("/").func.view_class is fronts_views.HomeView
    assert resolve("/sections/nation/").func.view_class is fronts_views.SectionFrontView
    assert resolve("/sections/nation/").namespace == "articles"
    assert resolve("/stories/").url_name == "story_list"
