# ruff: noqa: E501
"""The photo library becomes an app of its own ("photos"), its models keeping their
tables (articles_photo, …): state only, then content types, permissions and history
data follow (newsroom/app_moves.py). articles 0026_move_photos points the story core's
foreign keys here and forgets the old models."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import taggit.managers
from django.conf import settings
from django.db import migrations, models

import articles.images
from newsroom.app_moves import moved_models

MOVED = ["Photo", "TaggedPhoto", "Gallery", "GalleryPhoto", "PhotoUpload", "PhotoUploadFile"]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("articles", "0025_live_update_changes"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reversion", "__latest__"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Gallery",
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
                            "title",
                            models.CharField(
                                help_text="Names the gallery for readers using a screen reader, too.",
                                max_length=200,
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now, editable=False),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "verbose_name_plural": "galleries",
                        "db_table": "articles_gallery",
                        "ordering": ["-created_at", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="Photo",
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
                            "original",
                            models.ImageField(
                                height_field="height",
                                help_text="JPEG, PNG, WebP, GIF or AVIF. Published in several sizes, without its metadata (camera, location).",
                                max_length=200,
                                storage=articles.images.get_originals_storage,
                                upload_to="photos/%Y/%m/",
                                width_field="width",
                            ),
                        ),
                        (
                            "width",
                            models.PositiveIntegerField(blank=True, editable=False, null=True),
                        ),
                        (
                            "height",
                            models.PositiveIntegerField(blank=True, editable=False, null=True),
                        ),
                        ("renditions", models.JSONField(blank=True, default=dict, editable=False)),
                        ("caption", models.CharField(blank=True, max_length=300)),
                        (
                            "credit",
                            models.CharField(
                                blank=True,
                                help_text="Shown with the photo wherever it is used.",
                                max_length=120,
                            ),
                        ),
                        (
                            "alt",
                            models.CharField(
                                blank=True,
                                help_text="What the photo shows, for readers who cannot see it.",
                                max_length=250,
                                verbose_name="alt text",
                            ),
                        ),
                        (
                            "source",
                            models.CharField(
                                blank=True,
                                help_text="Agency or photographer, e.g. “Yonhap” or “staff”.",
                                max_length=120,
                                verbose_name="source or photographer",
                            ),
                        ),
                        (
                            "focal_x",
                            models.FloatField(
                                default=0.5,
                                help_text="0 is the left edge, 1 the right.",
                                validators=[
                                    django.core.validators.MinValueValidator(0.0),
                                    django.core.validators.MaxValueValidator(1.0),
                                ],
                                verbose_name="focal point x",
                            ),
                        ),
                        (
                            "focal_y",
                            models.FloatField(
                                default=0.5,
                                help_text="0 is the top edge, 1 the bottom.",
                                validators=[
                                    django.core.validators.MinValueValidator(0.0),
                                    django.core.validators.MaxValueValidator(1.0),
                                ],
                                verbose_name="focal point y",
                            ),
                        ),
                        (
                            "rights_note",
                            models.CharField(
                                blank=True,
                                help_text="e.g. “Agency photo, licensed for news use”.",
                                max_length=300,
                                verbose_name="usage rights",
                            ),
                        ),
                        (
                            "rights_expire_on",
                            models.DateField(
                                blank=True,
                                help_text="The last day the photo may be published.",
                                null=True,
                                verbose_name="rights expire on",
                            ),
                        ),
                        (
                            "uploaded_at",
                            models.DateTimeField(default=django.utils.timezone.now, editable=False),
                        ),
                        ("sha256", models.CharField(blank=True, editable=False, max_length=64)),
                        ("dhash", models.BigIntegerField(blank=True, editable=False, null=True)),
                        (
                            "uploaded_by",
                            models.ForeignKey(
                                blank=True,
                                editable=False,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "articles_photo",
                        "ordering": ["-uploaded_at", "-pk"],
                        "permissions": [
                            ("change_photo_rights", "Can change a photo's usage rights")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="GalleryPhoto",
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
                            "caption",
                            models.CharField(
                                blank=True,
                                help_text="Leave empty to use the library's caption.",
                                max_length=300,
                                verbose_name="caption in this gallery",
                            ),
                        ),
                        ("order", models.PositiveIntegerField(db_index=True, default=0)),
                        (
                            "gallery",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="items",
                                to="photos.gallery",
                            ),
                        ),
                        (
                            "photo",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="gallery_items",
                                to="photos.photo",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "photo of the gallery",
                        "verbose_name_plural": "photos of the gallery",
                        "db_table": "articles_galleryphoto",
                        "ordering": ["order", "pk"],
                    },
                ),
                migrations.CreateModel(
                    name="PhotoUpload",
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
                        ("uploaded_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "uploaded_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "articles_photoupload",
                        "ordering": ["-uploaded_at", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="PhotoUploadFile",
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
                        ("position", models.PositiveIntegerField()),
                        ("name", models.CharField(max_length=255)),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("checking", "accepted, being checked"),
                                    ("accepted", "accepted"),
                                    ("duplicate", "already in the library"),
                                    ("refused", "refused"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("message", models.CharField(blank=True, max_length=500)),
                        (
                            "duplicate_of",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="photos.photo",
                            ),
                        ),
                        (
                            "photo",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="upload_files",
                                to="photos.photo",
                            ),
                        ),
                        (
                            "upload",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="files",
                                to="photos.photoupload",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "articles_photouploadfile",
                        "ordering": ["upload", "position"],
                    },
                ),
                migrations.CreateModel(
                    name="TaggedPhoto",
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
                            "content_object",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, to="photos.photo"
                            ),
                        ),
                        (
                            "tag",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="%(app_label)s_%(class)s_items",
                                to="taggit.tag",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "articles_taggedphoto",
                    },
                ),
                migrations.AddField(
                    model_name="photo",
                    name="tags",
                    field=taggit.managers.TaggableManager(
                        blank=True,
                        help_text="Words to find it by in the library (people, places), comma-separated.",
                        through="photos.TaggedPhoto",
                        to="taggit.Tag",
                        verbose_name="Tags",
                    ),
                ),
                migrations.AddIndex(
                    model_name="photo",
                    index=models.Index(fields=["-uploaded_at", "-id"], name="photo_uploaded_idx"),
                ),
                migrations.AddIndex(
                    model_name="photo",
                    index=models.Index(fields=["source"], name="photo_source_idx"),
                ),
                migrations.AddIndex(
                    model_name="photo",
                    index=models.Index(fields=["rights_expire_on"], name="photo_rights_idx"),
                ),
                migrations.AddIndex(
                    model_name="photo",
                    index=models.Index(fields=["sha256"], name="photo_sha256_idx"),
                ),
                migrations.AddIndex(
                    model_name="photo",
                    index=models.Index(fields=["dhash"], name="photo_dhash_idx"),
                ),
                migrations.AddConstraint(
                    model_name="photo",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("focal_x__gte", 0),
                            ("focal_x__lte", 1),
                            ("focal_y__gte", 0),
                            ("focal_y__lte", 1),
                        ),
                        name="photo_focal_point_inside_photo",
                        violation_error_message="The focal point must lie inside the photo (0 to 1).",
                    ),
                ),
            ],
        ),
        moved_models("articles", "photos", MOVED),
    ]
