"""Photos: checking uploads, and making the renditions readers are sent.

Everything here is Pillow work done when a photo is saved (admin, importer, the
`rebuild_renditions` command), never while a reader's page is rendered: templates
read the finished renditions from `Story.lead_photo_renditions` (see `Picture`).

Originals live in the private `originals` storage with whatever metadata the camera
wrote; every rendition is re-encoded from pixels only, upright (the EXIF orientation is
applied first) and without EXIF, XMP or ICC-embedded locations.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import secrets
import threading
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.core.signals import setting_changed
from django.db import connections, transaction
from django.dispatch import receiver
from django.template.defaultfilters import filesizeformat
from django.utils.encoding import filepath_to_uri
from django.utils.functional import LazyObject, empty
from PIL import AvifImagePlugin, Image, ImageCms, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

# Where files are, by storage: the default (public) storage holds renditions and author
# portraits, the originals storage the uploaded lead photos (Story.lead_photo's upload_to).
RENDITIONS_FOLDER = "renditions"
PORTRAITS_FOLDER = "authors"
ORIGINALS_FOLDER = "photos"

# Pillow's name for each accepted format, and the extension a stored original gets:
# the name an upload arrived with is never trusted.
ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "AVIF": "avif"}
ACCEPTED_LABEL = "JPEG, PNG, WebP, GIF or AVIF"
MIME_TYPES = {"jpeg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}
EXTENSIONS = {"jpeg": "jpg", "webp": "webp", "avif": "avif"}

# The card's frame in list pages (static/css/site.css, .card__photo) and OpenGraph's.
CARD_RATIO = (16, 10)
SOCIAL_SIZE = (1200, 630)


def photo_settings():
    newsroom = settings.NEWSROOM
    return {
        "widths": sorted(newsroom["PHOTO_WIDTHS"]),
        "card_widths": sorted(newsroom["PHOTO_CARD_WIDTHS"]),
        "modern_format": newsroom["PHOTO_MODERN_FORMAT"],
        "jpeg_quality": newsroom["PHOTO_JPEG_QUALITY"],
        "modern_quality": newsroom["PHOTO_MODERN_QUALITY"],
    }


def rendition_spec() -> str:
    """A fingerprint of the rendition settings: renditions made under another are stale."""
    payload = json.dumps([photo_settings(), CARD_RATIO, SOCIAL_SIZE], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


# ------------------------------------------------------------------ private storage


class OriginalsStorage(LazyObject):
    """STORAGES["originals"], looked up when first used (and again after tests change it)."""

    def _setup(self):
        self._wrapped = storages["originals"]


originals_storage = OriginalsStorage()


def get_originals_storage():
    """The storage for uploaded originals (a callable, so migrations name it, not its path)."""
    return originals_storage


@receiver(setting_changed)
def _reset_originals_storage(*, setting, **kwargs):
    if setting in {"STORAGES", "MEDIA_ROOT", "PRIVATE_MEDIA_ROOT"}:
        originals_storage._wrapped = empty


# ------------------------------------------------------------------------ uploads


@dataclass(frozen=True)
class PhotoInfo:
    format: str  # Pillow's name: "JPEG", "PNG", …
    width: int
    height: int

    @property
    def extension(self) -> str:
        return ACCEPTED_FORMATS[self.format]


def validate_photo(upload, *, min_width=None, min_height=None, decode=True) -> PhotoInfo:
    """Check an uploaded file is a photo we accept, by reading it; raise ValidationError.

    With `decode=False` only the header is read (format, size, pixel count, and
    Pillow's verify(), which for JPEG reads no pixels): what refuses a file at once.
    The library's bulk upload checks that much in the request and leaves the full
    decode (a truncated file) to the worker, which refuses the file then
    (`UnreadablePhoto`).

    The name and content type the browser sent are ignored. Refused, each with its own
    message and code: files over NEWSROOM["PHOTO_MAX_BYTES"] (`too_large`), anything
    Pillow cannot read as an image, such as SVG or HTML renamed .jpg (`not_image`),
    other image formats (`format`), more pixels than NEWSROOM["PHOTO_MAX_PIXELS"]
    (`too_many_pixels`: decompression bombs, checked before decoding), truncated or
    corrupt files (`corrupt`) and photos smaller than the minimum (`too_small`).
    """
    newsroom = settings.NEWSROOM
    min_width = newsroom["PHOTO_MIN_WIDTH"] if min_width is None else min_width
    min_height = newsroom["PHOTO_MIN_HEIGHT"] if min_height is None else min_height
    max_bytes, max_pixels = newsroom["PHOTO_MAX_BYTES"], newsroom["PHOTO_MAX_PIXELS"]

    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(
            "This file is %(size)s; photos may be at most %(max)s.",
            code="too_large",
            params={"size": filesizeformat(size), "max": filesizeformat(max_bytes)},
        )
    too_many_pixels = ValidationError(
        "This image has too many pixels (at most %(max)s megapixels are accepted).",
        code="too_many_pixels",
        params={"max": f"{max_pixels / 1_000_000:g}"},
    )
    try:
        with _opened(upload) as image:
            info = PhotoInfo(image.format, *image.size)
            if info.format not in ACCEPTED_FORMATS:
                raise ValidationError(
                    "This is a %(format)s image; upload a %(accepted)s photo.",
                    code="format",
                    params={"format": info.format, "accepted": ACCEPTED_LABEL},
                )
            # Before decoding anything: a bomb's header is all it takes to know.
            if info.width * info.height > max_pixels:
                raise too_many_pixels
            image.verify()
        if decode:
            # verify() leaves the image unusable and misses truncated pixel data: decode
            # it for real (the first frame is what renditions use).
            with _opened(upload) as image:
                image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels from exc
    except UnidentifiedImageError as exc:
        raise ValidationError(
            "This file is not a photo: upload a %(accepted)s image "
            "(SVG, HTML and other files are refused, whatever their name).",
            code="not_image",
            params={"accepted": ACCEPTED_LABEL},
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationError(CORRUPT_MESSAGE, code="corrupt") from exc
    if info.width < min_width or info.height < min_height:
        raise ValidationError(
            "This photo is %(width)s×%(height)s pixels; it must be at least "
            "%(min_width)s×%(min_height)s.",
            code="too_small",
            params={
                "width": info.width,
                "height": info.height,
                "min_width": min_width,
                "min_height": min_height,
            },
        )
    return info


CORRUPT_MESSAGE = (
    "This image is damaged or incomplete (it could not be read to the end). "
    "Export it again and upload the new file."
)


class UnreadablePhoto(Exception):
    """A stored original whose pixels cannot be decoded (truncated, corrupt): what the
    header check of a bulk upload lets through, found when renditions are made."""


@contextmanager
def _opened(upload):
    """Image.open on a copy of the upload's bytes (some of Pillow's checks close the
    file they read; the upload is at most PHOTO_MAX_BYTES, checked before), with
    Pillow's decompression-bomb warning raised as an error."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as image:
            yield image


