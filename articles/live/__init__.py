"""Live coverage (app label "live"): a story that updates while readers watch.

A story is *live* from `Story.live_started_at` until `Story.live_ended_at`; after that
its page is the archive of the coverage. Each `LiveUpdate` is a short dated post (rich
text, optional bylines, an optional photo with alt text, optionally pinned as a key
event) shown newest first on the story's page.

models.py           LiveUpdate, LiveUpdateRemoval (a deleted update's tombstone)
coverage.py         pages of updates, the poll's stamps, edits and deletions since
uploads.py          an update's photo: a library photo made from the upload
signal_handlers.py  what an update's change purges, a tombstone per deletion
views.py, urls.py   the story page's part, the poll and an update's permalink
admin.py, forms.py  posting, editing and deleting updates from the story's admin page
history.py          edits and deletions recorded in the story's history

The app sits above the story core: it imports the core, and adds its part to the
story's page, feeds and admin through articles/extensions.py (from `LiveConfig.ready`).

- Posting, editing and deleting an update never saves the story: the story's
  optimistic lock (its `version`) is for the story's own fields, and two reporters
  posting at once each insert a row of their own. What readers see changes through
  the cache tags `live:<story pk>` (the poll endpoint) and `story:<story pk>` (the
  page, cards, feeds), purged by articles/live/signal_handlers.py.
- Editing or deleting an update records a revision of the story (with the update's
  own version in it), so the story's history says who changed which update. Restoring
  an old version of the story writes the story's own fields and rows only
  (articles/history.py), never its updates: updates posted after that version stay.
- Photos go through the same checks as lead photos (`images.validate_photo`, in the
  admin form) and become library photos (`photo_from_upload`, stored and read before
  the update's transaction); the worker makes their renditions outside any transaction
  (articles/photos/tasks.py), and the update shows its photo once they exist. No post
  waits for another's photo: SQLite has one writer, held for a few INSERTs only.
- The poll endpoint (`/stories/<slug>/updates/?after=<id>&since=<stamp>`,
  articles/live/views.py) is a public page like any other: the page cache answers it,
  and a matching If-None-Match gets a 304 with no SQL. It carries new updates, and the
  edits (`updated_at`) and deletions (`LiveUpdateRemoval` tombstones) since the
  reader's state.
"""
