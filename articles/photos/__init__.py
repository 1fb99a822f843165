"""The photo library: every photo entered once, with its credit, rights and renditions.

- `models.Photo`: the private original (as Story's lead photo: never served), the
  renditions readers get (articles/images.py makes them, in the background:
  `tasks.make_photo_renditions`), caption, credit, alt text, focal point, source, and
  optional usage rights.
- `fingerprints`: the SHA-256 and 64-bit dHash that find a photo already in the library.
- `uploads`: a bulk upload's request (header checks, one SHA-256 while storing); the
  worker's part is in `tasks` (dHash, look-alikes, full decode, renditions, niced).
- `admin`: the library in the admin (thumbnails, search, filters, bulk upload), and
  galleries (`models.Gallery`: an ordered set of library photos).
- `inline`: photos and galleries between a story's paragraphs (`[photo 12]`,
  `[gallery 3]`), a kind of body block (articles/blocks.py); `models.BodyUse` records
  which story shows which, so that one in use is not deleted.
"""
