"""Where the desks above the story core add to its pages, feeds and admin.

The core never imports a desk (articles/live/, articles/fronts/, articles/wire/): a
desk that shows something on the story's page, in its feed items or on its admin page
registers it here, from its AppConfig.ready(); the core asks this registry when it
builds them. Every registry is keyed by name: registering twice replaces, never adds.

- `story_page_parts`: callables `(view, story)` returning None (nothing of theirs on
  this story) or a dict for the story page's context; a "cache_tags" key in it adds to
  the page's tags. The story page's `?before=` pages through a part (live coverage's
  older updates): a story no part answers for has no such page (404).
- `feed_item_times`: name -> a function returning an expression; feed items are
  annotated with it (inside the items' one query) and an item's update time is the
  latest of these and the story's own times (live coverage: its newest update).
- `story_admin_parts`: classes made with the StoryAdmin instance; each may give views
  (`urls()`, listed before the admin's own) and context for the story's change page
  (`change_form_context(request, story)`).
"""

story_page_parts = {}
feed_item_times = {}
story_admin_parts = {}


class StoryAdminPart:
    """What a desk adds to the story admin; subclasses override what they need."""

    def __init__(self, model_admin):
        self.model_admin = model_admin

    def urls(self):
        return []

    def change_form_context(self, request, story):
        return {}
