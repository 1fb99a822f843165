"""Who may open what: every admin URL and every public URL with a staff-only branch.

One table, `MATRIX`: for each URL name and each object it is asked about, the answer
expected for (anonymous, reporter A, reporter B, editor). The stories are A's draft,
B's draft, a published story and a scheduled one (an editor's); history URLs are
asked about versions of each. Beyond the status, no answer may carry the headline or
address of a story that user may not see (`MAY_SEE`).

`test_every_admin_url_is_in_the_matrix` lists the admin's URL names at runtime: a new
admin view fails the suite until its row is added here.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
import reversion
from django.apps import apps as django_apps
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from reversion.models import Version
from taggit.models import Tag

from articles.api.models import ApiKey
from articles.fronts.models import Banner
from articles.live.models import LiveUpdate
from articles.models import Author, Photo, Section, Story
from articles.photos.models import Gallery, GalleryPhoto, PhotoUpload, PhotoUploadFile
from tests.background_tasks import flaky
from tests.conftest import image_bytes

ROLES = ("anonymous", "reporter A", "reporter B", "editor")

# Expected answers besides status codes.
LOGIN = "log-in"  # 302 to the admin's log-in page
HOME = "admin home"  # 302 to the admin index: Django's "no such object" for a queryset miss
SITE = "the story"  # 302 (or 301 from a former address) to the story's public address

# The stories each role may see: a reporter their own, an editor all, everyone the public.
MAY_SEE = {
    "anonymous": {"published"},
    "reporter A": {"A's draft", "published", "A's deleted draft"},  # their recent actions
    "reporter B": {"B's draft", "published"},
    "editor": {"A's draft", "B's draft", "published", "scheduled", "A's deleted draft"},
}

STORIES = ("A's draft", "B's draft", "published", "scheduled")

# The same answers for every story: what a user gets for a story they may see in the
# admin (OK) and for one they may not (NO).
A_ONLY = {"A's draft", "published"}


def per_story(ok, no, *, anonymous=LOGIN, reporter_sees=("own",)):
    """Rows for the four stories: reporters get `ok` for their own draft, `no` otherwise;
    the editor `ok` for all; anonymous users `anonymous`."""
    rows = {}
    for story in STORIES:
        rows[story] = (
            anonymous,
            ok if story == "A's draft" else no,
            ok if story == "B's draft" else no,
            ok,
        )
    return rows


def same(*answers, objects=(None,)):
    return dict.fromkeys(objects, answers)


MATRIX = {
    # The admin site's own views.
    "index": same(LOGIN, 200, 200, 200),
    "login": same(200, HOME, HOME, HOME),
    "logout": same(HOME, 405, 405, 405),  # log out with POST only
    "password_change": same(LOGIN, 200, 200, 200),
    "password_change_done": same(LOGIN, 200, 200, 200),
    "jsi18n": same(LOGIN, 200, 200, 200),
    "app_list": {
        "articles": (LOGIN, 200, 200, 200),
        "photos": (LOGIN, 200, 200, 200),  # the photo library
        "wire": (LOGIN, 200, 200, 200),  # every desk reads the wire (articles/wire/)
        "taggit": (LOGIN, 404, 404, 200),
        "fronts": (LOGIN, 404, 404, 200),
        "api": (LOGIN, 404, 404, 200),  # partners' keys and webhooks: editors only
        "auth": (LOGIN, 404, 404, 404),
        "axes": (LOGIN, 404, 404, 404),
    },
    # Only the autocomplete fields of forms the user may fill in; choices from what
    # they may see or link (any public story).
    "autocomplete": {
        "relatedheadline.target": (LOGIN, 200, 200, 200),
        "storyauthor.author": (LOGIN, 200, 200, 200),
        "story.section": (LOGIN, 200, 200, 200),
        "story.lead_photo": (LOGIN, 200, 200, 200),  # the photo library
        "galleryphoto.photo": (LOGIN, 200, 200, 200),  # a gallery's photos, from it
        "correction.story": (LOGIN, 403, 403, 403),
        "banner.story": (LOGIN, 403, 403, 200),  # the banner is editors' only
        "storyauthor.story": (LOGIN, 403, 403, 403),
        # A plain choice of staff accounts in the author form, not an autocomplete.
        "author.user": (LOGIN, 403, 403, 403),
    },
    "view_on_site": {**per_story(SITE, 404), "section": (LOGIN, SITE, SITE, SITE)},
    # Stories.
    "articles_story_changelist": same(LOGIN, 200, 200, 200),
    "articles_story_add": same(LOGIN, 200, 200, 200),
    "articles_story_change": per_story(200, HOME),
    "articles_story_delete": per_story(200, HOME),
    "articles_story_history": per_story(200, 404),
    "articles_story_compare": per_story(200, 404),
    "articles_story_revision": per_story(200, 404),
    "articles_story_version": per_story(200, 404),
    # Live updates (articles/live/admin.py): the live desk, and each update's edit and
    # delete pages (every story here is covered live and has one update).
    "articles_story_live": per_story(200, HOME),
    "articles_story_live_edit": per_story(200, HOME),
    "articles_story_live_delete": per_story(200, HOME),
    "articles_story_recoverlist": same(LOGIN, 403, 403, 200),
    "articles_story_recover": same(LOGIN, 403, 403, 200, objects=["A's deleted draft"]),
    # Sections and authors: reporters may look, editors change.
    **{
        f"articles_{model}_{view}": same(*answers, objects=[model if has_object else None])
        for model in ("section", "author")
        for view, has_object, answers in (
            ("changelist", False, (LOGIN, 200, 200, 200)),
            ("add", False, (LOGIN, 403, 403, 200)),
            ("change", True, (LOGIN, 200, 200, 200)),
            ("delete", True, (LOGIN, 403, 403, 200)),
            ("history", True, (LOGIN, 200, 200, 200)),
        )
    },
    # Tags: editors only (merging included).
    "taggit_tag_changelist": same(LOGIN, 403, 403, 200),
    "taggit_tag_add": same(LOGIN, 403, 403, 200),
    "taggit_tag_change": same(LOGIN, 403, 403, 200, objects=["tag"]),
    "taggit_tag_delete": same(LOGIN, 403, 403, 200, objects=["tag"]),
    "taggit_tag_history": same(LOGIN, 403, 403, 200, objects=["tag"]),
    # Opened directly, with no tags chosen in the list: back to the list (see below).
    "taggit_tag_merge_tags": same(LOGIN, 403, 403, 302),
    # Accounts and log-in records: superusers only (neither group has these permissions).
    **{
        f"{prefix}_{view}": same(
            LOGIN, 403, 403, 403, objects=[obj if view not in ("changelist", "add") else None]
        )
        for prefix, obj in (
            ("auth_user", "user"),
            ("auth_group", "group"),
            ("axes_accessattempt", "access attempt"),
            ("axes_accesslog", "access log"),
            ("axes_accessfailurelog", "access failure"),
            # Background task results (articles/tasks.py): arguments may name anything.
            ("django_tasks_database_dbtaskresult", "task result"),
        )
        for view in ("changelist", "add", "change", "delete", "history")
    },
    "auth_user_password_change": same(LOGIN, 403, 403, 403, objects=["user"]),
    # The photo library (articles/photos/): reporters use and upload photos; deleting
    # one is for editors.
    "photos_photo_changelist": same(LOGIN, 200, 200, 200),
    "photos_photo_add": same(LOGIN, 200, 200, 200),
    "photos_photo_bulk_upload": same(LOGIN, 200, 200, 200),
    # A bulk upload's page (its files' fate, their captions): its uploader's only.
    "photos_photo_upload": same(LOGIN, 200, 404, 404, objects=["photo upload"]),
    # Captions, credits and alt text of chosen photos: whoever may change photos.
    "photos_photo_captions": same(LOGIN, 200, 200, 200, objects=["photo"]),
    "photos_photo_change": same(LOGIN, 200, 200, 200, objects=["photo"]),
    "photos_photo_history": same(LOGIN, 200, 200, 200, objects=["photo"]),
    "photos_photo_delete": same(LOGIN, 403, 403, 200, objects=["photo"]),
    # Galleries (articles/photos/): as photos, reporters make and arrange them (and
    # bring back a deleted one); deleting one is for editors.
    "photos_gallery_changelist": same(LOGIN, 200, 200, 200),
    "photos_gallery_add": same(LOGIN, 200, 200, 200),
    "photos_gallery_change": same(LOGIN, 200, 200, 200, objects=["gallery"]),
    "photos_gallery_delete": same(LOGIN, 403, 403, 200, objects=["gallery"]),
    "photos_gallery_history": same(LOGIN, 200, 200, 200, objects=["gallery"]),
    "photos_gallery_revision": same(LOGIN, 200, 200, 200, objects=["gallery"]),
    "photos_gallery_recoverlist": same(LOGIN, 200, 200, 200),
    "photos_gallery_recover": same(LOGIN, 200, 200, 200, objects=["deleted gallery"]),
    # The breaking-news banner: `fronts.arrange_fronts`, editors only, every URL.
    "fronts_banner_changelist": same(LOGIN, 403, 403, 200),
    "fronts_banner_add": same(LOGIN, 403, 403, 200),
    "fronts_banner_change": same(LOGIN, 403, 403, 200, objects=["banner"]),
    "fronts_banner_delete": same(LOGIN, 403, 403, 200, objects=["banner"]),
    "fronts_banner_history": same(LOGIN, 403, 403, 200, objects=["banner"]),
    "fronts_banner_revision": same(LOGIN, 403, 403, 200, objects=["banner"]),
    "fronts_banner_recoverlist": same(LOGIN, 403, 403, 200),
    "fronts_banner_recover": same(LOGIN, 403, 403, 200, objects=["deleted banner"]),
    # The front-page desk: fronts.arrange_fronts (editors) only, on every view.
    **{
        f"fronts_{model}_{view}": same(
            LOGIN, 403, 403, 200, objects=[None if view in ("changelist", "add") else model]
        )
        for model in ("front", "layout")
        for view in ("changelist", "add", "change", "delete", "history")
    },
    "fronts_layout_preview": same(LOGIN, 403, 403, 200, objects=["layout"]),
    "fronts_layout_revision": same(LOGIN, 403, 403, 200, objects=["layout"]),
    "fronts_layout_recoverlist": same(LOGIN, 403, 403, 200),
    "fronts_layout_recover": same(LOGIN, 403, 403, 200, objects=["deleted layout"]),
    # The wire desk (articles/wire/): every desk reads the wire; items are the agency's,
    # never added, edited or deleted by hand. Making a draft is a POST (GET: 405).
    "wire_wireitem_changelist": same(LOGIN, 200, 200, 200),
    "wire_wireitem_add": same(LOGIN, 403, 403, 403),
    "wire_wireitem_change": same(LOGIN, 200, 200, 200, objects=["wire item"]),
    "wire_wireitem_delete": same(LOGIN, 403, 403, 403, objects=["wire item"]),
    "wire_wireitem_history": same(LOGIN, 200, 200, 200, objects=["wire item"]),
    "wire_wireitem_draft": same(LOGIN, 405, 405, 405, objects=["wire item"]),
    # A newer wire version of an edited story: use it or keep the text (POST only; who
    # may choose is the story admin's rule: tests/test_wire.py).
    "wire_wireitem_apply": same(LOGIN, 405, 405, 405, objects=["wire item"]),
    "wire_wireitem_keep": same(LOGIN, 405, 405, 405, objects=["wire item"]),
    # Sources (push tokens, folders) and subject mappings: editors only.
    **{
        f"wire_{model}_{view}": same(
            LOGIN, 403, 403, 200, objects=[None if view in ("changelist", "add") else obj]
        )
        for model, obj in (("wiresource", "wire source"), ("subjectmapping", "subject mapping"))
        for view in ("changelist", "add", "change", "delete", "history")
    },
    # Partners (articles/api/): API keys and webhook subscribers, editors only (a key
    # or a secret opens embargoed copy); the delivery log is read only, even to them.
    **{
        f"api_{model}_{view}": same(
            LOGIN, 403, 403, 200, objects=[None if view in ("changelist", "add") else obj]
        )
        for model, obj in (("apikey", "api key"), ("webhooksubscriber", "webhook subscriber"))
        for view in ("changelist", "add", "change", "delete", "history")
    },
    **{
        f"api_webhookdelivery_{view}": same(
            LOGIN, 403, 403, answer, objects=[None if view in ("changelist", "add") else obj]
        )
        for view, obj, answer in (
            ("changelist", None, 200),
            ("add", None, 403),
            ("change", "webhook delivery", 200),  # to read: no field can be changed
            ("delete", "webhook delivery", 403),
            ("history", "webhook delivery", 200),
        )
    },
}
MATRIX["autocomplete"]["pin.story"] = (LOGIN, 403, 403, 200)

# Public addresses that answer staff differently: the preview, and a former address.
PUBLIC_MATRIX = {
    "articles:story_detail": {
        "A's draft": (404, 200, 404, 200),
        "B's draft": (404, 404, 200, 200),
        "published": (200, 200, 200, 200),
        "scheduled": (404, 404, 404, 200),
    },
    "former address": {
        "A's draft": (404, SITE, 404, SITE),
        "B's draft": (404, 404, SITE, SITE),
        "published": (SITE, SITE, SITE, SITE),
        "scheduled": (404, 404, 404, SITE),
    },
    # Live coverage's poll and an update's permalink: public stories only, for everyone
    # (there is no preview of either; the story page previews the updates).
    "articles:live_updates": {
        "A's draft": (404, 404, 404, 404),
        "B's draft": (404, 404, 404, 404),
        "published": (200, 200, 200, 200),
        "scheduled": (404, 404, 404, 404),
    },
    # The wire's push endpoint: a source's token, never a session; POST only.
    "articles:wire_push": same(405, 405, 405, 405),
    "articles:live_update": {
        "A's draft": (404, 404, 404, 404),
        "B's draft": (404, 404, 404, 404),
        "published": (302, 302, 302, 302),
        "scheduled": (404, 404, 404, 404),
    },
    # The content API (articles/api/): public stories only, whoever asks (no preview;
    # a session changes nothing but the caching), and no list shows another story.
    "api-v1:story_detail": {
        "A's draft": (404, 404, 404, 404),
        "B's draft": (404, 404, 404, 404),
        "published": (200, 200, 200, 200),
        "scheduled": (404, 404, 404, 404),
    },
    "api-v1:story_live_updates": {
        "A's draft": (404, 404, 404, 404),
        "B's draft": (404, 404, 404, 404),
        "published": (200, 200, 200, 200),
        "scheduled": (404, 404, 404, 404),
    },
    "api-v1:story_ninjs": {
        "A's draft": (404, 404, 404, 404),
        "B's draft": (404, 404, 404, 404),
        "published": (200, 200, 200, 200),
        "scheduled": (404, 404, 404, 404),
    },
    "api-v1:story_list": same(200, 200, 200, 200),
    "api-v1:front_home": same(200, 200, 200, 200),
    "api-v1:front_section": same(200, 200, 200, 200, objects=("section",)),
    "api-v1:section_list": same(200, 200, 200, 200),
    "api-v1:section_detail": same(200, 200, 200, 200, objects=("section",)),
    "api-v1:tag_list": same(200, 200, 200, 200),
    "api-v1:author_list": same(200, 200, 200, 200),
}


# ---------------------------------------------------------------------- the world


@dataclass
class World:
    users: dict
    stories: dict
    versions: dict
    objects: dict


def _saved_twice(story, user):
    """Two versions, so history, compare and revert have something to show."""
    for n in (1, 2):
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment(f"Save {n} of {story.headline}")
            story.dek = f"Version {n} of the dek."
            story.save()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module (the tests only read it), inside a transaction rolled
    back at the end: a few hundred requests in a few seconds."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def build_world():
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    def staff(role, username):
        user = User.objects.create_user(username, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return user

    users = {
        "reporter A": staff("Reporter", "matrix-reporter-a"),
        "reporter B": staff("Reporter", "matrix-reporter-b"),
        "editor": staff("Editor", "matrix-editor"),
    }
    section = Section.objects.create(name="Matrix section", slug="matrix-section")
    now = timezone.now()

    def story(headline, owner, **fields):
        story = Story.objects.create(
            headline=headline,
            section=section,
            created_by=users[owner],
            live_started_at=now,
            **fields,
        )
        LiveUpdate.objects.create(story=story, body="<p>An update.</p>")
        return story

    draft, live = {"status": Story.Status.DRAFT}, {"status": Story.Status.PUBLISHED}
    stories = {
        "A's draft": story("Alpha draft by A", "reporter A", **draft),
        "B's draft": story("Bravo draft by B", "reporter B", **draft),
        "published": story("Charlie live story", "editor", **live, published_at=now),
        "scheduled": story(
            "Delta scheduled story", "editor", **live, published_at=now + timedelta(days=1)
        ),
        "A's deleted draft": story("Echo deleted draft by A", "reporter A", **draft),
    }
    for story in stories.values():
        _saved_twice(story, story.created_by)
        # An old address, for the redirect from a former address.
        story.slug = f"{story.slug}-moved"
        story.save()
    versions = {
        name: list(Version.objects.get_for_object(story).order_by("pk"))
        for name, story in stories.items()
    }
    stories["A's deleted draft"].delete()
    # Each user's "Recent actions" on the admin index: their own work only.
    for story in stories.values():
        LogEntry.objects.create(
            user=story.created_by,
            content_type=ContentType.objects.get_for_model(Story),
            object_id=str(story.pk),
            object_repr=story.headline,
            action_flag=CHANGE,
        )
    front_versions = _front_desk_versions(users["editor"])
    objects = {
        **front_versions,
        "section": section,
        "author": Author.objects.create(name="Kim Min-ji", slug="matrix-kim-min-ji"),
        "tag": Tag.objects.create(name="Matrix tag", slug="matrix-tag"),
        "user": users["reporter B"],
        "group": Group.objects.get(name="Reporter"),
        "access attempt": AccessAttempt.objects.create(
            username="someone", ip_address="192.0.2.1", failures_since_start=1
        ),
        "access log": AccessLog.objects.create(username="someone", ip_address="192.0.2.1"),
        "access failure": AccessFailureLog.objects.create(
            username="someone", ip_address="192.0.2.1"
        ),
        "task result": DBTaskResult.objects.get(id=flaky.enqueue("matrix", 0).id),
        **_wire_desk(section),
        **_partners(stories["published"]),
        "photo": Photo.objects.create(
            original=SimpleUploadedFile("matrix.jpg", image_bytes()), caption="Matrix photo"
        ),
    }
    objects["photo upload"] = PhotoUpload.objects.create(uploaded_by=users["reporter A"])
    PhotoUploadFile.objects.create(
        upload=objects["photo upload"],
        position=0,
        name="matrix.jpg",
        state=PhotoUploadFile.State.ACCEPTED,
        photo=objects["photo"],
    )
    # A breaking-news banner saved twice (history, revert), and one deleted (recover).
    for name in ("gallery", "deleted gallery"):
        with reversion.create_revision():
            reversion.set_user(users["editor"])
            objects[name] = Gallery.objects.create(title=f"Matrix {name}")
            GalleryPhoto.objects.create(gallery=objects[name], photo=objects["photo"])
        versions[name] = list(Version.objects.get_for_object(objects[name]).order_by("pk"))
    objects["deleted gallery"].delete()
    for name in ("banner", "deleted banner"):
        with reversion.create_revision():
            reversion.set_user(users["editor"])
            objects[name] = Banner.objects.create(
                text=f"Matrix {name}",
                story=stories["published"],
                expires_at=now + timedelta(days=1),
            )
        with reversion.create_revision():
            objects[name].text += " (updated)"
            objects[name].save()
        versions[name] = list(Version.objects.get_for_object(objects[name]).order_by("pk"))
    objects["deleted banner"].delete()
    return World(users, stories, versions, objects)


def _wire_desk(section):
    from articles.wire.models import SubjectMapping, WireItem, WireSource

    source = WireSource.objects.create(
        name="Matrix agency", slug="matrix-agency", format="ninjs", default_section=section
    )
    return {
        "wire source": source,
        "subject mapping": SubjectMapping.objects.create(code="medtop:04000000", tag="Economy"),
        "wire item": WireItem.objects.create(
            source=source, guid="urn:matrix:1", headline="Matrix wire copy", urgency=1
        ),
    }


def _partners(story):
    from articles.api.models import ApiKey, WebhookDelivery, WebhookSubscriber

    key = ApiKey(name="Matrix partner")
    key.new_token()
    key.save()
    subscriber = WebhookSubscriber.objects.create(
        name="Matrix subscriber", url="https://partner.example/hook", secret="x", events=[]
    )
    return {
        "api key": key,
        "webhook subscriber": subscriber,
        "webhook delivery": WebhookDelivery.objects.create(
            subscriber=subscriber, event="story.published", story_id=story.pk, body="{}"
        ),
    }


def _front_desk_versions(editor):
    """The home page's front, a layout with two versions, and a deleted layout's."""
    from articles.fronts.defaults import ensure_default_fronts
    from articles.fronts.models import Front, Layout, Zone

    ensure_default_fronts()  # the migration's, unless a flushing test removed them
    front = Front.objects.get(section=None)
    made = {}
    for name in ("Matrix layout", "Matrix deleted layout"):
        with reversion.create_revision():
            reversion.set_user(editor)
            layout = Layout.objects.create(front=front, name=name)
            Zone.objects.create(layout=layout, kind="lead", slots=1)
        made[name] = layout
    deleted = Version.objects.get_for_object(made["Matrix deleted layout"]).get()
    made["Matrix deleted layout"].delete()
    return {
        "front": front,
        "layout": made["Matrix layout"],
        "layout version": Version.objects.get_for_object(made["Matrix layout"]).get(),
        "deleted layout": deleted,
    }


def url_for(world, name, obj):
    """The address of admin URL `name` (or a public one) about `obj`."""
    if name == "former address":
        return f"/stories/{world.stories[obj].slug.removesuffix('-moved')}/"
    if name == "articles:story_detail":
        return world.stories[obj].get_absolute_url()
    if name == "articles:live_updates":
        return reverse(name, kwargs={"slug": world.stories[obj].slug})
    if name == "articles:live_update":
        story = world.stories[obj]
        return reverse(name, args=[story.slug, story.live_updates.get().pk])
    if name in ("api-v1:story_detail", "api-v1:story_live_updates", "api-v1:story_ninjs"):
        return reverse(name, kwargs={"story_id": world.stories[obj].pk})
    if name in ("api-v1:front_section", "api-v1:section_detail"):
        return reverse(name, kwargs={"slug": world.objects[obj].slug})
    if name.startswith("api-v1:"):
        return reverse(name)
    if name == "articles:wire_push":
        return reverse(name, args=[world.objects["wire source"].slug])
    if name == "app_list":
        return reverse("admin:app_list", kwargs={"app_label": obj})
    if name == "autocomplete":
        model_name, field_name = obj.split(".")
        # The app the field's model is in (the desks' models are in their own apps).
        (app_label,) = {
            model._meta.app_label
            for model in django_apps.get_models()
            if model._meta.model_name == model_name
        }
        query = f"app_label={app_label}&model_name={model_name}&field_name={field_name}&term="
        return f"{reverse('admin:autocomplete')}?{query}"
    if name == "view_on_site":
        target = world.stories.get(obj) or world.objects[obj]
        content_type = ContentType.objects.get_for_model(target)
        return reverse("admin:view_on_site", args=[content_type.pk, target.pk])
    if name == "fronts_layout_revision":
        version = world.objects["layout version"]
        return reverse(f"admin:{name}", args=[world.objects[obj].pk, version.pk])
    if name == "fronts_layout_recover":
        return reverse(f"admin:{name}", args=[world.objects[obj].pk])
    if name in ("articles_story_recover", "fronts_banner_recover", "photos_gallery_recover"):
        return reverse(f"admin:{name}", args=[world.versions[obj][-1].pk])
    if name in ("fronts_banner_revision", "photos_gallery_revision"):
        banner = world.objects[obj]
        return reverse(f"admin:{name}", args=[banner.pk, world.versions[obj][0].pk])
    if name == "articles_story_revision":
        story = world.stories[obj]
        return reverse(f"admin:{name}", args=[story.pk, world.versions[obj][0].pk])
    if name in ("articles_story_live_edit", "articles_story_live_delete"):
        story = world.stories[obj]
        return reverse(f"admin:{name}", args=[story.pk, story.live_updates.get().pk])
    if name == "articles_story_compare":
        old, new = world.versions[obj][:2]
        url = reverse(f"admin:{name}", args=[world.stories[obj].pk])
        return f"{url}?from={old.pk}&to={new.pk}"
    if name == "photos_photo_captions":
        return f"{reverse(f'admin:{name}')}?ids={world.objects[obj].pk}"
    if obj is None:
        return reverse(f"admin:{name}")
    target = world.stories.get(obj) or world.objects[obj]
    return reverse(f"admin:{name}", args=[target.pk])


def check(response, expected, world, obj):
    """Whether `response` is the `expected` answer (a status code or a named redirect)."""
    location = response.get("Location", "")
    if expected == LOGIN:
        return response.status_code == 302 and location.startswith(reverse("admin:login"))
    if expected == HOME:
        return response.status_code == 302 and location == reverse("admin:index")
    if expected == SITE:
        target = world.stories.get(obj) or world.objects[obj]
        return response.status_code in (301, 302) and location.endswith(target.get_absolute_url())
    return response.status_code == expected


def leaks(response, world, role):
    """Headlines and addresses of stories `role` may not see, found in the answer."""
    text = response.content.decode(errors="replace") + response.get("Location", "")
    return [
        name
        for name, story in world.stories.items()
        if name not in MAY_SEE[role]
        and (story.headline in text or story.slug.removesuffix("-moved") in text)
    ]


def clients(world):
    anonymous = Client()
    signed_in = {}
    for role in ROLES[1:]:
        signed_in[role] = Client()
        signed_in[role].force_login(world.users[role])
    return {"anonymous": anonymous, **signed_in}


def run_rows(world, table, name):
    by_role = clients(world)
    problems = []
    for obj, answers in table[name].items():
        url = url_for(world, name, obj)
        for role, expected in zip(ROLES, answers, strict=True):
            response = by_role[role].get(url)
            if not check(response, expected, world, obj):
                got = response.status_code, response.get("Location", "")
                problems.append(f"{role} on {obj}: expected {expected}, got {got} ({url})")
            leaked = leaks(response, world, role)
            if leaked:
                problems.append(f"{role} on {obj}: the answer shows {leaked} ({url})")
    return problems


# ---------------------------------------------------------------------- the tests


@pytest.mark.parametrize("name", MATRIX)
def test_admin_url_answers_each_role_as_the_matrix_says(db, world, name):
    problems = run_rows(world, MATRIX, name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", PUBLIC_MATRIX)
def test_public_url_answers_each_role_as_the_matrix_says(db, world, name):
    problems = run_rows(world, PUBLIC_MATRIX, name)
    assert not problems, "\n".join(problems)


def admin_url_names():
    """Every named URL of the admin site and of each registered ModelAdmin."""
    names = set()

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif pattern.name:
                names.add(pattern.name)

    walk(admin.site.get_urls())
    for model_admin in admin.site._registry.values():
        walk(model_admin.get_urls())
    return names


def test_every_admin_url_is_in_the_matrix():
    names = admin_url_names()
    missing, stale = sorted(names - MATRIX.keys()), sorted(MATRIX.keys() - names)
    assert not missing, (
        f"Admin URLs missing from MATRIX in tests/test_permissions.py: {missing}. Add a "
        "row for each: the answer for anonymous, reporter A, reporter B and editor, per object."
    )
    assert not stale, f"MATRIX names admin URLs that no longer exist: {stale}"


def test_every_story_url_is_asked_about_every_story():
    for name, rows in MATRIX.items():
        if (
            name.startswith("articles_story_")
            and None not in rows
            and name != ("articles_story_recover")
        ):
            assert set(STORIES) <= rows.keys(), name


def test_merging_tags_needs_the_tag_permissions(db, world, make_story):
    """taggit's merge view checked no permission: any staff account could merge tags."""
    story = make_story(tags=["Harbour", "Port"])
    tags = [Tag.objects.get(name="Harbour").pk, Tag.objects.get(name="Port").pk]
    by_role = clients(world)
    changelist = reverse("admin:taggit_tag_changelist")
    merge = reverse("admin:taggit_tag_merge_tags")

    reporter = by_role["reporter A"]
    session = reporter.session
    session["selected_tag_ids"] = ",".join(map(str, tags))
    session.save()
    refused = reporter.post(merge, {"new_tag_name": "Harbours"})

    editor = by_role["editor"]
    editor.post(
        changelist, {"action": "render_tag_form", "_selected_action": [str(pk) for pk in tags]}
    )
    form = editor.get(merge)
    merged = editor.post(merge, {"new_tag_name": "Harbours"})

    assert refused.status_code == 403
    assert form.status_code == 200
    assert merged.status_code == 302
    assert list(story.tags.names()) == ["Harbours"]


