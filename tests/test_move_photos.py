"""The photo library's move to an app of its own ("photos"): nothing is lost.

On a database with the models still in `articles` (migration 0025), with rows of every
moved model, groups holding the photo permissions as they did, and history recorded
before the move: migrating forwards keeps every row and table, every group's
permissions, and the old versions open and revert; migrating backwards again too. Old
admin addresses of each moved model's admin answer with a permanent redirect.
"""

import json

import pytest
from django.contrib import admin
from django.core import serializers
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from articles.roles import ROLE_PERMISSIONS

# Before the move: the photos app unapplied (and with it articles' 0026_move_photos),
# articles at 0025_live_update_changes.
BEFORE = [("photos", None)]
DESKS = {"photos", "fronts", "live", "wire"}
MOVED = ["photo", "taggedphoto", "gallery", "galleryphoto", "photoupload", "photouploadfile"]


def _old_roles():
    """The groups' permissions as they were named before the desks moved (the test
    migrates back past every desk's move, photos' being the first)."""
    return {
        name: {("articles" if label in DESKS else label, codename) for label, codename in wanted}
        for name, wanted in ROLE_PERMISSIONS.items()
    }


def _group_permissions(apps):
    """Each group's permissions: (id, codename)."""
    Group = apps.get_model("auth", "Group")
    return {
        group.name: set(group.permissions.values_list("pk", "codename"))
        for group in Group.objects.all()
    }


def _labels(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return dict(ContentType.objects.filter(model__in=MOVED).values_list("model", "app_label"))


def _record(apps, revision, obj, label):
    """A version of `obj` as django-reversion wrote it before the move."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _ = ContentType.objects.get_or_create(app_label=label, model=obj._meta.model_name)
    return apps.get_model("reversion", "Version").objects.create(
        revision=revision,
        object_id=str(obj.pk),
        content_type=content_type,
        db="default",
        format="json",
        serialized_data=serializers.serialize("json", [obj]),
        object_repr=str(obj.pk),
    )


def _populate(old):
    """Rows of every moved model, the story core's rows pointing at them, groups holding
    the photo permissions as `articles.…`, and a revision of a gallery and a story."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    create_permissions(global_apps.get_app_config("articles"), apps=old, verbosity=0)
    User = old.get_model("auth", "User")
    user = User.objects.create(username="desk", is_staff=True)
    Photo = old.get_model("articles", "Photo")
    photo = Photo.objects.create(
        original="photos/2026/12/ferry.jpg",
        width=1200,
        height=800,
        caption="A ferry at dawn",
        credit="Yonhap",
        sha256="a" * 64,
    )
    tag = old.get_model("taggit", "Tag").objects.create(name="Busan port", slug="busan-port")
    old.get_model("articles", "TaggedPhoto").objects.create(content_object=photo, tag=tag)
    gallery = old.get_model("articles", "Gallery").objects.create(title="The harbour")
    item = old.get_model("articles", "GalleryPhoto").objects.create(
        gallery=gallery, photo=photo, caption="Its own caption", order=1
    )
    upload = old.get_model("articles", "PhotoUpload").objects.create(uploaded_by=user)
    old.get_model("articles", "PhotoUploadFile").objects.create(
        upload=upload, position=1, name="ferry.jpg", state="accepted", photo=photo
    )
    section = old.get_model("articles", "Section").objects.create(name="Nation", slug="nation")
    story = old.get_model("articles", "Story").objects.create(
        headline="The ferry",
        slug="the-ferry",
        section=section,
        body=f"<p>Words.</p><p>[gallery {gallery.pk}]</p>",
        lead_photo=photo,
        status="published",
        published_at=timezone.now(),
    )
    old.get_model("articles", "BodyUse").objects.create(story=story, gallery=gallery)

    Permission = old.get_model("auth", "Permission")
    for name, wanted in _old_roles().items():
        group, _ = old.get_model("auth", "Group").objects.get_or_create(name=name)
        found = {
            (label, codename): pk
            for pk, label, codename in Permission.objects.values_list(
                "pk", "content_type__app_label", "codename"
            )
        }
        group.permissions.set([found[key] for key in wanted if key in found])

    revision = old.get_model("reversion", "Revision").objects.create(
        date_created=timezone.now(), user=user, comment="Before the move"
    )
    _record(old, revision, gallery, "articles")
    _record(old, revision, item, "articles")
    _record(old, revision, story, "articles")
    return {"photo": photo.pk, "gallery": gallery.pk, "item": item.pk, "story": story.pk}


def _rows():
    """Every moved table's rows, read with SQL (no model, no app label)."""
    tables = [
        "articles_photo",
        "articles_taggedphoto",
        "articles_gallery",
        "articles_galleryphoto",
        "articles_photoupload",
        "articles_photouploadfile",
        "articles_bodyuse",
    ]
    with connection.cursor() as cursor:
        found = {}
        for table in tables:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")
            found[table] = cursor.fetchall()
        cursor.execute("SELECT id, lead_photo_id FROM articles_story ORDER BY id")
        found["articles_story"] = cursor.fetchall()
    return found


def test_moving_the_photo_library_keeps_rows_permissions_and_history(at_migration, client):
    old = at_migration(BEFORE)
    ids = _populate(old)
    rows = _rows()
    permissions = _group_permissions(old)
    assert permissions["Editor"] and permissions["Reporter"]
    assert set(_labels(old).values()) == {"articles"}

    # Forwards
    new = at_migration()
    assert _rows() == rows  # the same tables, the same rows
    after = _group_permissions(new)
    for name in permissions:  # the same permission rows, relabelled
        assert after[name] == permissions[name], (
            name,
            after[name] - permissions[name],
            permissions[name] - after[name],
        )
    assert _labels(new) == dict.fromkeys(MOVED, "photos")

    from django.contrib.auth.models import Group, User
    from reversion.models import Version

    from articles import history
    from articles.models import Story
    from articles.photos.models import Gallery, GalleryPhoto, Photo

    editor_group = Group.objects.get(name="Editor")
    named = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in editor_group.permissions.select_related("content_type")
    }
    assert {"photos.change_photo_rights", "photos.delete_photo", "photos.add_gallery"} <= named
    assert not {name for name in named if name.startswith("articles.") and "photo" in name}

    photo = Photo.objects.get(pk=ids["photo"])
    assert list(photo.tags.names()) == ["Busan port"]
    assert photo.upload_files.get().name == "ferry.jpg"
    assert Story.objects.get(pk=ids["story"]).lead_photo == photo
    assert list(Story.objects.filter(body_uses__gallery_id=ids["gallery"])) == [
        Story.objects.get(pk=ids["story"])
    ]

    # The history recorded before the move opens and reverts.
    gallery = Gallery.objects.get(pk=ids["gallery"])
    [version] = Version.objects.get_for_object(gallery)
    assert json.loads(version.serialized_data)[0]["model"] == "photos.gallery"
    assert version.field_dict["title"] == "The harbour"
    Gallery.objects.filter(pk=gallery.pk).update(title="Renamed")
    GalleryPhoto.objects.filter(pk=ids["item"]).update(caption="Changed")
    version.revision.revert()
    assert Gallery.objects.get(pk=gallery.pk).title == "The harbour"
    assert GalleryPhoto.objects.get(pk=ids["item"]).caption == "Its own caption"

    story = Story.objects.get(pk=ids["story"])
    [story_version] = Version.objects.get_for_object(story)
    assert story_version.field_dict["lead_photo_id"] == photo.pk
    Story.objects.filter(pk=story.pk).update(headline="Changed since")
    with transaction.atomic():  # as the admin's revert runs it
        history.restore(story_version)
    story.refresh_from_db()
    assert (story.headline, story.lead_photo_id) == ("The ferry", photo.pk)

    editor = User.objects.create_superuser("chief", "chief@example.com", "x")
    client.force_login(editor)
    for url in (
        reverse("admin:photos_gallery_history", args=[gallery.pk]),
        reverse("admin:photos_gallery_revision", args=[gallery.pk, version.pk]),
        reverse("admin:photos_photo_change", args=[photo.pk]),
        reverse("admin:articles_story_history", args=[story.pk]),
    ):
        assert client.get(url).status_code == 200, url

    # Backwards: the same again, under the old label.
    old = at_migration(BEFORE)
    assert _rows()["articles_photo"] == rows["articles_photo"]
    assert _group_permissions(old) == permissions
    assert set(_labels(old).values()) == {"articles"}
    data = (
        old.get_model("reversion", "Version")
        .objects.get(content_type__model="gallery")
        .serialized_data
    )
    assert json.loads(data)[0]["model"] == "articles.gallery"


