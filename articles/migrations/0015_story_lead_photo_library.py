"""Story.lead_photo becomes a photo of the library (articles/photos/), step 1 of 3.

The story's own image field is kept, renamed, until 0016 has moved its photos into the
library; 0017 removes it. Three migrations, each its own transaction: PostgreSQL
refuses to alter a table with rows updated in the same transaction (deferred foreign
key checks pending).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0014_photo_library"),
    ]

    operations = [
        migrations.RenameField(model_name="story", old_name="lead_photo", new_name="lead_photo_file"),
        migrations.AddField(
            model_name="story",
            name="lead_photo",
            field=models.ForeignKey(
                blank=True,
                help_text="Choose a photo of the library, or upload a new one below.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="stories",
                to="articles.photo",
            ),
        ),
    ]
