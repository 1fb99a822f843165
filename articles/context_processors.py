from django.conf import settings

from .models import Section


def newsroom(request):
    """Site identity and the section navigation, for base.html.

    Sections are a lazy queryset: the navigation costs one small query, and none on
    pages (like the admin) that never render it.
    """
    return {
        "newsroom": settings.NEWSROOM,
        "site_language": settings.LANGUAGE_CODE,
        "site_time_zone": settings.TIME_ZONE,
        "nav_sections": Section.objects.only("name", "slug"),
    }
