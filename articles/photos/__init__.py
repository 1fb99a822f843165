"""The photo library: every photo entered once, with its credit, rights and renditions.

An app of its own (label "photos", `apps.PhotosConfig`), below the story core: nothing
here imports articles.models or the modules built on it. What shows a photo (stories,
live updates) listens to `models.photo_changed`, and the library reaches stories only
through the reverse relations they declare ("stories", "body_uses").

- `models.Photo`: the private original (as Story's lead photo: never served), the
  renditions readers get (articles/images.py makes them, in the background:
  `tasks.make_photo_renditions`), caption, credit, alt text, focal point, source, and
  optional usage rights.
- `fingerprints`: the SHA-256 and 64-bit dHash that find a photo already in the library.
- `uploads`: a bulk upload's request (header checks, one SHA-256 while storing); the
  worker's part is in `tasks` (dHash, look-alikes, full decode, renditions, niced).
- `admin`: the library in the admin (thumbnails, search, filters, bulk upload), and
  galleries (`models.Gallery`: an ordered set of library photos).
- `inline`: the short codes that place photos and galleries between a story's
  paragraphs (`[photo 12]`, `[gallery 3]`), and loading what they name; the story core
  renders them (articles/inline_media.py, a kind of body block of articles/blocks.py)
  and records which story shows which (`BodyUse`, articles/models.py), so that one in
  use is not deleted.
- `signal_handlers`: what a change sets off (renditions' task, purges, files removed,
  the usage rights' schedule), connected from `PhotosConfig.ready`.
"""
