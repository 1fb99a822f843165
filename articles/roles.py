"""The newsroom's roles: reporters write, editors publish.

Every permission the project defines (and every one its code checks by name) is named
here; the models' Meta.permissions and the admins import these names. Two groups, kept
in step with the definitions below by the data migrations (`0004_editorial_roles` and
those after it) and by `manage.py setup_roles`; both call `sync_roles`. A permission no
group holds is listed in SUPERUSER_ONLY (tests/test_roles.py holds all this true).

Who may do what is decided by permissions, not group names:

- `articles.publish_story` makes an *editor*: publish, schedule, unpublish, see and
  change every story, revert and recover from history.
- Without it, a user works on *their own* stories (`StoryQuerySet.owned_by`: created
  by them, or bylined through the Author linked to their account), and only while
  those are drafts: a published or scheduled story is read-only to them.
"""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

# Every permission the project defines, as `user.has_perm()` takes it. Code checks
# permissions through these names only; the models' Meta.permissions are built from
# DEFINED (`meta_permissions`), and tests/test_roles.py holds every one to a role or to
# SUPERUSER_ONLY.
PUBLISH_PERMISSION = "articles.publish_story"
# The front-page desk: fronts, pins and the breaking-news banner (Editors only; on
# the `fronts` app's Front model).
ARRANGE_FRONTS_PERMISSION = "fronts.arrange_fronts"
# The photo library's usage rights (credit terms, expiry): Editors only.
PHOTO_RIGHTS_PERMISSION = "photos.change_photo_rights"
# The wire desk: turn an agency's item into a draft story.
WIRE_DRAFT_PERMISSION = "wire.make_story_from_wireitem"

# What each permission above lets its holder do (the description Django stores).
DEFINED = {
    PUBLISH_PERMISSION: "Can publish, schedule and unpublish stories",
    ARRANGE_FRONTS_PERMISSION: "Can arrange fronts and the breaking-news banner",
    PHOTO_RIGHTS_PERMISSION: "Can change a photo's usage rights",
    WIRE_DRAFT_PERMISSION: "Can make a draft story from a wire item",
}

# Django's own model permissions that code checks by name (not only through the admin).
ADD_STORY_PERMISSION = "articles.add_story"
CHANGE_STORY_PERMISSION = "articles.change_story"
VIEW_STORY_PERMISSION = "articles.view_story"

# Defined permissions no group is given, on purpose: only superusers hold them.
SUPERUSER_ONLY = frozenset()

REPORTER = "Reporter"
EDITOR = "Editor"


def key(permission):
    """("articles", "publish_story") of "articles.publish_story"."""
    app_label, codename = permission.split(".", 1)
    return app_label, codename


def meta_permissions(*permissions):
    """A model's Meta.permissions: [(codename, description)] of names in DEFINED."""
    return [(key(permission)[1], DEFINED[permission]) for permission in permissions]


def _crud(app_label, *models, actions=("add", "change", "delete", "view")):
    return [(app_label, f"{action}_{model}") for model in models for action in actions]


ROLE_PERMISSIONS = {
    REPORTER: [
        *_crud("articles", "story"),
        *_crud("articles", "storyauthor", "relatedheadline"),
        *_crud("articles", "section", "author", actions=("view",)),
        # The wire desk: read the agencies' copy and make drafts of it.
        ("wire", "view_wireitem"),
        key(WIRE_DRAFT_PERMISSION),
        # The photo library: use and upload; deleting and usage rights are editors'.
        *_crud("photos", "photo", actions=("add", "change", "view")),
        # Galleries, as photos: make and arrange them; deleting one is for editors.
        *_crud("photos", "gallery", actions=("add", "change", "view")),
        *_crud("photos", "galleryphoto"),
    ],
    EDITOR: [
        key(PUBLISH_PERMISSION),
        key(ARRANGE_FRONTS_PERMISSION),
        key(PHOTO_RIGHTS_PERMISSION),
        *_crud("photos", "photo", "gallery", "galleryphoto"),
        *_crud("articles", "story", "storyauthor", "relatedheadline", "correction"),
        *_crud("articles", "section", "author"),
        *_crud("taggit", "tag", "taggeditem"),
        # The wire desk; its sources (push tokens, folders) and mappings: editors only.
        ("wire", "view_wireitem"),
        key(WIRE_DRAFT_PERMISSION),
        *_crud("wire", "wiresource", "subjectmapping"),
        # Partners (articles/api/): API keys and webhook subscribers; the delivery log
        # is read only. Editors only: a key or a secret opens embargoed copy.
        *_crud("api", "apikey", "webhooksubscriber"),
        ("api", "view_webhookdelivery"),
    ],
}


def can_publish(user) -> bool:
    return user.has_perm(PUBLISH_PERMISSION)


def sync_roles_in_migration(apps, schema_editor):
    """`sync_roles` as a migration's RunPython step: the groups as this module says, read
    through the migration's historical models on its database."""
    sync_roles(apps, using=schema_editor.connection.alias)


def sync_roles(apps=global_apps, using=DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """Create the groups and set exactly their permissions; return what was missing.

    `apps` is the migration's historical registry in the data migration and the real
    one elsewhere, so only models reached through it are used. Permissions are normally
    created after migrations (post_migrate); they are created here first, so a fresh
    database gets complete groups.
    """
    from django.contrib.auth.management import create_permissions

    for label in {label for perms in ROLE_PERMISSIONS.values() for label, _ in perms}:
        try:
            # create_permissions reads the models through `apps`; it only needs the
            # real app config to know the app has models.
            create_permissions(
                global_apps.get_app_config(label), apps=apps, using=using, verbosity=0
            )
        except LookupError:
            continue

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    missing = {}
    for name, wanted in ROLE_PERMISSIONS.items():
        found = {
            (app_label, codename): pk
            for pk, app_label, codename in permission_model.objects.using(using)
            .filter(codename__in=[codename for _, codename in wanted])
            .values_list("pk", "content_type__app_label", "codename")
        }
        group, _ = group_model.objects.using(using).get_or_create(name=name)
        group.permissions.set([found[key] for key in wanted if key in found])
        missing[name] = [".".join(key) for key in wanted if key not in found]
    return missing
