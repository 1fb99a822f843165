"""Everything a worker would otherwise build on its first reader's request, built once
in gunicorn's master before it forks (preload_app), so every worker starts warm.

The build identity is computed (articles/cache/keys.py: a digest of the sources, part of
every cached page's key), templates are parsed and cached, the URL resolver and
translation catalogues loaded, the static files manifest read, and a few public pages
rendered through the whole application: that fills the model and query caches the ORM
builds lazily and the shared fragment and page caches. Database connections opened
here are closed before the fork (workers must never share one); gunicorn's post_fork
hook opens each worker's own. A warm-up that fails (database not migrated yet, say) is
logged and ignored: start-up never depends on it.
"""

import io
import logging
import sys
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections
from django.db.models import Count
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import resolve, reverse
from django.utils import translation
from taggit.models import Tag

# Imported once the apps are ready: by newsroom/wsgi.py after get_wsgi_application(),
# and by gunicorn.conf.py's post_fork only when the application was preloaded.
from articles.cache.keys import build_id
from articles.models import Author, Section, Story

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
    """The pages readers arrive at first: the front page and what it links to.

    The latest list, the newest stories (the front page's), every section, and the
    most used tags and authors. A few dozen renders: well under a second at start-up.
    """
    stories = Story.objects.published().only("slug")[: settings.NEWSROOM["STORIES_PER_PAGE"]]
    tags = Tag.objects.annotate(uses=Count("taggit_taggeditem_items")).order_by("-uses")[:5]
    authors = Author.objects.annotate(uses=Count("bylines")).order_by("-uses")[:5]
    return [
        "/",
        reverse("articles:story_list"),
        *(story.get_absolute_url() for story in stories),
        *(section.get_absolute_url() for section in Section.objects.all()),
        *(reverse("articles:tag_detail", args=[tag.slug]) for tag in tags),
        *(author.get_absolute_url() for author in authors),
    ]


def warm_up(application):
    try:
        # Once, here: every worker forked from this process inherits it.
        logger.info("Build %s", build_id())
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


def warm_worker(application):
    """One front-page request inside a newly forked worker, before it takes readers.

    The master rendered everything worth rendering, but a process's very first
    request still pays for what is set up lazily per process (about 5 ms here); this
    way no reader's request is a worker's first.
    """
    # The worker keeps the connection this opens (post_fork made it its own).
    try:
        _get(application, "/")
    except Exception:
        logger.warning("Worker warm-up failed; its first reader warms it", exc_info=True)
