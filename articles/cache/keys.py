"""What a cached entry is keyed by: the normalised URL and the build identity.

- **Only the parameters a page reads.** Each public URL pattern declares which query
  parameters its view reads (`QUERY_PARAMETERS` in articles/urls.py); before the view
  runs, everything else (`utm_*`, `fbclid`, `gclid`, a typo…) is dropped from
  `request.GET` and the query string, and the rest is sorted, one value each (the
  last, as `QueryDict.get` reads). So a link carrying tracking parameters is a hit on
  the page without them, and no view can read a parameter its key does not hold.
- **The build identity** (`build_id()`): pages and fragments outlive a process (in the
  file cache and in Redis), so after a deploy that changed a template, a view or the
  static files, the previous code's pages would still be served. The build identity is
  part of every page and fragment key: `NEWSROOM_BUILD_ID` when the deploy sets one (a
  commit hash, say), else a digest of the project's own Python files, templates,
  translations and the static files manifest, computed once per process (a few
  milliseconds; gunicorn's master computes it before forking, see newsroom/warmup.py).

What a key does not carry is the content: whether an entry still describes the content
is decided by its cache tags (articles/cache/tags.py).
"""

import functools
import hashlib
import importlib
import os
from pathlib import Path

import django
from django.conf import settings
from django.http import QueryDict
from django.urls import Resolver404, resolve


def page_key(request):
    """The shared cache's key for the page at this (normalised) absolute URL."""
    url = request.build_absolute_uri()
    digest = hashlib.sha256(url.encode("utf-8", "surrogateescape")).hexdigest()
    return f"newsroom:page:{build_id()}:{digest}"


def fragment_key(name):
    """The shared cache's key for the fragment `name`, under this build."""
    return f"newsroom:fragment:{build_id()}:{name}"


# Query parameters


def page_parameters(request):
    """The query parameters the public page at this path reads; None if it is not one."""
    # As Django's handler picks the URLconf (a middleware may set request.urlconf).
    urlconf = getattr(request, "urlconf", None) or settings.ROOT_URLCONF
    return _parameters_at(urlconf, request.path_info)


@functools.lru_cache(maxsize=4096)
def _parameters_at(urlconf, path):
    # Resolving a path takes 30-40 µs, a sixth of a whole hit (~200 µs in process);
    # remembering the answer for the paths seen most recently costs about one.
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    return getattr(match.func, "page_parameters", None)


def keep_only_parameters(request, names):
    """Leave in `request.GET` and the query string only `names`, sorted, one value each.

    Of a repeated parameter (`?page=1&page=2`) the last value is kept: the one
    `request.GET.get()` would have read. Only the query string is rewritten here;
    `request.GET` is parsed from it when a view first reads it (a cache hit never does).
    """
    query_string = request.META.get("QUERY_STRING", "")
    if not query_string:
        return
    kept = _kept_query(names, query_string)
    if kept != query_string:
        request.META["QUERY_STRING"] = kept
        request.__dict__.pop("GET", None)  # parsed again, from the kept string


@functools.lru_cache(maxsize=4096)
def _kept_query(names, query_string):
    # A live page's poll (`?after=1234`) and a list's next page repeat across readers.
    if not any(name in query_string for name in names):
        return ""  # the usual tracking link (`?utm_source=…`): nothing to keep
    # As WSGIRequest.GET reads it: the WSGI string holds the raw bytes (latin-1).
    found = QueryDict(query_string.encode("iso-8859-1", "replace"))
    kept = QueryDict(mutable=True)
    for name in sorted(names & found.keys()):
        kept[name] = found[name]
    return kept.urlencode()


# Build identity

# What can change what a page looks like: code, templates, translations. (Static files
# count through the manifest, whose hashed names the pages print.)
SOURCE_SUFFIXES = (".py", ".html", ".txt", ".xml", ".mo")


def build_id():
    """The identity of the code that renders pages: part of every page and fragment key."""
    return settings.NEWSROOM_BUILD_ID or source_digest()


def source_roots():
    """The project's own folders: its apps, its settings and URL packages, its templates."""
    from django.apps import apps

    base = Path(settings.BASE_DIR).resolve()
    roots = {Path(app.path).resolve() for app in apps.get_app_configs()}
    for module in (settings.SETTINGS_MODULE, settings.ROOT_URLCONF):
        if module:  # no SETTINGS_MODULE when settings were configured in code
            roots.add(Path(importlib.import_module(module).__file__).resolve().parent)
    for engine in settings.TEMPLATES:
        roots.update(Path(folder).resolve() for folder in engine.get("DIRS", ()))
    # Installed packages (Django's admin, taggit, …) change only with a dependency
    # upgrade, which a deploy marks with NEWSROOM_BUILD_ID or Django's version below.
    return sorted(root for root in roots if root.is_relative_to(base) and root != base)


@functools.cache
def source_digest():
    """A digest of every source file under `source_roots()` and the static manifest."""
    digest = hashlib.sha256(django.get_version().encode())
    base = Path(settings.BASE_DIR).resolve()
    files = []
    for root in source_roots():
        for folder, subfolders, names in os.walk(root):
            subfolders[:] = [n for n in subfolders if n != "__pycache__" and n[0] != "."]
            files += [Path(folder, n) for n in names if n.endswith(SOURCE_SUFFIXES)]
    if settings.STATIC_ROOT:
        manifest = Path(settings.STATIC_ROOT, "staticfiles.json")
        if manifest.is_file():
            files.append(manifest.resolve())
    for path in sorted(set(files)):
        name = path.relative_to(base) if path.is_relative_to(base) else path
        digest.update(f"\0{name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
