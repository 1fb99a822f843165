from django.apps import AppConfig

from articles import extensions


class WireConfig(AppConfig):
    """The wire desk: agency copy arriving by itself (docs in articles/wire/ingest.py).
    Above the story core, which never imports it; its warning on a story's admin page
    (a kill or a newer version from the agency) is registered in articles/extensions.py."""

    name = "articles.wire"
    label = "wire"
    verbose_name = "Wire"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import admin

        extensions.story_admin_parts["wire"] = admin.WireWarningAdmin