@pytest.mark.parametrize("reporter", ["reporter A", "reporter B"])
def test_reporters_cannot_write_to_stories_they_may_not_see_or_publish(db, world, reporter):
    """The same refusals for POST: change, delete and revert leave the story as it was."""
    client = clients(world)[reporter]
    for name in ("A's draft", "B's draft", "published", "scheduled"):
        if name in MAY_SEE[reporter] - {"published"}:
            continue  # their own draft: theirs to change
        story = world.stories[name]
        before = Story.objects.filter(pk=story.pk).values().get()
        data = {
            "headline": "Overwritten",
            "slug": story.slug,
            "section": story.section_id,
            "body": "<p>Overwritten.</p>",
            "loaded_version": before["version"],
            "post": "yes",
            **{
                f"{prefix}-{key}": value
                for prefix in ("story_authors", "related_headlines", "corrections")
                for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
            },
        }
        for url in (
            reverse("admin:articles_story_change", args=[story.pk]),
            reverse("admin:articles_story_delete", args=[story.pk]),
            reverse("admin:articles_story_revision", args=[story.pk, world.versions[name][0].pk]),
        ):
            response = client.post(url, data)
            assert response.status_code in (302, 403, 404), (name, url)
            assert leaks(response, world, reporter) == [], (name, url)
            assert Story.objects.filter(pk=story.pk).values().get() == before, (name, url)