# ------------------------------------------------------------- the worker's priority

_image_threads: dict[int, ThreadPoolExecutor] = {}
_image_threads_lock = threading.Lock()


def _lower_this_thread(nice: int):
    """Make the calling thread (and the encoder threads it starts, which inherit it)
    `nice` steps nicer.

    Linux keeps a niceness per thread: setpriority() with the thread's own id changes
    this thread only, so the worker's other tasks (a story publishing on time) keep
    their priority. An unprivileged thread can never be made less nice again, hence a
    thread kept for image work rather than the task's own.
    """
    if nice <= 0:
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except (AttributeError, OSError):  # not Linux, or not allowed: full priority, still works
        logger.warning("Could not lower the priority of image work", exc_info=True)


def at_low_priority(function, *args, **kwargs):
    """Run `function` in the process's image thread, niced by
    NEWSROOM["PHOTO_WORKER_NICE"], and return its result (or raise its exception).
    Pillow releases the GIL while it decodes, resizes and encodes: the caller waits."""
    nice = settings.NEWSROOM["PHOTO_WORKER_NICE"]
    with _image_threads_lock:
        pool = _image_threads.get(nice)
        if pool is None:
            pool = _image_threads[nice] = ThreadPoolExecutor(
                max_workers=1,
                thread_name_prefix="image-work",
                initializer=_lower_this_thread,
                initargs=(nice,),
            )
    return pool.submit(_closing_connections, function, *args, **kwargs).result()


def _closing_connections(function, *args, **kwargs):
    """Run `function`, then close any database connection it opened in this thread
    (on_commit() outside a transaction connects to ask for autocommit): an idle session
    per worker would otherwise stay open for good."""
    try:
        return function(*args, **kwargs)
    finally:
        connections.close_all()


# --------------------------------------------------------------------- renditions


def focal_crop_box(size, ratio, focal):
    """The largest box of aspect `ratio` (w, h) inside `size`, centred on `focal` as far
    as the edges allow; `focal` is (x, y) in 0–1 of the width and height.

    The focal point is always inside the box.
    """
    width, height = size
    target = ratio[0] / ratio[1]
    if width / height > target:
        crop_w, crop_h = round(height * target), height
    else:
        crop_w, crop_h = width, round(width / target)
    fx, fy = (min(max(float(v), 0.0), 1.0) for v in focal)
    left = min(max(round(fx * width - crop_w / 2), 0), width - crop_w)
    top = min(max(round(fy * height - crop_h / 2), 0), height - crop_h)
    return (left, top, left + crop_w, top + crop_h)


