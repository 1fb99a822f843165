from django.utils.functional import SimpleLazyObject

from .banner import live_banner


def breaking_banner(request):
    """The live breaking-news banner (or None) for base.html: a fragment, read only by
    pages that render it (not the admin). Named in settings.TEMPLATES."""
    return {"breaking_banner": SimpleLazyObject(live_banner)}
