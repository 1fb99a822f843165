"""What tells two uploads are the same photo: SHA-256 of the bytes, and a dHash.

The dHash ("difference hash") is written here with Pillow in a few lines rather than
taken from ImageHash, which would pull in numpy, scipy and PyWavelets for this one
function. It shrinks the upright photo to 9×8 grey pixels and keeps one bit per pair of
neighbours (is the left one brighter?): re-encoding, resizing, recompressing or a
slight colour change keep nearly all 64 bits, so two hashes within
`NEAR_DUPLICATE_DISTANCE` differing bits are taken for the same photo.
"""

from __future__ import annotations

import hashlib

from PIL import Image, ImageOps

# Bits that may differ between two dHashes of the same photo (re-encoded, resized).
NEAR_DUPLICATE_DISTANCE = 6

_SIGN = 1 << 63


def sha256_of(fileobj) -> str:
    fileobj.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


# A picture whose 9×8 grey thumbnail spans fewer levels than this is flat (a blank slide,
# a plain colour): its dHash is all noise or all zeros, and would match every other flat
# picture, so it gets none and only an exact copy counts as a duplicate.
FLAT_CONTRAST = 8


def dhash(fileobj) -> int | None:
    """The photo's 64-bit difference hash, as a signed integer (a BigIntegerField holds
    signed 64-bit values; the bits are the same); None for a flat picture."""
    fileobj.seek(0)
    with Image.open(fileobj) as image:
        image.seek(0)
        # draft() lets the JPEG decoder skip most of a camera photo's pixels.
        image.draft("L", (image.width // 8 or 1, image.height // 8 or 1))
        grey = ImageOps.exif_transpose(image).convert("L")
        small = grey.resize((9, 8), Image.Resampling.LANCZOS)
    fileobj.seek(0)
    pixels = small.tobytes()  # one byte per grey pixel, row by row
    if max(pixels) - min(pixels) < FLAT_CONTRAST:
        return None
    value = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            value = (value << 1) | (left > right)
    return value - (1 << 64) if value & _SIGN else value


def distance(a: int, b: int) -> int:
    """How many of the 64 bits differ."""
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()
