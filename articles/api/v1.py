"""/api/v1/: the read-only content API (django-ninja), its OpenAPI schema and docs."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Newsroom content API",
    version="1",
    urls_namespace="api-v1",
    description="Read-only access to what the newsroom publishes.",
)
