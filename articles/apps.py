from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class NewsroomAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the newsroom's site (articles/admin_site.py)."""

    default = False  # "articles" in INSTALLED_APPS still means ArticlesConfig
    default_site = "articles.admin_site.NewsroomAdminSite"


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Newsroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # What a change of a story, its parts, a section, author or tag purges, and the
        # scheduled stories' moments (articles/signal_handlers.py).
        from . import signal_handlers

        signal_handlers.connect()

        # Fronts' pages: purged on change, and at their pins' and layouts' times.
        from .fronts import signals as fronts_signals

        fronts_signals.connect_signals()

        # Versioned whatever loads first (admin, importer, shell): see articles/history.py.
        from . import history

        history.register()

        # The breaking-news banner: its starts and expiries are scheduled changes.
        from . import banner

        banner.connect()

        # Photos whose usage rights end leave public pages on time (with the setting).
        from .photos.models import connect_schedule

        connect_schedule()

        self.stop_measuring_photos_on_load()

    def stop_measuring_photos_on_load(self):
        """Photo rows carry their size; loading one must never open the image.

        Django's ImageField measures the file on every model instantiation (post_init)
        whenever width or height is empty, so a story list with photos missing their
        size would decode a dozen images per request. Sizes are set where photos are
        assigned instead (the admin's upload, `load_demo`), which Django still does on
        assignment (ImageFileDescriptor.__set__).
        """
        from django.db.models.signals import post_init

        from .models import Photo

        field = Photo._meta.get_field("original")
        post_init.disconnect(field.update_dimension_fields, sender=Photo)
