"""Photo benchmark: renditions of a 24-megapixel JPEG, a card of 30 in one bulk upload,
and a story save while the worker makes renditions.

    .venv/bin/python -m bench.photos            # or: make bench-photos (all three)
    .venv/bin/python -m bench.photos --only renditions --runs 5 --width 6000 --height 4000
    .venv/bin/python -m bench.photos --only bulk --photos 30
    .venv/bin/python -m bench.photos --only save

- renditions: in a throwaway SQLite database and media folders, each run checks the
  upload (articles.images.validate_photo), stores it and makes every rendition (the
  upload and the worker's task back to back, minus HTTP). Prints the median time, the
  original's size against what a reader downloads at each width.
- bulk: a production-like site (bench/server.py: gunicorn with gunicorn.conf.py, its
  30 s timeout, SQLite) and `manage.py worker`. One POST of `--photos` distinct
  24-megapixel camera-like JPEGs to the library's bulk upload: the request's time (and
  per photo; target < 0.3 s), then the worker's time until every photo is ready.
- save: the same site; a story saved through the admin (GET the form, POST it) while
  idle, then while the worker makes the renditions of 24-megapixel photos: medians and
  their ratio (target ≤ 1.5), with the worker as configured (niced image thread, one
  AVIF thread) and, for comparison, at full priority on every core.

Figures go to bench/results/photos-<time>.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.server import migrated_sqlite_template, templates_folder

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def camera_like_jpeg(width: int, height: int) -> bytes:
    """A JPEG that compresses like a photo, with EXIF: detail at every scale (noise at
    several octaves, as in landscapes and crowds), so downscaling keeps real content."""
    from PIL import Image

    channels = []
    for seed in range(3):
        layer = Image.new("L", (width, height), 128)
        for octave, weight in ((16, 0.5), (64, 0.35), (256, 0.25), (1024, 0.2), (1, 0.12)):
            size = (max(width // octave, 1), max(height // octave, 1))
            noise = Image.effect_noise(size, 60 + 10 * seed).resize(
                (width, height), Image.Resampling.BICUBIC
            )
            layer = Image.blend(layer, noise, weight)
        channels.append(layer)
    image = Image.merge("RGB", channels)
    exif = Image.Exif()
    exif[0x010F] = "Bench Camera"
    exif[0x0112] = 1  # orientation: upright
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("renditions", "bulk", "save"), default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--width", type=int, default=6000)
    parser.add_argument("--height", type=int, default=4000)
    parser.add_argument("--photos", type=int, default=30, help="files in the bulk upload")
    parser.add_argument("--saves", type=int, default=8, help="idle story saves measured")
    args = parser.parse_args(argv)
    result = {}
    if args.only in (None, "bulk", "save"):
        from bench import photo_site

        if args.only in (None, "bulk"):
            result["bulk"] = photo_site.bench_bulk(args)
        if args.only in (None, "save"):
            result["save"] = photo_site.bench_save(args)
    if args.only in (None, "renditions"):
        result["renditions"] = bench_renditions(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"photos-{stamp}.json").write_text(json.dumps(result, indent=2))
    return 0


def _manage(*args: str, env: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )


def bench_renditions(args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-photos-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-photos-only"),
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        MEDIA_ROOT=str(workdir / "media"),
        PRIVATE_MEDIA_ROOT=str(workdir / "originals"),
        NEWSROOM_LOCAL_CACHE="memory",
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from articles.images import validate_photo
    from articles.models import Photo
    from articles.photos.tasks import make_photo_renditions

    templates = templates_folder()
    if templates is None:
        call_command("migrate", verbosity=0)
    else:
        # The test suite's run: a copy of its migrated database (bench/server.py).
        template = migrated_sqlite_template(templates, _manage)
        shutil.copyfile(template, workdir / "db.sqlite3")
    data = camera_like_jpeg(args.width, args.height)
    timings, photo = [], None
    for _ in range(args.runs):
        upload = SimpleUploadedFile("camera.jpg", data, content_type="image/jpeg")
        started = time.perf_counter()
        validate_photo(upload)
        # The upload (request) and the renditions (the worker's task), back to back.
        photo = Photo.objects.create(original=upload)
        make_photo_renditions.call(photo.pk)
        timings.append(time.perf_counter() - started)

    made = Photo.objects.get(pk=photo.pk).renditions
    rows = []
    for kind in ("lead", "card"):
        for size in made[kind]:
            for fmt, (name, width, height, length) in size.items():
                assert default_storage.size(name) == length
                rows.append((kind, fmt, width, height, length))
    social = made["social"]
    rows.append(("social", "jpeg", social[1], social[2], social[3]))
    original = len(data)
    median = statistics.median(timings)
    print(f"Original: {args.width}×{args.height} JPEG, {original / 1e6:.1f} MB")
    print(f"Upload to renditions: median {median:.2f} s over {args.runs} runs")
    print("| rendition | format | size | bytes | vs original |")
    print("|---|---|---|---:|---:|")
    for kind, fmt, width, height, length in rows:
        print(f"| {kind} | {fmt} | {width}×{height} | {length:,} | {length / original:.1%} |")
    story_page = made["lead"][min(1, len(made["lead"]) - 1)]
    modern = next(fmt for fmt in story_page if fmt != "jpeg")
    reader = story_page[modern][3]
    print(
        f"A reader of the story page on a laptop gets {story_page[modern][1]} px {modern}: "
        f"{reader:,} bytes, {1 - reader / original:.1%} less than the original."
    )
    return {
        "original_bytes": original,
        "size": [args.width, args.height],
        "timings_s": timings,
        "median_s": median,
        "renditions": [
            dict(zip(("kind", "format", "width", "height", "bytes"), r, strict=True)) for r in rows
        ],
        "total_rendition_bytes": made["bytes"]["renditions"],
    }


if __name__ == "__main__":
    sys.exit(main())