# ------------------------------------------------------------ partners' keys on the API

# The content API (articles/api/) for each holder: anonymous, a plain key, a key with
# the embargo scope, a revoked key. Every story-bearing endpoint, for each story.
API_HOLDERS = ("anonymous", "plain key", "embargo key", "revoked key")
API_STORIES = ("published", "embargoed", "scheduled", "draft")
# What each holder sees of the stories (401 for the revoked key: nothing at all).
API_MAY_SEE = {
    "anonymous": {"published"},
    "plain key": {"published"},
    "embargo key": {"published", "embargoed"},
    "revoked key": set(),
}
API_STORY_URLS = ("api-v1:story_detail", "api-v1:story_ninjs", "api-v1:story_live_updates")
API_LIST_URLS = ("api-v1:story_list", "api-v1:front_home")


@pytest.fixture
def api_world(make_story):
    now = timezone.now()
    lifts = now + timedelta(hours=3)
    live = now - timedelta(hours=4)  # covered live: live updates answer for each
    stories = {
        "published": make_story("Ferry service resumes", live_started_at=live),
        "embargoed": make_story(
            "Budget figures under embargo",
            published_at=lifts,
            embargo_until=lifts,
            live_started_at=live,
        ),
        "scheduled": make_story(
            "Scheduled profile of the mayor",
            published_at=now + timedelta(hours=2),
            live_started_at=live,
        ),
        "draft": make_story(
            "Unfinished draft on the port", status=Story.Status.DRAFT, live_started_at=live
        ),
    }
    holders = {"anonymous": {}}
    for holder, scopes in (
        ("plain key", []),
        ("embargo key", [ApiKey.Scope.EMBARGO]),
        ("revoked key", []),
    ):
        key = ApiKey(name=holder, scopes=scopes)
        token = key.new_token()
        key.save()
        if holder == "revoked key":
            key.revoked_at = now
            key.save()
        holders[holder] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    return stories, holders