def upright_pixels(fileobj) -> Image.Image:
    """The photo's first frame, turned upright by its EXIF orientation, as plain RGB.

    Only pixels survive: no EXIF, XMP or comments reach what is made from it.
    Transparent areas become white (JPEG has no transparency).
    """
    # Pillow takes the AVIF decoder's threads from a module global only.
    AvifImagePlugin.DEFAULT_MAX_THREADS = encoder_threads()
    with Image.open(fileobj) as image:
        image.seek(0)
        image = ImageOps.exif_transpose(image)
        image = _in_srgb(image)
        if image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info:
            image = image.convert("RGBA")
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image, mask=image.getchannel("A"))
            return background
        return image.convert("RGB")


def _in_srgb(image: Image.Image) -> Image.Image:
    """Colours converted from the photo's embedded profile (Display P3, Adobe RGB…) to
    sRGB, which browsers assume for an image without a profile, as renditions are."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in {"RGB", "RGBA"}:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"))
    except (ImageCms.PyCMSError, OSError):
        return image  # an unreadable profile: the pixels as they are


def encoder_threads() -> int:
    """Threads an AVIF encode or decode may use (NEWSROOM["PHOTO_ENCODER_THREADS"]; 0:
    Pillow's default, every CPU). One by default: a worker making renditions then
    keeps one core of two free for editors' requests."""
    return settings.NEWSROOM["PHOTO_ENCODER_THREADS"] or AvifImagePlugin._get_default_max_threads()


def _encode(image: Image.Image, fmt: str) -> bytes:
    options = photo_settings()
    buffer = io.BytesIO()
    if fmt == "jpeg":
        image.save(buffer, "JPEG", quality=options["jpeg_quality"], optimize=True, progressive=True)
    elif fmt == "webp":
        image.save(buffer, "WEBP", quality=options["modern_quality"], method=4)
    else:
        image.save(
            buffer,
            "AVIF",
            quality=options["modern_quality"],
            speed=8,
            max_threads=encoder_threads(),
        )
    return buffer.getvalue()


def _widths(wanted, available):
    """`wanted` widths, never wider than the source; the source's own width ends the
    list when it falls short of the largest wanted (no upscaling, no gap)."""
    widths = [w for w in wanted if w < available]
    if available < wanted[-1] or not widths:
        widths.append(min(available, wanted[-1]))
    return sorted(set(widths))


def make_renditions(original_name: str, focal=(0.5, 0.5)) -> dict:
    """Make every rendition of one stored original; returns what Story keeps about them.

    Files go to the default (public) storage under a new random folder, so a changed
    photo never reuses a URL that browsers or a CDN may have cached.
    """
    options = photo_settings()
    with originals_storage.open(original_name, "rb") as fileobj:
        original_bytes = fileobj.size
        try:
            image = upright_pixels(fileobj)
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            # The file was read (storage errors are raised by open()): its pixels are not.
            raise UnreadablePhoto(CORRUPT_MESSAGE) from exc
    folder = f"{RENDITIONS_FOLDER}/{secrets.token_hex(8)}"
    formats = (options["modern_format"], "jpeg")
    files, total = [], 0

    def store(label, picture, fmts):
        nonlocal total
        made = {}
        for fmt in fmts:
            data = _encode(picture, fmt)
            name = default_storage.save(f"{folder}/{label}.{EXTENSIONS[fmt]}", ContentFile(data))
            files.append(name)
            total += len(data)
            made[fmt] = [name, picture.width, picture.height, len(data)]
        return made

    def resized(picture, width):
        height = round(picture.height * width / picture.width)
        if (width, height) == picture.size:
            return picture
        return picture.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)

    try:
        lead = [
            store(f"lead-{w}", resized(image, w), formats)
            for w in _widths(options["widths"], image.width)
        ]
        card_frame = image.crop(focal_crop_box(image.size, CARD_RATIO, focal))
        card = [
            store(f"card-{w}", resized(card_frame, w), formats)
            for w in _widths(options["card_widths"], card_frame.width)
        ]
        social_frame = image.crop(focal_crop_box(image.size, SOCIAL_SIZE, focal))
        social_width = min(SOCIAL_SIZE[0], social_frame.width)
        social = store("social", resized(social_frame, social_width), ("jpeg",))["jpeg"]
    except BaseException:
        # Half a set of renditions is of no use to anyone: no record will name them.
        delete_files(None, {"files": files})
        raise
    discard_unless_committed(default_storage, files)
    return {
        "spec": rendition_spec(),
        "source": original_name,
        "focal": [float(focal[0]), float(focal[1])],
        "lead": lead,
        "card": card,
        "social": social,
        "files": files,
        "bytes": {"original": original_bytes, "renditions": total},
    }


