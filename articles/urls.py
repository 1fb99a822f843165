from django.urls import path, register_converter

from . import feeds, sitemaps, views
from .cache import cache_public_page
from .converters import UnicodeSlugConverter

register_converter(UnicodeSlugConverter, "uslug")

app_name = "articles"

# The home page and the sections' pages (`home`, `section_detail`) are the front-page
# desk's: articles/fronts/urls.py, mounted beside these by newsroom/urls.py.

urlpatterns = [
    path("stories/", views.LatestView.as_view(), name="story_list"),
    path("stories/<uslug:slug>/", views.StoryDetailView.as_view(), name="story_detail"),
    path("tags/<uslug:slug>/", views.TagDetailView.as_view(), name="tag_detail"),
    path("authors/<uslug:slug>/", views.AuthorDetailView.as_view(), name="author_detail"),
    path("search/", views.search, name="search"),
]

# Feeds: the whole site in three formats, and RSS/Atom per section, tag and author.
urlpatterns += [
    path("feeds/rss/", feeds.SiteFeed(feeds.NewsroomRss), name="feed_rss"),
    path("feeds/atom/", feeds.SiteFeed(feeds.NewsroomAtom), name="feed_atom"),
    path("feed.json", feeds.SiteFeed(feeds.JsonFeed), name="feed_json"),
]
for kind, feed_class in (
    ("section", feeds.SectionFeed),
    ("tag", feeds.TagFeed),
    ("author", feeds.AuthorFeed),
):
    urlpatterns += [
        path(
            f"feeds/{kind}/<uslug:slug>/rss/",
            feed_class(feeds.NewsroomRss),
            name=f"{kind}_feed_rss",
        ),
        path(
            f"feeds/{kind}/<uslug:slug>/atom/",
            feed_class(feeds.NewsroomAtom),
            name=f"{kind}_feed_atom",
        ),
    ]

# Crawlers.
urlpatterns += [
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap_index"),
    path("sitemap-<str:section>.xml", sitemaps.sitemap_page, name="sitemap"),
    path("news-sitemap.xml", sitemaps.news_sitemap, name="news_sitemap"),
    path("robots.txt", sitemaps.robots_txt, name="robots_txt"),
]

# The query parameters each page reads (by URL name); a page not listed reads none.
# Lists: `before`, the keyset cursor of older pages (articles/pagination.py), and `page`,
# their former numbered addresses, which redirect to it.
# Everything else in a query string (utm_*, fbclid, …) is dropped before the view runs,
# so it neither misses the page cache nor adds an entry to it.
QUERY_PARAMETERS = {
    "home": ("before", "page"),
    "story_list": ("before", "page"),
    "section_detail": ("before", "page"),
    "tag_detail": ("before", "page"),
    "author_detail": ("before", "page"),
    "search": ("q", "section", "tag", "page"),
    "sitemap": ("p",),
    # A story page's parts (articles/extensions.py): live coverage's older updates.
    "story_detail": ("before",),
}


def public_pages(patterns, query_parameters):
    """Make every page of `patterns` public: anonymous readers get it from the page
    cache, until what it shows changes (its cache tags; never private; see
    articles/cache/). `query_parameters`: what each reads, by URL name (as above).
    The desks' public pages (articles/live/urls.py) go through here too."""
    for pattern in patterns:
        pattern.callback = cache_public_page(
            pattern.callback, query_parameters.get(pattern.name, ())
        )
    return patterns


public_pages(urlpatterns, QUERY_PARAMETERS)
