"""What a request to the API may see: the one place that decides it.

Anonymous requests (and keys without the embargo scope) see what the public pages show:
`Story.objects.published()`.
"""

from articles.models import Story


def visible_stories(request):
    """The stories this API request may see."""
    return Story.objects.published()
