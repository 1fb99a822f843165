"""The content API's addresses, mounted at /api/ by newsroom/urls.py.

Every address of /api/v1/ is a public page of the site (`public_pages`,
articles/urls.py): anonymous requests are answered from the page cache until a purge
of the tags the response declared, with ETag/304 and Surrogate-Key, on every host at
once. An API response is purged by the same changes as the page showing the same.
"""

from django.urls import path
from django.views.generic import RedirectView

from articles.urls import public_pages

from .v1 import api

# The query parameters each operation reads (by URL name); any other is dropped before
# the view runs (articles/cache/keys.py), so it neither misses nor adds a cache entry.
QUERY_PARAMETERS = {
    "story_list": ("section", "tag", "author", "language", "updated_since", "before", "limit"),
    "story_live_updates": ("before",),
    "tag_list": ("after",),
}

# Not `app_name` at module level: include() would take it for this module's namespace.
_patterns, _app, _namespace = api.urls
for _pattern in _patterns:
    if _pattern.name == "api-root":
        # ninja's root answers 404 naming the docs' address: lead there instead.
        _pattern.callback = RedirectView.as_view(pattern_name=f"{_namespace}:openapi-view")

urlpatterns = [
    path("v1/", (public_pages(_patterns, QUERY_PARAMETERS), _app, _namespace)),
]
