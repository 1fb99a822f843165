from django.apps import AppConfig
from django.db.models.signals import post_init


class PhotosConfig(AppConfig):
    """The photo library (app label "photos"): below the story core, which it never
    imports. Its models keep the tables they had in `articles` (articles_photo, …)."""

    name = "articles.photos"
    label = "photos"
    verbose_name = "Photo library"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signal_handlers

        signal_handlers.connect()
        self.stop_measuring_photos_on_load()

    def stop_measuring_photos_on_load(self):
        """Photo rows carry their size; loading one must never open the image.

        Django's ImageField measures the file on every model instantiation (post_init)
        whenever width or height is empty, so a story list with photos missing their
        size would decode a dozen images per request. Sizes are set where photos are
        assigned instead (the admin's upload, `load_demo`), which Django still does on
        assignment (ImageFileDescriptor.__set__).
        """
        Photo = self.get_model("Photo")
        field = Photo._meta.get_field("original")
        post_init.disconnect(field.update_dimension_fields, sender=Photo)
