"""Roles: reporters write their own drafts; editors publish, schedule and unpublish."""

import ast
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from articles import roles
from articles.models import Story
from articles.roles import ROLE_PERMISSIONS
from tests.test_admin import (
    ADD,
    CHANGELIST,
    change_url,
    inline_rows,
    listed,
    run_action,
    story_form_data,
)

PUBLISHING_KEYS = ("status", "published_at_0", "published_at_1")


def writer_form_data(section, **fields):
    """A story form as a reporter's browser sends it: no publishing fields."""
    data = story_form_data(section, **fields)
    for key in PUBLISHING_KEYS:
        data.pop(key)
    return data


def group_permissions(name):
    return {
        (p.content_type.app_label, p.codename)
        for p in Group.objects.get(name=name).permissions.select_related("content_type")
    }


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# The groups


def test_data_migration_created_both_groups_with_their_permissions(db):
    for name, wanted in ROLE_PERMISSIONS.items():
        assert group_permissions(name) == set(wanted), name


def test_only_editors_may_publish(db):
    assert ("articles", "publish_story") in group_permissions("Editor")
    assert ("articles", "publish_story") not in group_permissions("Reporter")
    # The front-page desk is for editors only (issue 15).
    assert ("fronts", "arrange_fronts") in group_permissions("Editor")
    assert ("fronts", "arrange_fronts") not in group_permissions("Reporter")


def test_setup_roles_puts_edited_groups_back_in_step(db):
    reporter_group = Group.objects.get(name="Reporter")
    reporter_group.permissions.clear()
    Group.objects.get(name="Editor").delete()

    call_command("setup_roles", stdout=io.StringIO())

    assert group_permissions("Reporter") == set(ROLE_PERMISSIONS["Reporter"])
    assert group_permissions("Editor") == set(ROLE_PERMISSIONS["Editor"])


# Roles in one place: every permission is named in articles/roles.py


def project_models():
    root = Path(settings.BASE_DIR).resolve()
    return [
        model
        for model in apps.get_models()
        if Path(model._meta.app_config.path).resolve().is_relative_to(root)
    ]


def held_by_a_role(permission):
    return any(roles.key(permission) in wanted for wanted in ROLE_PERMISSIONS.values())


def test_every_permission_a_model_defines_is_named_in_roles_and_given_to_someone(db):
    defined = {
        f"{model._meta.app_label}.{codename}": description
        for model in project_models()
        for codename, description in model._meta.permissions
    }

    # Named there (with the words Django stores), nothing named there left undefined.
    assert defined == roles.DEFINED
    for permission in defined:
        assert held_by_a_role(permission) != (permission in roles.SUPERUSER_ONLY), permission
        app_label, codename = roles.key(permission)
        assert Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).exists(), permission


def test_every_permission_name_in_roles_exists_and_is_given_to_someone(db):
    names = {
        value
        for name, value in vars(roles).items()
        if name.endswith("_PERMISSION") and isinstance(value, str)
    }
    assert roles.DEFINED.keys() <= names
    for permission in names:
        app_label, codename = roles.key(permission)
        assert Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).exists(), permission
        assert held_by_a_role(permission) or permission in roles.SUPERUSER_ONLY, permission


def test_code_names_permissions_only_through_roles(db):
    """No module spells a permission itself ("articles.publish_story", or a codename
    for Meta.permissions): a renamed or moved permission changes in roles.py alone."""
    spelled = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    } | {roles.key(permission)[1] for permission in roles.DEFINED}
    root = Path(settings.BASE_DIR)
    found = []
    for package in ("articles", "newsroom"):
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts or path == root / "articles" / "roles.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Constant) and node.value in spelled:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.value}")
    assert found == []


# What a reporter sees


def test_reporter_sees_only_stories_they_created(reporter_client, reporter, make_story):
    make_story("Mine", status=Story.Status.DRAFT, created_by=reporter)
    make_story("Someone else's", status=Story.Status.DRAFT)

    assert listed(reporter_client.get(CHANGELIST)) == ["Mine"]


def test_a_byline_on_the_reporters_author_makes_a_story_theirs(
    reporter_client, reporter, make_story, make_author
):
    make_story("Bylined", status=Story.Status.DRAFT, authors=[make_author(user=reporter)])
    make_story("Not theirs", status=Story.Status.DRAFT, authors=[make_author()])

    assert listed(reporter_client.get(CHANGELIST)) == ["Bylined"]