PORTRAIT_SIZE = 384


def portrait(fileobj) -> ContentFile:
    """An author's portrait: a centred square, at most PORTRAIT_SIZE, JPEG, no metadata."""
    image = upright_pixels(fileobj)
    square = image.crop(focal_crop_box(image.size, (1, 1), (0.5, 0.5)))
    side = min(PORTRAIT_SIZE, square.width)
    square = square.resize((side, side), Image.Resampling.LANCZOS)
    return ContentFile(_encode(square, "jpeg"))


def delete_files(original_name: str | None, renditions: dict | None) -> None:
    """Remove an original and its renditions from storage (missing files are fine).

    Callers check first that no row refers to them (articles.models does).
    """
    if original_name:
        originals_storage.delete(original_name)
    names = (renditions or {}).get("files", ())
    for name in names:
        default_storage.delete(name)
    for folder in {name.rpartition("/")[0] for name in names}:
        remove_empty_folder(default_storage, folder)


def remove_empty_folder(storage, folder: str) -> bool:
    """Remove `folder` if it is an empty directory of a FileSystemStorage.

    Other backends (object storage) have no folders of their own to leave behind.
    """
    storage = concrete_storage(storage)
    if not folder or not isinstance(storage, FileSystemStorage):
        return False
    try:
        os.rmdir(storage.path(folder))
    except OSError:  # not empty, already gone, or not a directory
        return False
    return True


def concrete_storage(storage):
    """The storage behind a lazy one (default_storage, originals_storage), as it is now."""
    if isinstance(storage, LazyObject):
        if storage._wrapped is empty:
            storage._setup()
        return storage._wrapped
    return storage


def discard_unless_committed(storage, names) -> None:
    """Delete the files `names` just written to `storage` unless the current transaction
    commits: a save that fails after writing files (a database error, a constraint, an
    exception in rendition making) must not leave them behind.

    Django has no hook for a rollback, but a rollback (of the transaction, or of the
    savepoint the files were written in) drops the connection's pending on-commit
    callbacks unrun. So one is registered that only notes the commit, and a finalizer on
    it deletes the files when it is dropped without having run. Outside a transaction,
    on_commit runs it at once: the files are kept.
    """
    names = list(names)
    if not names:
        return
    # The storage as configured now: tests swap storages, and the finalizer may run later.
    storage = concrete_storage(storage)
    outcome = {"committed": False}

    def note_commit():
        outcome["committed"] = True

    weakref.finalize(note_commit, _discard_uncommitted, outcome, storage, names)
    transaction.on_commit(note_commit)


def _discard_uncommitted(outcome, storage, names):
    if outcome["committed"]:
        return
    try:
        for name in names:
            storage.delete(name)
        for folder in {name.rpartition("/")[0] for name in names}:
            remove_empty_folder(storage, folder)
    except Exception:
        # Run by the garbage collector: nobody to raise to. cleanup_media finds them.
        logger.exception("Could not remove files of a rolled-back save: %s", names)


# ---------------------------------------------------------------- what templates use


def public_url_function():
    """`default_storage.url`, or for files on this host the same URL without urljoin.

    A list page names about a hundred rendition files; FileSystemStorage.url() joins
    each with urljoin (50 µs). Rendition names are our own (no "..", no scheme), so
    the base URL plus the quoted name is the same URL.
    """
    if default_storage._wrapped is empty:
        default_storage._setup()
    storage = default_storage._wrapped
    if type(storage) is not FileSystemStorage or not storage.base_url:
        return default_storage.url
    base = storage.base_url if storage.base_url.endswith("/") else storage.base_url + "/"
    return lambda name: base + filepath_to_uri(name).lstrip("/")


@dataclass(frozen=True)
class Source:
    mime_type: str
    srcset: str


@dataclass(frozen=True)
class Picture:
    """One frame (lead or card) as `<picture>` needs it: no storage or Pillow calls."""

    src: str
    width: int
    height: int
    srcset: str
    sources: tuple[Source, ...]

    @classmethod
    def from_sizes(cls, sizes: list[dict]) -> Picture | None:
        if not sizes:
            return None
        url = public_url_function()

        def srcset(fmt):
            return ", ".join(f"{url(size[fmt][0])} {size[fmt][1]}w" for size in sizes)

        # The fallback <img src> is the middle size: good enough for any browser
        # that ignores srcset; width and height give the frame's aspect ratio.
        fallback = sizes[len(sizes) // 2]["jpeg"]
        modern = [fmt for fmt in sizes[0] if fmt != "jpeg"]
        return cls(
            src=url(fallback[0]),
            width=fallback[1],
            height=fallback[2],
            srcset=srcset("jpeg"),
            sources=tuple(Source(MIME_TYPES[fmt], srcset(fmt)) for fmt in modern),
        )
