"""The photo library: every photo entered once, with its credit, rights and renditions.

- `models.Photo`: the private original (as Story's lead photo: never served), the
  renditions readers get (articles/images.py makes them, in the background:
  `tasks.make_photo_renditions`), caption, credit, alt text, focal point, source, and
  optional usage rights.
- `fingerprints`: the SHA-256 and 64-bit dHash that find a photo already in the library.
- `admin`: the library in the admin (thumbnails, search, filters, bulk upload).
"""
