from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from articles import urls as articles_urls
from articles.fronts import urls as fronts_urls
from articles.live import urls as live_urls
from articles.media import serve_media
from articles.wire import urls as wire_urls
from newsroom import health

admin.site.site_header = f"{settings.NEWSROOM['SITE_NAME']} — editors"
admin.site.site_title = settings.NEWSROOM["SITE_NAME"]
admin.site.index_title = "Newsroom"

# The desks' public pages (each desk's urls.py), beside the core's.
DESK_PATTERNS = [
    fronts_urls.urlpatterns,
    live_urls.urlpatterns,
    wire_urls.urlpatterns,
]
DESK_URLS = [pattern for patterns in DESK_PATTERNS for pattern in patterns]

urlpatterns = [
    # Served by HealthCheckMiddleware before the Host check; named here for reverse().
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path(settings.ADMIN_URL, admin.site.urls),
    # The public pages: the story core's and each desk's, in the one namespace "articles".
    path("", include(([*articles_urls.urlpatterns, *DESK_URLS], "articles"))),
    # The content API (articles/api/): /api/v1/, public pages of the same page cache.
    path("api/", include("articles.api.urls")),
    # Browsers (and the admin, which declares no icon) ask for /favicon.ico.
    path(
        "favicon.ico",
        RedirectView.as_view(get_redirect_url=lambda *a, **k: static("img/favicon.svg")),
    ),
]

if settings.SERVE_MEDIA:
    urlpatterns.append(
        re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.+)$", serve_media, name="media")
    )
