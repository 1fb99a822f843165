"""The newsroom's roles: reporters write, editors publish.

Two groups, kept in step with the definitions below by the data migration
`0004_editorial_roles` and by `manage.py setup_roles`; both call `sync_roles`.

Who may do what is decided by permissions, not group names:

- `articles.publish_story` makes an *editor*: publish, schedule, unpublish, see and
  change every story, revert and recover from history.
- Without it, a user works on *their own* stories (`StoryQuerySet.owned_by`: created
  by them, or bylined through the Author linked to their account), and only while
  those are drafts: a published or scheduled story is read-only to them.
"""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

PUBLISH_PERMISSION = "articles.publish_story"
# The front-page desk: fronts, pins and the breaking-news banner (Editors only).
ARRANGE_FRONTS_PERMISSION = "articles.arrange_fronts"

REPORTER = "Reporter"
EDITOR = "Editor"


def _crud(app_label, *models, actions=("add", "change", "delete", "view")):
    return [(app_label, f"{action}_{model}") for model in models for action in actions]


ROLE_PERMISSIONS = {
    REPORTER: [
        *_crud("articles", "story"),
        *_crud("articles", "storyauthor", "relatedheadline"),
        *_crud("articles", "section", "author", actions=("view",)),
        # The wire desk: read the agencies' copy and make drafts of it.
        ("articles", "view_wireitem"),
        ("articles", "make_story_from_wireitem"),
        # The photo library: use and upload; deleting and usage rights are editors'.
        *_crud("articles", "photo", actions=("add", "change", "view")),
        # Galleries, as photos: make and arrange them; deleting one is for editors.
        *_crud("articles", "gallery", actions=("add", "change", "view")),
        *_crud("articles", "galleryphoto"),
    ],
    EDITOR: [
        ("articles", "publish_story"),
        ("articles", "arrange_fronts"),
        ("articles", "change_photo_rights"),
        *_crud("articles", "photo", "gallery", "galleryphoto"),
        *_crud("articles", "story", "storyauthor", "relatedheadline", "correction"),
        *_crud("articles", "section", "author"),
        *_crud("taggit", "tag", "taggeditem"),
        # The wire desk; its sources (push tokens, folders) and mappings: editors only.
        ("articles", "view_wireitem"),
        ("articles", "make_story_from_wireitem"),
        *_crud("articles", "wiresource", "subjectmapping"),
    ],
}


def can_publish(user) -> bool:
    return user.has_perm(PUBLISH_PERMISSION)


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