def test_reporter_cannot_open_someone_elses_story(reporter_client, make_story):
    story = make_story(status=Story.Status.DRAFT)

    response = reporter_client.get(change_url(story))

    # The admin's answer for an object outside the user's queryset: back to the index.
    assert response.status_code == 302
    assert reverse("admin:index") in response["Location"]


def test_reporter_autocomplete_offers_public_stories_but_not_others_drafts(
    reporter_client, reporter, make_story
):
    make_story("Harbour live story")
    make_story("Harbour draft of mine", status=Story.Status.DRAFT, created_by=reporter)
    make_story("Harbour draft of someone else", status=Story.Status.DRAFT)

    response = reporter_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "articles",
            "model_name": "relatedheadline",
            "field_name": "target",
            "term": "harbour",
        },
    )

    assert sorted(r["text"] for r in response.json()["results"]) == [
        "Harbour draft of mine",
        "Harbour live story",
    ]


# What a reporter can do


def test_reporter_writes_a_draft(reporter_client, reporter, section):
    response = reporter_client.post(ADD, writer_form_data(section))

    assert response.status_code == 302
    story = Story.objects.get()
    assert (story.status, story.created_by) == (Story.Status.DRAFT, reporter)


def test_reporter_edits_their_draft(reporter_client, reporter, make_story, section):
    story = make_story(status=Story.Status.DRAFT, created_by=reporter)

    response = reporter_client.post(
        change_url(story),
        writer_form_data(
            section, headline="Better headline", slug=story.slug, loaded_version=story.version
        ),
    )

    assert response.status_code == 302
    story.refresh_from_db()
    assert story.headline == "Better headline"


def test_reporter_form_shows_status_but_cannot_change_it(reporter_client, section):
    content = reporter_client.get(ADD).content.decode()

    assert 'name="status"' not in content
    assert 'name="published_at_0"' not in content
    assert "Draft" in content


@pytest.mark.parametrize(
    "tampered",
    [
        {"status": Story.Status.PUBLISHED},
        {"published_at_0": "2020-01-01", "published_at_1": "09:00"},
    ],
    ids=["publish", "schedule"],
)
def test_reporter_posting_publishing_fields_is_refused_and_stays_a_draft(
    reporter_client, section, tampered
):
    response = reporter_client.post(ADD, {**writer_form_data(section), **tampered}, follow=True)

    story = Story.objects.get()
    assert (story.status, story.published_at) == (Story.Status.DRAFT, None)
    assert any("need an editor" in message for message in messages_of(response))
    assert not Story.objects.published().exists()


def test_reporter_cannot_change_their_published_story(
    reporter_client, reporter, make_story, section
):
    story = make_story("Live", created_by=reporter)

    page = reporter_client.get(change_url(story))
    response = reporter_client.post(
        change_url(story),
        {
            **writer_form_data(section, headline="Edited", slug=story.slug),
            "loaded_version": story.version,
            "status": Story.Status.DRAFT,
        },
    )

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert response.status_code == 403
    story.refresh_from_db()
    assert (story.headline, story.status) == ("Live", Story.Status.PUBLISHED)


def test_reporter_cannot_retime_their_scheduled_story(
    reporter_client, reporter, make_story, section
):
    later = timezone.now() + timedelta(days=1)
    story = make_story(published_at=later, created_by=reporter)

    response = reporter_client.post(
        change_url(story),
        {
            **writer_form_data(section, headline=story.headline, slug=story.slug),
            "loaded_version": story.version,
            "published_at_0": "2020-01-01",
            "published_at_1": "00:00",
        },
    )

    assert response.status_code == 403
    story.refresh_from_db()
    assert story.published_at == later


def test_reporter_has_no_publish_actions(reporter_client, reporter, make_story):
    story = make_story(status=Story.Status.DRAFT, created_by=reporter)

    page = reporter_client.get(CHANGELIST)
    run_action(reporter_client, "publish", [story])

    actions = dict(page.context["action_form"].fields["action"].choices)
    assert "publish" not in actions and "unpublish" not in actions
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT


def test_reporter_may_delete_their_draft_but_not_their_published_story(
    reporter_client, reporter, make_story
):
    draft = make_story(status=Story.Status.DRAFT, created_by=reporter)
    live = make_story(created_by=reporter)

    for story in (draft, live):
        reporter_client.post(
            reverse("admin:articles_story_delete", args=[story.pk]), {"post": "yes"}
        )

    assert list(Story.objects.all()) == [live]


def test_reporter_cannot_recover_deleted_stories(reporter_client):
    assert reporter_client.get(reverse("admin:articles_story_recoverlist")).status_code == 403


def test_reporter_sees_no_recover_link(reporter_client):
    assert "Recover deleted stories" not in reporter_client.get(CHANGELIST).content.decode()


