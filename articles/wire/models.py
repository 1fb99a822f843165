"""The wire desk's data: sources, the items they send, and subject mappings.

Models of the `wire` app (articles/wire/apps.py); their tables kept the names they had
in the `articles` app (`articles_wiresource`, …).
"""

import hashlib
import hmac
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from ..roles import WIRE_DRAFT_PERMISSION, meta_permissions
from .formats import FORMATS, WITHDRAWN


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class WireSource(models.Model):
    """An agency feed: files dropped in its folder, or pushed to /wire/<slug>/."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(
        max_length=50, unique=True, help_text="Its push address: /wire/<slug>/."
    )
    format = models.CharField(max_length=10, choices=list(FORMATS.items()))
    default_section = models.ForeignKey(
        "articles.Section",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Drafts go here unless a subject mapping names a section.",
    )
    folder = models.CharField(
        "watched folder",
        max_length=500,
        blank=True,
        help_text="A folder inside the server's wire folder (NEWSROOM_WIRE_ROOT) where the "
        "agency drops files, e.g. by SFTP; read ones move to processed/ or rejected/ in it.",
    )
    trusted_picture_hosts = models.CharField(
        "trusted picture hosts",
        max_length=500,
        blank=True,
        help_text="Host names (photos.agency.example, or host:port) whose pictures the "
        "worker may fetch into the photo library, separated by spaces or commas. Pictures "
        "linked from any other host are recorded and shown, never fetched. Pictures "
        "dropped in the watched folder with their item are always taken.",
    )
    # Only a hash: a stolen database backup does not let anyone push copy.
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "articles_wiresource"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def folder_path(self):
        """The watched folder as a path inside NEWSROOM["WIRE_ROOT"]; None if it is not
        set or points outside (an absolute path elsewhere, "..", a symbolic link out)."""
        if not self.folder:
            return None
        root = Path(settings.NEWSROOM["WIRE_ROOT"]).resolve()
        path = (root / self.folder).resolve()
        return path if path != root and path.is_relative_to(root) else None

    def clean(self):
        if self.folder and self.folder_path() is None:
            raise ValidationError(
                {"folder": f"Choose a folder inside {settings.NEWSROOM['WIRE_ROOT']}."}
            )

    def trusts(self, url):
        """Whether the worker may fetch `url`: http(s) on a host named in
        `trusted_picture_hosts` (with its port, if the entry gives one)."""
        hosts = {host.lower() for host in re.split(r"[\s,]+", self.trusted_picture_hosts) if host}
        try:
            parts = urlsplit(str(url))
            host, port = (parts.hostname or "").lower(), parts.port
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not host:
            return False
        return host in hosts or f"{host}:{port}" in hosts

    def new_token(self):
        """Make, store (hashed) and return a new push token; shown once."""
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        return token

    def token_matches(self, token):
        # Constant time, whatever the token: a timing difference must not reveal it.
        return bool(self.token_hash) and hmac.compare_digest(
            hash_token(token or ""), self.token_hash
        )


class SubjectMapping(models.Model):
    """An IPTC subject or media-topic code, mapped to a tag and/or a section."""

    code = models.CharField(
        max_length=100, help_text="As the agency sends it: medtop:20000822, subj:15000000…"
    )
    source = models.ForeignKey(
        WireSource,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mappings",
        help_text="Empty: for every source.",
    )
    tag = models.CharField(max_length=100, blank=True)
    section = models.ForeignKey(
        "articles.Section", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "articles_subjectmapping"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "source"], name="subject_mapping_unique"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(source=None), name="subject_mapping_global_unique"
            ),
        ]

    def __str__(self):
        return self.code


class WireItem(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        REJECTED = "rejected", "Rejected"

    class Attention(models.TextChoices):
        NONE = "", "—"
        UPDATE = "update", "Wire update available"
        KILLED = "killed", "KILLED by the agency"

    source = models.ForeignKey(WireSource, on_delete=models.CASCADE, related_name="items")
    guid = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    file_name = models.CharField(max_length=255, blank=True)
    raw = models.TextField("raw payload", blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.RECEIVED)
    reason = models.TextField(blank=True, help_text="Why it was rejected.")

    headline = models.CharField(max_length=300, blank=True)
    dek = models.CharField(max_length=300, blank=True)
    body_html = models.TextField(blank=True)
    bylines = models.JSONField(default=list, blank=True)
    subjects = models.JSONField(default=list, blank=True)  # [[code, name], …]
    related_headlines = models.JSONField(default=list, blank=True)
    urgency = models.PositiveSmallIntegerField(null=True, blank=True)
    embargo_until = models.DateTimeField("embargoed until", null=True, blank=True)
    pub_status = models.CharField(max_length=20, default="usable")
    # The item's language as the agency gave it, canonical (articles/languages.py);
    # empty when it gave none: its draft then has the site's.
    language = models.CharField(max_length=35, blank=True)
    section_hint = models.CharField(max_length=100, blank=True)
    # The pictures that came with it (formats.picture_entry), and what the worker made
    # of each: "file" (dropped with the item, under the wire root) or "fetch" (a trusted
    # href) to take, then "photo" (the library photo's id) or "note" (why not).
    pictures = models.JSONField(default=list, blank=True)
    signals = models.JSONField(default=list, blank=True)  # ["sig:correction", …]
    # The newest version of its guid (a rejected item stands alone): the Wire lists one
    # row per item, through the index below (kept by ingest.mark_latest).
    latest = models.BooleanField(default=True, editable=False)

    # The story made from this item (or from an earlier version of it), and that
    # story's version when the wire last wrote it: a different version means an editor
    # (or anyone) changed it since, and the wire no longer writes over it.
    story = models.ForeignKey(
        "articles.Story",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="wire_items",
    )
    story_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    attention = models.CharField(max_length=10, choices=Attention, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "articles_wireitem"
        ordering = ["-received_at", "-pk"]
        constraints = [
            # The same guid and version again changes nothing (rejected items, which
            # may have no guid, are kept each time with their reason).
            models.UniqueConstraint(
                fields=["source", "guid", "version"],
                condition=~Q(status="rejected"),
                name="wire_item_unique_version",
            ),
        ]
        indexes = [
            models.Index(fields=["source", "guid"], name="wire_item_guid_idx"),
            models.Index(
                fields=["-received_at", "-id"],
                condition=Q(latest=True),
                name="wire_item_latest_idx",
            ),
        ]
        permissions = meta_permissions(WIRE_DRAFT_PERMISSION)

    def __str__(self):
        return self.headline or self.file_name or f"Wire item {self.pk}"

    @property
    def withdrawn(self):
        return self.pub_status in WITHDRAWN

    @property
    def subject_codes(self):
        return [code for code, _name in self.subjects]

    @property
    def picture_photo_ids(self):
        return [picture["photo"] for picture in self.pictures if picture.get("photo")]

    @property
    def kind(self):
        """What this version is, in words: a kill, a correction, an update or new."""
        if self.status == self.Status.REJECTED:
            return "Rejected"
        if self.withdrawn:
            return "Withheld" if self.pub_status == "withheld" else "Kill"
        if "sig:correction" in self.signals:
            return "Correction"
        if self.version > 1 or "sig:update" in self.signals:
            return "Update"
        return "New"
