"""Backups: the content, dumped with natural foreign keys (primary keys kept), loads
into an empty database and the public pages come back the same (docs/operations.md, "Backups")."""

import pytest
from django.core.management import call_command

from articles.models import Story

EXCLUDE = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "axes",
    "admin.logentry",
    "reversion",
]


@pytest.fixture
def no_page_cache(settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}


@pytest.mark.django_db(transaction=True)
def test_dump_and_restore_gives_the_same_pages(
    client, make_story, make_author, editor, tmp_path, no_page_cache
):
    author = make_author(name="김민지")
    lead = make_story("서울 시장 선거", authors=[author], tags=["서울", "Politics"])
    make_story(
        "Linked from the lead",
        authors=[author],
        related=[("Wire copy", "https://example.com/wire", None), ("", "", lead)],
        created_by=editor,
    )
    make_story("A draft", status=Story.Status.DRAFT)
    urls = ["/", lead.get_absolute_url(), "/tags/서울/", author.get_absolute_url()]
    before = [client.get(url).content for url in urls]

    # XML keeps microseconds in times (JSON rounds them to milliseconds).
    dump = tmp_path / "newsroom.xml"
    call_command(
        "dumpdata",
        "--natural-foreign",
        *[f"--exclude={label}" for label in EXCLUDE],
        "--format=xml",
        f"--output={dump}",
    )
    call_command("flush", "--no-input")
    assert not Story.objects.exists()
    call_command("loaddata", str(dump))

    after = [client.get(url).content for url in urls]
    assert Story.objects.count() == 3
    for url, old, new in zip(urls, before, after, strict=True):
        assert new == old, url