def test_reporter_cannot_see_the_history_of_someone_elses_story(reporter_client, make_story):
    story = make_story(status=Story.Status.DRAFT)

    response = reporter_client.get(reverse("admin:articles_story_history", args=[story.pk]))

    assert response.status_code == 404


# What an editor can do


def test_editor_sees_every_story(news_editor_client, reporter, make_story):
    make_story("A reporter's draft", status=Story.Status.DRAFT, created_by=reporter)
    make_story("A live story")

    assert sorted(listed(news_editor_client.get(CHANGELIST))) == [
        "A live story",
        "A reporter's draft",
    ]


def test_editor_publishes_a_reporters_draft_from_the_form(
    news_editor_client, reporter, make_story, section
):
    story = make_story(status=Story.Status.DRAFT, created_by=reporter)

    response = news_editor_client.post(
        change_url(story),
        story_form_data(
            section,
            headline=story.headline,
            slug=story.slug,
            loaded_version=story.version,
            status=Story.Status.PUBLISHED,
        ),
    )

    assert response.status_code == 302
    assert list(Story.objects.published()) == [story]


def test_editor_unpublishes_with_the_bulk_action(news_editor_client, make_story):
    story = make_story()

    run_action(news_editor_client, "unpublish", [story])

    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT


def test_editor_sees_the_recover_link(news_editor_client):
    assert "Recover deleted stories" in news_editor_client.get(CHANGELIST).content.decode()


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:articles_section_add",
        "admin:articles_author_add",
        "admin:taggit_tag_add",
        "admin:taggit_tag_changelist",
    ],
)
def test_editor_manages_sections_authors_and_tags(news_editor_client, url_name):
    assert news_editor_client.get(reverse(url_name)).status_code == 200


@pytest.mark.parametrize("url_name", ["admin:articles_section_add", "admin:taggit_tag_add"])
def test_reporter_does_not_manage_sections_or_tags(reporter_client, url_name):
    assert reporter_client.get(reverse(url_name)).status_code == 403


# A reporter sees and links only the stories they may see


@pytest.fixture
def other_reporter(role_user):
    return role_user("Reporter", "second-reporter")


def related_row(target="", headline="", **fields):
    return {"target": target, "headline": headline, "url": "", "order": "0", **fields}


