"""/api/v1/: the read-only content API (django-ninja), its OpenAPI schema and docs.

The routers: stories (articles/api/stories.py) and what they are filed under, photos
and fronts (articles/api/catalog.py). Every operation is a public page of the site's
page cache (articles/api/urls.py), so each view declares its cache tags. Errors are
JSON: `{"detail": …}` with a 4xx status (422 for a parameter this API cannot use).
"""

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from . import access, catalog, ninjs_router, stories

api = NinjaAPI(
    title="Newsroom content API",
    version="1",
    urls_namespace="api-v1",
    description=(
        "Read-only access to what the newsroom publishes: the public stories (keyset "
        "pages, filters), each with its body as HTML and as blocks, sections, tags, "
        "authors, photos, live updates and the fronts. Responses are cached and carry "
        "ETag (send If-None-Match for a 304) and Surrogate-Key. Guide: docs/api.md."
    ),
    # Swagger UI from ninja's own static files (ninja/static/ninja/): no third party,
    # no inline script (its settings are a JSON data block), so it runs under the
    # site's Content-Security-Policy as it is. No validator badge: it would call
    # validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None}),
    docs_url="/docs",
    openapi_url="/openapi.json",
    # Anonymous readers, or a partner's key (docs/partners.md): what each may see is
    # decided in access.py; an unknown, revoked or over-limit key is refused (401, 429).
    auth=access.partner_auth,
)
access.install(api)

# Routers are added here, each at the API's root (their paths are absolute).
api.add_router("", stories.router)
api.add_router("", catalog.router)
# Stories as ninjs (`/stories/{id}.ninjs`, articles/api/ninjs.py).
api.add_router("", ninjs_router.router)
