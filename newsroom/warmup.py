"""Everything a worker would otherwise build on its first reader's request, built once
in gunicorn's master before it forks (preload_app), so every worker starts warm.

Templates are parsed and cached, the URL resolver and translation catalogues loaded,
the static files manifest read, and a few public pages rendered through the whole
application: that fills the model and query caches the ORM builds lazily and the
shared fragment and page caches. Database connections opened here are closed before
the fork (workers must never share one); gunicorn's post_fork hook opens each worker's
own. A warm-up that fails (database not migrated yet, say) is logged and ignored:
start-up never depends on it.
"""

import io
import logging
import sys
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections

logger = logging.getLogger("newsroom.warmup")

TEMPLATES = (
    "base.html",
    "404.html",
    "500.html",
    "503.html",
    "articles/home.html",
    "articles/story_list.html",
    "articles/author_detail.html",
    "articles/story_detail.html",
    "articles/story_article.html",
    "articles/search.html",
    "includes/story_card.html",
    "includes/meta.html",
    "includes/search_result.html",
    "sitemaps/news_sitemap.xml",
)


def _host():
    host = urlsplit(settings.NEWSROOM["BASE_URL"]).netloc
    allowed = [h for h in settings.ALLOWED_HOSTS if h not in ("*",) and not h.startswith(".")]
    if host.split(":")[0] in allowed or "*" in settings.ALLOWED_HOSTS:
        return host
    return allowed[0] if allowed else host


def _get(application, path):
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": _host(),
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": urlsplit(settings.NEWSROOM["BASE_URL"]).scheme or "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    statuses = []
    body = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        for _ in body:
            pass
    finally:
        if hasattr(body, "close"):
            body.close()
    return statuses[0] if statuses else ""


def sample_paths():
    """The front page, the latest list, the newest story and its section and tag."""
    from articles.models import Story

    paths = ["/", "/stories/"]
    story = Story.objects.published().select_related("section").first()
    if story is not None:
        paths += [story.get_absolute_url(), story.section.get_absolute_url()]
        tag = story.tags.first()
        if tag is not None:
            from django.urls import reverse

            paths.append(reverse("articles:tag_detail", args=[tag.slug]))
    return paths


def warm_up(application):
    from django.template.loader import get_template
    from django.templatetags.static import static
    from django.urls import resolve, reverse
    from django.utils import translation

    try:
        for name in TEMPLATES:
            get_template(name)
        with translation.override(settings.LANGUAGE_CODE):
            translation.gettext("Home")
        resolve(reverse("articles:home"))
        static("css/site.css")
        for path in sample_paths():
            _get(application, path)
    except Exception:
        logger.warning(
            "Warm-up incomplete; workers will warm on their first requests", exc_info=True
        )
    finally:
        connections.close_all()