def test_related_headline_refuses_a_story_the_reporter_may_not_see(
    reporter_client, reporter, other_reporter, make_story, section
):
    secret = make_story("Secret merger talks", status=Story.Status.DRAFT, created_by=other_reporter)
    story = make_story(status=Story.Status.DRAFT, created_by=reporter)

    response = reporter_client.post(
        change_url(story),
        writer_form_data(
            section,
            headline=story.headline,
            slug=story.slug,
            loaded_version=story.version,
            **inline_rows("related_headlines", [related_row(target=secret.pk)]),
        ),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert "Secret merger talks" not in html
    assert not story.related_headlines.exists()


def test_related_headline_accepts_the_reporters_own_and_public_stories(
    reporter_client, reporter, make_story, section
):
    public = make_story("Live story")
    own = make_story("My other draft", status=Story.Status.DRAFT, created_by=reporter)
    story = make_story(status=Story.Status.DRAFT, created_by=reporter)

    response = reporter_client.post(
        change_url(story),
        writer_form_data(
            section,
            headline=story.headline,
            slug=story.slug,
            loaded_version=story.version,
            **inline_rows(
                "related_headlines",
                [related_row(target=public.pk), related_row(target=own.pk, order="1")],
            ),
        ),
    )

    assert response.status_code == 302
    assert {row.target for row in story.related_headlines.all()} == {public, own}


def test_a_link_an_editor_made_to_a_hidden_story_is_kept_but_not_shown(
    reporter_client, reporter, other_reporter, make_story, section
):
    secret = make_story("Secret merger talks", status=Story.Status.DRAFT, created_by=other_reporter)
    story = make_story(status=Story.Status.DRAFT, created_by=reporter, related=[("", "", secret)])
    row = story.related_headlines.get()

    page = reporter_client.get(change_url(story))
    response = reporter_client.post(
        change_url(story),
        writer_form_data(
            section,
            headline="Edited by the reporter",
            slug=story.slug,
            loaded_version=story.version,
            **inline_rows(
                "related_headlines",
                [related_row(target=secret.pk, id=row.pk, story=story.pk)],
                initial=1,
            ),
        ),
    )

    assert "Secret merger talks" not in page.content.decode()
    assert "A story you cannot open" in page.content.decode()
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.headline == "Edited by the reporter"
    assert story.related_headlines.get().target == secret


def test_changelist_filters_list_only_what_the_reporters_stories_use(
    reporter_client, news_editor_client, reporter, other_reporter, make_story, make_author
):
    make_story(
        status=Story.Status.DRAFT,
        created_by=reporter,
        tags=["Harbour"],
        authors=[make_author("Kim Min-ji", user=reporter)],
    )
    make_story(
        status=Story.Status.DRAFT,
        created_by=other_reporter,
        tags=["Merger talks"],
        authors=[make_author("Secret Source")],
    )

    mine = reporter_client.get(CHANGELIST).content.decode()
    everything = news_editor_client.get(CHANGELIST).content.decode()

    assert "Harbour" in mine and "Kim Min-ji" in mine
    assert "Merger talks" not in mine and "Secret Source" not in mine
    assert "Merger talks" in everything and "Secret Source" in everything


AUTOCOMPLETE = reverse("admin:autocomplete")


def autocomplete(client, model_name, field_name, term=""):
    return client.get(
        AUTOCOMPLETE,
        {"app_label": "articles", "model_name": model_name, "field_name": field_name, "term": term},
    )


@pytest.mark.parametrize(
    ("model_name", "field_name"),
    [
        # Fields pointing to stories that no form of a reporter's offers to fill in.
        ("correction", "story"),
        ("storyauthor", "story"),
        ("relatedheadline", "story"),
        ("storyslug", "story"),
        ("story", "created_by"),
    ],
)
def test_reporter_autocomplete_only_for_fields_of_their_forms(
    reporter_client, make_story, model_name, field_name
):
    make_story("Secret merger talks", status=Story.Status.DRAFT)

    response = autocomplete(reporter_client, model_name, field_name, "secret")

    assert response.status_code == 403
    assert "Secret merger talks" not in response.content.decode()


def test_reporter_autocomplete_still_works_for_their_forms(reporter_client, make_author):
    make_author("Kim Min-ji")

    response = autocomplete(reporter_client, "storyauthor", "author", "kim")

    assert [result["text"] for result in response.json()["results"]] == ["Kim Min-ji"]


def test_view_on_site_redirect_only_for_stories_the_user_may_see(
    reporter_client, news_editor_client, reporter, make_story
):
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(Story).pk
    secret = make_story("Secret merger talks", status=Story.Status.DRAFT)
    own = make_story("Mine", status=Story.Status.DRAFT, created_by=reporter)

    def view_on_site(client, story):
        return client.get(reverse("admin:view_on_site", args=[content_type, story.pk]))

    refused = view_on_site(reporter_client, secret)
    assert refused.status_code == 404
    assert secret.slug not in refused.content.decode()
    assert view_on_site(reporter_client, own)["Location"].endswith(own.get_absolute_url())
    assert view_on_site(news_editor_client, secret)["Location"].endswith(secret.get_absolute_url())


def test_history_does_not_name_a_hidden_story_an_editor_linked(
    reporter_client, news_editor_client, reporter, other_reporter, make_story, section
):
    secret = make_story("Secret merger talks", status=Story.Status.DRAFT, created_by=other_reporter)
    story = make_story(status=Story.Status.DRAFT, created_by=reporter)
    news_editor_client.post(
        change_url(story),
        story_form_data(
            section,
            headline=story.headline,
            slug=story.slug,
            loaded_version=story.version,
            **inline_rows("related_headlines", [related_row(target=secret.pk)]),
        ),
    )
    assert story.related_headlines.get().target == secret

    form = reporter_client.get(change_url(story)).content.decode()
    history = reporter_client.get(reverse("admin:articles_story_history", args=[story.pk]))

    assert "Secret merger talks" not in form
    assert "Secret merger talks" not in history.content.decode()


def test_editor_links_an_author_to_a_staff_account_without_seeing_the_accounts_list(
    news_editor_client, reporter, django_user_model
):
    django_user_model.objects.create_user("reader", is_staff=False)
    add = reverse("admin:articles_author_add")
    form = news_editor_client.get(add)
    options = form.content.decode()
    assert f'value="{reporter.pk}"' in options
    assert ">reader<" not in options  # only staff accounts can be linked

    response = news_editor_client.post(
        add, {"name": "Kim Min-ji", "slug": "kim-min-ji", "user": reporter.pk, "bio": ""}
    )

    assert response.status_code == 302
    assert reporter.author_profile.name == "Kim Min-ji"
    # The account list itself stays closed to editors.
    assert news_editor_client.get(reverse("admin:auth_user_changelist")).status_code == 403
