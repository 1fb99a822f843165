"""Cache tag names, made here and nowhere else.

A tag names what a cached page or fragment shows (articles/cache/tags.py); whoever
declares it (`depends_on()`, a fragment's tags) and whoever purges it (a signal handler,
a schedule) build the same string with the same function, so the two cannot drift.

Objects' own fields (a headline, a name, a photo's caption): one tag per object.
Lists' membership (which stories a list holds, in what order): `list_*`, purged only
when a story enters, leaves or moves in that list. A few broad tags name what any of
many objects may change (below).
"""

# Broad tags.
SECTIONS = "sections"  # the navigation: which sections have a public story, their names
SEARCH = "search"  # any public text (search results)
SITEMAP = "sitemap"  # any public address or its lastmod
MISSING = "missing"  # not-found pages: any new public address
LIST_LATEST = "list:latest"  # the latest stories (home, /stories/, the site's feeds)
BANNER = "banner"  # the breaking-news banner every public page shows
# Every cacheable response carries it; a CDN purges everything with it.
EVERYTHING = "site"


# One object's own fields.


def story(pk):
    """A story's text, headline, photo, slug, bylines' order (its page and its cards)."""
    return f"story:{pk}"


def related(pk):
    """A story's automatic related headlines (only its own page shows them)."""
    return f"related:{pk}"


def section(pk):
    return f"section:{pk}"


def author(pk):
    return f"author:{pk}"


def tag(pk):
    return f"tag:{pk}"


def photo(pk):
    return f"photo:{pk}"


def gallery(pk):
    return f"gallery:{pk}"


def live(pk):
    """A live story's updates (its page and its poll)."""
    return f"live:{pk}"


def front(section_pk=None):
    """The home front (None) or a section's front: its pins and layout.

    By the page the front is shown on, not the Front row: a page knows it without a
    query, and purging it covers a front created or deleted since."""
    return "front:home" if section_pk is None else f"front:section:{section_pk}"


# Lists' membership.


def list_section(pk):
    return f"list:section:{pk}"


def list_tag(pk):
    return f"list:tag:{pk}"


def list_author(pk):
    return f"list:author:{pk}"
