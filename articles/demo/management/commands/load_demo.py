"""`manage.py load_demo`: fill a local site with demo content, safely and repeatably.

`make run` calls this every time, so it only adds what is missing: sections, authors
and stories are identified by slug (stories also by a former slug, and the seed story
by its import key), and nothing that exists is changed except a missing lead photo, and
the language of a story the demo writes in another one than the site's (a database
loaded before stories had a language has the site's on every story).
Photos are drawn with Pillow on the spot; nothing is downloaded.
"""

import io
import math
import random
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw

from articles import images
from articles.cache import purge_everything
from articles.demo import stories as demo
from articles.fronts.defaults import ensure_default_fronts
from articles.importing import import_stories
from articles.languages import site_language
from articles.live.models import LiveUpdate
from articles.models import (
    Author,
    Photo,
    RelatedHeadline,
    Section,
    Story,
    StoryAuthor,
    StoryRelation,
)
from articles.photos.tasks import make_photo_renditions
from articles.related import rebuild_related_stories
from articles.wire.models import WireSource

PHOTO_SIZE = (1600, 1000)
PHOTO_CREDIT = "Newsroom illustration"

# What each composition shows, for the alt text (the drawing must match these words).
MOTIFS = {
    "skyline": "a city skyline of towers with lit windows against a {sky} evening sky, "
    "with a large {accent} sun setting behind them",
    "mountains": "layered mountain ridges fading into a {sky} sky, with a {accent} sun "
    "rising behind the peaks",
    "sea": "a calm sea under a {sky} sky, with a {accent} sun low on the horizon and its "
    "reflection on the waves",
    "stadium": "a floodlit stadium seen from above: an oval of stands around a green pitch, "
    "with {accent} floodlights in a {sky} sky",
    "chart": "a rising bar chart with a {accent} trend line over a {sky} background",
    "abstract": "overlapping translucent {accent} circles and diagonal bands on a {sky} background",
}


