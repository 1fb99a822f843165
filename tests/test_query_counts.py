"""Every public page runs a small, constant number of queries.

Each page is measured with a little content and with a lot of tags, authors and related
headlines; the bound is the same for both.
"""

import pytest

MAX_QUERIES = 6


@pytest.fixture
def build(make_story, make_author, make_section):
    def build(size):
        authors = [make_author() for _ in range(size)]
        sections = [make_section() for _ in range(2)]
        tags = [f"tag {n}" for n in range(size)]
        stories = []
        for n in range(size * 2):
            stories.append(
                make_story(
                    authors=authors,
                    tags=tags,
                    section=sections[n % 2],
                    related=[(f"Wire {m}", "https://example.com/", None) for m in range(size)]
                    + [("", "", story) for story in stories[-size:]],
                )
            )
        return stories[-1], authors[0], sections[0]

    return build


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize("page", ["home", "list", "story", "section", "tag", "author"])
def test_public_page_query_count_is_bounded(
    client, build, django_assert_max_num_queries, size, page
):
    story, author, section = build(size)
    url = {
        "home": "/",
        "list": "/stories/",
        "story": story.get_absolute_url(),
        "section": section.get_absolute_url(),
        "tag": "/tags/tag-0/",
        "author": author.get_absolute_url(),
    }[page]
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url)
    assert response.status_code == 200


def test_story_with_automatic_related_headlines_is_bounded(
    client, make_story, django_assert_max_num_queries
):
    for n in range(10):
        make_story(f"Neighbour {n}", tags=["alpha", "beta"])
    story = make_story("Main", tags=["alpha", "beta"])
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(story.get_absolute_url())
    assert "Neighbour" in response.content.decode()