def _api_leaks(response, stories, holder):
    text = response.content.decode(errors="replace")
    return [
        name
        for name, story in stories.items()
        if name not in API_MAY_SEE[holder] and story.headline in text
    ]


@pytest.mark.parametrize("name", API_STORY_URLS)
def test_each_api_story_url_answers_each_key_as_the_matrix_says(client, api_world, name):
    stories, holders = api_world
    wrong = []
    for holder in API_HOLDERS:
        for label, story in stories.items():
            response = client.get(reverse(name, kwargs={"story_id": story.pk}), **holders[holder])
            expected = (
                401 if holder == "revoked key" else (200 if label in API_MAY_SEE[holder] else 404)
            )
            if response.status_code != expected or _api_leaks(response, stories, holder):
                wrong.append((holder, label, response.status_code, expected))
    assert wrong == []


@pytest.mark.parametrize("name", API_LIST_URLS)
def test_each_api_list_shows_each_key_only_what_it_may_see(client, api_world, name):
    stories, holders = api_world
    for holder in API_HOLDERS:
        response = client.get(reverse(name), **holders[holder])
        assert response.status_code == (401 if holder == "revoked key" else 200), holder
        assert _api_leaks(response, stories, holder) == [], holder
        if holder != "revoked key":
            assert stories["published"].headline in response.content.decode(), holder
    embargoed = client.get(reverse("api-v1:story_list"), **holders["embargo key"]).json()
    [item] = [i for i in embargoed["items"] if i["id"] == stories["embargoed"].pk]
    assert item["embargo_until"] is not None  # the embargo is stated to whoever sees it
