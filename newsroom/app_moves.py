"""Moving models from one app label to another without losing what points at them.

A model that leaves the `articles` app for its desk's app keeps its table (the move is
`SeparateDatabaseAndState`, state only). What names it by app label moves with it here,
in one operation that runs backwards too:

- its ContentType row is relabelled in place, so the permissions (and the groups holding
  them), admin log entries, tagged items and history versions that point at the row by
  id keep pointing at it;
- the serialized data of every django-reversion version of it names the model as
  "app_label.model": rewritten, so old versions still open and revert.

Used as `moved_models("articles", "photos", ["photo", "gallery", …])` in the new app's
first migration, after its state-only CreateModel operations.
"""

import json

from django.db import migrations

# The history versions are rewritten in batches, never all loaded at once.
BATCH = 500


def _relabel(apps, schema_editor, old_label, new_label, model_names):
    alias = schema_editor.connection.alias
    content_type_model = apps.get_model("contenttypes", "ContentType")
    content_types = content_type_model.objects.using(alias)
    moved_ids = []
    for model in model_names:
        row = content_types.filter(app_label=old_label, model=model).first()
        if row is None:
            continue  # a fresh database: post_migrate makes it under the new label
        # A row under the new label can only be an empty one a post_migrate made (an
        # interrupted earlier attempt): nothing points at it that the old row lacks.
        content_types.filter(app_label=new_label, model=model).delete()
        row.app_label = new_label
        row.save(update_fields=["app_label"])
        moved_ids.append(row.pk)
    if moved_ids:
        _rewrite_versions(apps, alias, moved_ids, old_label, new_label, model_names)
    content_type_model.objects.clear_cache()


def _rewrite_versions(apps, alias, content_type_ids, old_label, new_label, model_names):
    try:
        version_model = apps.get_model("reversion", "Version")
    except LookupError:
        return
    names = {f"{old_label}.{model}": f"{new_label}.{model}" for model in model_names}
    versions = version_model.objects.using(alias).filter(
        content_type_id__in=content_type_ids, format="json"
    )
    last_pk = 0
    while True:
        batch = list(
            versions.filter(pk__gt=last_pk).order_by("pk").only("pk", "serialized_data")[:BATCH]
        )
        if not batch:
            return
        for version in batch:
            data = json.loads(version.serialized_data)
            changed = False
            for obj in data:
                if obj.get("model") in names:
                    obj["model"] = names[obj["model"]]
                    changed = True
            if changed:
                version.serialized_data = json.dumps(data)
                version.save(update_fields=["serialized_data"])
        last_pk = batch[-1].pk


def moved_models(old_label, new_label, model_names):
    """A RunPython operation relabelling `model_names` (lower case) from old to new."""
    model_names = [name.lower() for name in model_names]

    def forwards(apps, schema_editor):
        _relabel(apps, schema_editor, old_label, new_label, model_names)

    def backwards(apps, schema_editor):
        _relabel(apps, schema_editor, new_label, old_label, model_names)

    return migrations.RunPython(forwards, backwards, elidable=False)
