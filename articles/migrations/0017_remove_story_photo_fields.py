"""The story's own photo fields go: the library photo holds them (step 3 of 3)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0016_lead_photos_to_library"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="story", name="story_focal_point_inside_photo"),
        migrations.RemoveField(model_name="story", name="lead_photo_file"),
        migrations.RemoveField(model_name="story", name="lead_photo_width"),
        migrations.RemoveField(model_name="story", name="lead_photo_height"),
        migrations.RemoveField(model_name="story", name="lead_photo_focal_x"),
        migrations.RemoveField(model_name="story", name="lead_photo_focal_y"),
        migrations.RemoveField(model_name="story", name="lead_photo_renditions"),
        migrations.RemoveField(model_name="story", name="photo_credit"),
        migrations.RemoveField(model_name="story", name="photo_alt"),
        migrations.AlterField(
            model_name="story",
            name="photo_caption",
            field=models.CharField(
                blank=True,
                help_text="Leave empty to use the library's caption.",
                max_length=300,
                verbose_name="caption for this story",
            ),
        ),
    ]
