from django.apps import AppConfig


class FrontsConfig(AppConfig):
    """The front-page desk: home and section fronts, their layouts, zones and pins, and
    the breaking-news banner. Above the story core: it imports the core, never the
    other way round."""

    name = "articles.fronts"
    label = "fronts"
    verbose_name = "Fronts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signal_handlers

        signal_handlers.connect()