def _mix(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def alt_text(motif, colours):
    sky = f"{colours[0]} and {colours[1]}"
    return "Illustration: " + MOTIFS[motif].format(sky=sky, accent=colours[2]) + "."


def draw_photo(seed, motif, palette):
    """A 1600x1000 JPEG illustration; the same seed always draws the same picture."""
    top, bottom, accent, dark = palette
    width, height = PHOTO_SIZE
    rng = random.Random(seed)

    # A vertical gradient: one column computed through lookup tables, then stretched.
    column = Image.linear_gradient("L").resize((1, height))
    channels = [
        column.point([round(a + (b - a) * v / 255) for v in range(256)])
        for a, b in zip(top, bottom, strict=True)
    ]
    image = Image.merge("RGB", channels).resize(PHOTO_SIZE, Image.Resampling.NEAREST)
    # "RGBA" drawing blends translucent fills straight onto the RGB picture.
    draw = ImageDraw.Draw(image, "RGBA")

    horizon = int(height * rng.uniform(0.58, 0.68))
    sun_x, sun_y = int(width * rng.uniform(0.25, 0.75)), int(horizon - height * 0.18)
    if motif in {"skyline", "mountains", "sea"}:
        for radius, alpha in ((260, 30), (200, 50), (150, 90)):
            draw.ellipse(
                (sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius),
                fill=(*accent, alpha),
            )
        draw.ellipse((sun_x - 110, sun_y - 110, sun_x + 110, sun_y + 110), fill=(*accent, 255))

    if motif == "skyline":
        for layer, shade in ((0, 0.45), (1, 0.0)):
            colour = _mix(dark, bottom, shade)
            x = -rng.randint(0, 60)
            while x < width:
                w = rng.randint(60, 150)
                h = rng.randint(160, 420) + (0 if layer else 120)
                draw.rectangle((x, height - h, x + w, height), fill=(*colour, 255))
                if layer:  # Lit windows on the front row only.
                    for wy in range(height - h + 20, height - 20, 34):
                        for wx in range(x + 12, x + w - 16, 26):
                            if rng.random() < 0.35:
                                draw.rectangle((wx, wy, wx + 10, wy + 16), fill=(*accent, 200))
                x += w + rng.randint(4, 24)
    elif motif == "mountains":
        for i, shade in enumerate((0.7, 0.45, 0.2, 0.0)):
            base = horizon + i * 90
            points, x = [(0, height)], 0
            y = base - rng.randint(80, 220)
            while x <= width + 100:
                points.append((x, y))
                x += rng.randint(80, 200)
                # Each ridge wanders around its own base line so the far ones stay visible.
                y = max(base - 320, min(base - 40, y + rng.randint(-140, 140)))
            points.append((width, height))
            draw.polygon(points, fill=(*_mix(dark, bottom, shade), 255))
    elif motif == "sea":
        draw.rectangle((0, horizon, width, height), fill=(*_mix(dark, top, 0.4), 255))
        for i in range(14):  # The sun's reflection, in broken strips.
            y = horizon + 12 + i * 22
            half = 140 - i * 7 + rng.randint(-20, 20)
            draw.rectangle((sun_x - half, y, sun_x + half, y + 6), fill=(*accent, 170 - i * 10))
        for i in range(9):
            y = horizon + 40 + i * 40
            phase, amplitude = rng.uniform(0, math.tau), 6 + i
            wave = [(x, y + amplitude * math.sin(x / 60 + phase)) for x in range(0, width + 40, 40)]
            draw.line(wave, fill=(*bottom, 110), width=3)
    elif motif == "stadium":
        cx, cy = width // 2, int(height * 0.58)
        draw.ellipse((cx - 720, cy - 380, cx + 720, cy + 380), fill=(*dark, 255))
        draw.ellipse((cx - 600, cy - 300, cx + 600, cy + 300), fill=(*_mix(dark, top, 0.5), 255))
        draw.rectangle((cx - 460, cy - 220, cx + 460, cy + 220), fill=(46, 125, 60, 255))
        for i in range(0, 920, 92):  # Mown stripes.
            draw.rectangle(
                (cx - 460 + i, cy - 220, cx - 414 + i, cy + 220), fill=(58, 140, 72, 255)
            )
        line = (240, 240, 240, 255)
        draw.rectangle((cx - 460, cy - 220, cx + 460, cy + 220), outline=line, width=5)
        draw.line((cx, cy - 220, cx, cy + 220), fill=line, width=5)
        draw.ellipse((cx - 80, cy - 80, cx + 80, cy + 80), outline=line, width=5)
        for fx in (cx - 680, cx + 680):
            for radius, alpha in ((90, 40), (50, 90), (22, 255)):
                draw.ellipse(
                    (fx - radius, 90 - radius, fx + radius, 90 + radius), fill=(*accent, alpha)
                )
    elif motif == "chart":
        for y in range(150, height, 110):
            draw.line((120, y, width - 120, y), fill=(255, 255, 255, 50), width=2)
        bars, value, points = 10, rng.uniform(0.1, 0.2), []
        step = (width - 280) // bars
        for i in range(bars):
            value = min(0.9, max(0.1, value + rng.uniform(-0.03, 0.1)))
            x0, top_y = 160 + i * step, int(height - 100 - value * (height - 260))
            draw.rectangle(
                (x0, top_y, x0 + step - 36, height - 100), fill=(*_mix(dark, bottom, 0.3), 230)
            )
            points.append((x0 + (step - 36) // 2, top_y - 40))
        draw.line(points, fill=(*accent, 255), width=10, joint="curve")
        for x, y in points:
            draw.ellipse((x - 14, y - 14, x + 14, y + 14), fill=(*accent, 255))
    else:  # abstract
        for _ in range(5):
            offset = rng.randint(-400, 1400)
            band = [(offset, 0), (offset + 220, 0), (offset - 380, height), (offset - 600, height)]
            draw.polygon(band, fill=(*_mix(dark, bottom, rng.random()), 90))
        for _ in range(9):
            r = rng.randint(70, 260)
            x, y = rng.randint(0, width), rng.randint(0, height)
            colour = accent if rng.random() < 0.5 else _mix(top, bottom, rng.random())
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(*colour, rng.randint(90, 170)))

    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82, optimize=True)
    return buffer.getvalue()


def body_html(blocks):
    """Demo bodies: blocks starting with "<" are HTML as written, others are paragraphs."""
    return "\n".join(block if block.startswith("<") else f"<p>{block}</p>" for block in blocks)


class Command(BaseCommand):
    help = (
        "Load demo sections, authors and stories (with drawn photos) and make sure an "
        "admin account exists. Safe to run repeatedly: it only adds what is missing."
    )

    def handle(self, *args, **options):
        self.now = timezone.now().replace(second=0, microsecond=0)
        self.created, self.photos = [], 0
        with transaction.atomic():
            self.sections = self.ensure_sections()
            # The home page's and each section's front, where missing (articles/fronts/).
            ensure_default_fronts()
            self.authors = self.ensure_authors()
            self.tags = self.ensure_tags()
            stories = self.ensure_stories()
            stories[demo.SEED_REF] = self.ensure_seed_story()
            self.add_related_headlines(stories)
            for data in [*demo.STORIES, demo.SEED]:
                story = stories[data.get("slug", demo.SEED_REF)]
                self.ensure_photo(story, data)
            if self.created or not StoryRelation.objects.exists():
                # Tags and bylines were added in bulk: rank the automatic related
                # headlines (also fills them on a database migrated from before 0006).
                rebuild_related_stories()
            self.ensure_wire_source()
            # Bylines and related headlines were bulk-created, which sends no signals.
            purge_everything()
        self.report_admin()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content: {len(self.created)} stories created, "
                f"{len(stories) - len(self.created)} already present; "
                f"{self.photos} photos drawn."
            )
        )

    # ------------------------------------------------------------------ content

    def ensure_sections(self):
        sections = {}
        for order, data in enumerate(demo.SECTIONS, start=1):
            sections[data["slug"]], _ = Section.objects.get_or_create(
                slug=data["slug"],
                defaults={
                    "name": data["name"],
                    "description": data["description"],
                    "order": order,
                },
            )
        return sections

    def ensure_authors(self):
        authors = {}
        for data in demo.AUTHORS:
            authors[data["slug"]], _ = Author.objects.get_or_create(
                slug=data["slug"], defaults={"name": data["name"], "bio": data["bio"]}
            )
        return authors

    def ensure_tags(self):
        """Tag objects by name, looked up once rather than once per story."""
        tag_model = Story.tags.through.tag_model()
        tags = {tag.name: tag for tag in tag_model.objects.filter(name__in=demo.TAGS)}
        for name in demo.TAGS:
            if name not in tags:
                tags[name] = tag_model.objects.create(name=name)
        return tags

    def ensure_wire_source(self):
        """A demo agency whose folder `make run` watches: drop a ninjs file in
        var/wire/demo-agency/ and it arrives on the Wire desk (articles/wire/)."""
        source, _ = WireSource.objects.get_or_create(
            slug="demo-agency",
            defaults={
                "name": "Demo agency",
                "format": "ninjs",
                "folder": "demo-agency",
                "default_section": self.sections["nation"],
            },
        )
        folder = source.folder_path()
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def find_story(self, slug):
        """The story at `slug`, or the one that had it before an editor renamed it."""
        return Story.objects.filter(Q(slug=slug) | Q(old_slugs__slug=slug)).first()

    def ensure_stories(self):
        stories = {}
        for data in demo.STORIES:
            story = self.find_story(data["slug"])
            if story is None:
                story = self.create_story(data)
                self.created.append(story)
            elif "language" in data and story.language == site_language():
                story.language = data["language"]
                Story.objects.filter(pk=story.pk).update(language=story.language)
            stories[data["slug"]] = story
        return stories

    def publication(self, data):
        if data.get("status") == Story.Status.DRAFT:
            return Story.Status.DRAFT, None
        if "scheduled_in_days" in data:
            return Story.Status.PUBLISHED, self.now + timedelta(days=data["scheduled_in_days"])
        return Story.Status.PUBLISHED, self.now - timedelta(hours=data["hours_ago"])

    def create_story(self, data):
        status, published_at = self.publication(data)
        story = Story.objects.create(
            slug=data["slug"],
            headline=data["headline"],
            dek=data["dek"],
            body=body_html(data["body"]),
            language=data.get("language", site_language()),
            section=self.sections[data["section"]],
            status=status,
            published_at=published_at,
        )
        StoryAuthor.objects.bulk_create(
            StoryAuthor(story=story, author=self.authors[slug], order=order)
            for order, slug in enumerate(data["authors"])
        )
        story.tags.set([self.tags[name] for name in data["tags"]])
        if data.get("live_updates"):
            self.add_live_updates(story, data["live_updates"])
        return story

    def add_live_updates(self, story, updates):
        """Cover `story` live since its publication, with these updates (articles/live/)."""
        story.live_started_at = story.published_at
        Story.objects.filter(pk=story.pk).update(live_started_at=story.live_started_at)
        LiveUpdate.objects.bulk_create(
            LiveUpdate(
                story=story,
                posted_at=self.now - timedelta(minutes=minutes_ago),
                headline=headline,
                body=body_html([text]),
                pinned=pinned,
            )
            for minutes_ago, headline, text, pinned in updates
        )

    def ensure_seed_story(self):
        key = demo.SEED_FILE.stem
        story = Story.objects.filter(import_key=key).first()
        if story is not None:
            return story
        # Imported after the other stories so its related headlines can link them.
        seed = demo.SEED
        [(story, _)] = import_stories(
            [demo.SEED_FILE],
            section=self.sections[seed["section"]],
            tags=seed["tags"],
            authors=[self.authors[slug].name for slug in seed["authors"]],
            status=Story.Status.PUBLISHED,
            published_at=self.now - timedelta(hours=seed["hours_ago"]),
        )
        self.created.append(story)
        return story

    def add_related_headlines(self, stories):
        """Curated related headlines, for the stories this run created."""
        created = {story.pk for story in self.created}
        rows = []
        for data in demo.STORIES:
            story = stories[data["slug"]]
            if story.pk not in created:
                continue
            for order, item in enumerate(data["related"]):
                if "story" in item:
                    rows.append(
                        RelatedHeadline(story=story, target=stories[item["story"]], order=order)
                    )
                else:
                    rows.append(
                        RelatedHeadline(
                            story=story,
                            headline=item["headline"],
                            url=item.get("url", ""),
                            order=order,
                        )
                    )
        RelatedHeadline.objects.bulk_create(rows)

    def ensure_photo(self, story, data):
        photo = data.get("photo")
        if not photo:
            return
        current = story.lead_photo
        if current is not None:
            if images.originals_storage.exists(current.original.name):
                if not current.renditions_are_current():  # new rendition settings
                    make_photo_renditions.call(current.pk)
                return
            story.lead_photo = None  # its file is gone: draw it again
        section = next((s for s in demo.SECTIONS if s["slug"] == story.section.slug), None)
        if section is None:  # An editor moved it out of the demo sections.
            return
        image = draw_photo(story.slug, photo["motif"], section["palette"])
        # Short ASCII names: the field's 100 characters include the upload folder.
        name = f"demo-{slugify(story.slug)[:40].strip('-') or story.pk}.jpg"
        library_photo = Photo(
            original=ContentFile(image, name=name),
            caption=photo["caption"],
            credit=PHOTO_CREDIT,
            alt=alt_text(photo["motif"], section["colours"]),
            source="Demo",
        )
        library_photo.save()
        # Made now rather than by the worker: the demo is looked at right after loading.
        make_photo_renditions.call(library_photo.pk)
        story.lead_photo = library_photo
        story.save()
        self.photos += 1

    # -------------------------------------------------------------------- admin

    def report_admin(self):
        """Make sure someone can log in; print the password only when it is created."""
        admin_url = f"{settings.NEWSROOM['BASE_URL']}/{settings.ADMIN_URL}"
        users = get_user_model()
        existing = users.objects.filter(is_superuser=True).order_by("pk").first()
        if existing is not None:
            username = existing.get_username()
            self.stdout.write(
                f"Admin: {admin_url} (login as {username!r}; the password was printed when "
                f"it was created. Reset it with: python manage.py changepassword {username})"
            )
            return
        username = "admin"
        if users.objects.filter(**{users.USERNAME_FIELD: username}).exists():
            # Someone made a non-superuser "admin"; leave that account alone.
            username = f"admin-{secrets.token_hex(2)}"
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser(username, "", password)
        self.stdout.write(
            self.style.WARNING(
                "\nCreated a superuser for local use. This is printed only once:\n"
                f"  Admin:    {admin_url}\n"
                f"  Username: {username}\n"
                f"  Password: {password}\n"
                f"Change it with: python manage.py changepassword {username}\n"
            )
        )
