from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The content API and syndication out (articles/api/): /api/v1/ (django-ninja),
    stories as ninjs, partners' keys and webhooks. Above the story core and the desks,
    which never import it."""

    name = "articles.api"
    label = "api"
    verbose_name = "Content API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Webhooks: what a story's save or delete, or an agency's kill, tells partners.
        from . import signal_handlers

        signal_handlers.connect()