@pytest.mark.django_db
def test_old_admin_addresses_of_the_moved_models_redirect(editor_client):
    from articles.photos import models

    moved = [
        model
        for model in (
            models.Photo,
            models.TaggedPhoto,
            models.Gallery,
            models.GalleryPhoto,
            models.PhotoUpload,
            models.PhotoUploadFile,
        )
        if admin.site.is_registered(model)
    ]
    assert {model._meta.model_name for model in moved} >= {"photo", "gallery"}
    photo = models.Photo.objects.create(original="photos/x.jpg", width=10, height=10)
    gallery = models.Gallery.objects.create(title="Harbour")
    objects = {models.Photo: photo.pk, models.Gallery: gallery.pk}
    for model in moved:
        name = model._meta.model_name
        pages = [("", "changelist", []), ("add/", "add", [])]
        if model in objects:
            pk = objects[model]
            pages.append((f"{pk}/change/", "change", [pk]))
        for old_rest, view, args in pages:
            old = f"/admin/articles/{name}/{old_rest}"
            response = editor_client.get(old + "?q=x")
            new = reverse(f"admin:photos_{name}_{view}", args=args)
            assert response.status_code == 301, old
            assert response["Location"] == new + "?q=x"
            assert editor_client.get(new).status_code == 200, new
    # The library's own pages moved the same way.
    response = editor_client.get("/admin/articles/photo/upload/")
    assert (response.status_code, response["Location"]) == (
        301,
        reverse("admin:photos_photo_bulk_upload"),
    )


def test_the_library_imports_nothing_of_the_story_core():
    """articles/photos/ sits below the story core: it imports only itself and the
    low-level utilities (images, roles, sanitize, the task mechanism, the cache), at
    module level or inside a function."""
    from bench import structure

    low_level = {"articles", "articles.images", "articles.roles", "articles.sanitize"}
    low_level |= {"articles.tasks"}  # background_task: django-tasks, no model
    modules = structure.collect()
    found = {
        (name, target)
        for name, module in modules.items()
        if name == "articles.photos" or name.startswith("articles.photos.")
        for target in module.top_imports | {target for _, target in module.function_imports}
        if not (target == "articles.photos" or target.startswith("articles.photos."))
        and not (target == "articles.cache" or target.startswith("articles.cache."))
        and target not in low_level
    }
    assert not found
