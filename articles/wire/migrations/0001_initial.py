"""The wire desk's models, moved from the `articles` app to their own (`wire`).

State only: the tables keep their names (`articles_wiresource`, `articles_wireitem`,
`articles_subjectmapping`) and their rows. Their content types are relabelled in place
(newsroom/app_moves.py), so permissions, the groups holding them, admin log entries and
history follow. articles/migrations/0028_move_wire.py then removes them from `articles`.
"""

import django.db.models.deletion
from django.db import migrations, models

from newsroom.app_moves import moved_models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("articles", "0027_move_fronts"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reversion", "__latest__"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WireSource",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=100, unique=True)),
                        (
                            "slug",
                            models.SlugField(
                                help_text="Its push address: /wire/<slug>/.", unique=True
                            ),
                        ),
                        (
                            "format",
                            models.CharField(
                                choices=[
                                    ("text", "Plain text (newsroom)"),
                                    ("ninjs", "IPTC ninjs (JSON)"),
                                    ("newsml", "IPTC NewsML-G2"),
                                ],
                                max_length=10,
                            ),
                        ),
                        (
                            "folder",
                            models.CharField(
                                blank=True,
                                help_text="A folder inside the server's wire folder (NEWSROOM_WIRE_ROOT) where the agency drops files, e.g. by SFTP; read ones move to processed/ or rejected/ in it.",
                                max_length=500,
                                verbose_name="watched folder",
                            ),
                        ),
                        (
                            "trusted_picture_hosts",
                            models.CharField(
                                blank=True,
                                help_text="Host names (photos.agency.example, or host:port) whose pictures the worker may fetch into the photo library, separated by spaces or commas. Pictures linked from any other host are recorded and shown, never fetched. Pictures dropped in the watched folder with their item are always taken.",
                                max_length=500,
                                verbose_name="trusted picture hosts",
                            ),
                        ),
                        ("token_hash", models.CharField(blank=True, editable=False, max_length=64)),
                        ("active", models.BooleanField(default=True)),
                        (
                            "default_section",
                            models.ForeignKey(
                                blank=True,
                                help_text="Drafts go here unless a subject mapping names a section.",
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="articles.section",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "articles_wiresource",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="WireItem",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("guid", models.CharField(blank=True, max_length=200)),
                        ("version", models.PositiveIntegerField(default=1)),
                        ("file_name", models.CharField(blank=True, max_length=255)),
                        ("raw", models.TextField(blank=True, verbose_name="raw payload")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("received", "Received"),
                                    ("processed", "Processed"),
                                    ("rejected", "Rejected"),
                                ],
                                default="received",
                                max_length=10,
                            ),
                        ),
                        ("reason", models.TextField(blank=True, help_text="Why it was rejected.")),
                        ("headline", models.CharField(blank=True, max_length=300)),
                        ("dek", models.CharField(blank=True, max_length=300)),
                        ("body_html", models.TextField(blank=True)),
                        ("bylines", models.JSONField(blank=True, default=list)),
                        ("subjects", models.JSONField(blank=True, default=list)),
                        ("related_headlines", models.JSONField(blank=True, default=list)),
                        ("urgency", models.PositiveSmallIntegerField(blank=True, null=True)),
                        (
                            "embargo_until",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="embargoed until"
                            ),
                        ),
                        ("pub_status", models.CharField(default="usable", max_length=20)),
                        ("language", models.CharField(blank=True, max_length=35)),
                        ("section_hint", models.CharField(blank=True, max_length=100)),
                        ("pictures", models.JSONField(blank=True, default=list)),
                        ("signals", models.JSONField(blank=True, default=list)),
                        ("latest", models.BooleanField(default=True, editable=False)),
                        (
                            "story_version",
                            models.PositiveIntegerField(blank=True, editable=False, null=True),
                        ),
                        (
                            "attention",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("", "—"),
                                    ("update", "Wire update available"),
                                    ("killed", "KILLED by the agency"),
                                ],
                                default="",
                                max_length=10,
                            ),
                        ),
                        ("received_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("processed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "story",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="wire_items",
                                to="articles.story",
                            ),
                        ),
                        (
                            "source",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="items",
                                to="wire.wiresource",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "articles_wireitem",
                        "ordering": ["-received_at", "-pk"],
                        "permissions": [
                            ("make_story_from_wireitem", "Can make a draft story from a wire item")
                        ],
                        "indexes": [
                            models.Index(fields=["source", "guid"], name="wire_item_guid_idx"),
                            models.Index(
                                condition=models.Q(("latest", True)),
                                fields=["-received_at", "-id"],
                                name="wire_item_latest_idx",
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("status", "rejected"), _negated=True),
                                fields=("source", "guid", "version"),
                                name="wire_item_unique_version",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SubjectMapping",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "code",
                            models.CharField(
                                help_text="As the agency sends it: medtop:20000822, subj:15000000…",
                                max_length=100,
                            ),
                        ),
                        ("tag", models.CharField(blank=True, max_length=100)),
                        (
                            "section",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="articles.section",
                            ),
                        ),
                        (
                            "source",
                            models.ForeignKey(
                                blank=True,
                                help_text="Empty: for every source.",
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="mappings",
                                to="wire.wiresource",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "articles_subjectmapping",
                        "ordering": ["code"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("code", "source"), name="subject_mapping_unique"
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("source", None)),
                                fields=("code",),
                                name="subject_mapping_global_unique",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        moved_models("articles", "wire", ["WireSource", "WireItem", "SubjectMapping"]),
    ]
