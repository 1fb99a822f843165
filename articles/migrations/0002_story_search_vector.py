"""Full-text search on PostgreSQL: a stored tsvector, kept current by a trigger, GIN-indexed.

The column is added on every database (the model has it), but the trigger, the index
and the back-fill exist only on PostgreSQL: SQLite has no tsvector or GIN, and there the
column stays NULL (articles/search.py falls back to substring matching).

Why a trigger rather than Story.save(): it also covers bulk_create, QuerySet.update()
and raw SQL, and costs no extra query. The index is deliberately not in the model's
Meta.indexes: a GinIndex there would be re-created by SQLite's table rebuilds (any
later AlterField on Story) and fail.

The text search configuration must match SEARCH_CONFIG in articles/search.py
(tests/test_search.py checks that they agree).
"""

import django.contrib.postgres.search
from django.db import migrations

CREATE = """
CREATE FUNCTION articles_story_search_vector_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The default parser drops HTML tags and entities, so the sanitised body HTML
    -- can be indexed as it is.
    NEW.search_vector :=
        setweight(to_tsvector('english'::regconfig, coalesce(NEW.headline, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(NEW.dek, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(NEW.body, '')), 'C');
    RETURN NEW;
END
$$;

CREATE TRIGGER articles_story_search_vector
BEFORE INSERT OR UPDATE ON articles_story
FOR EACH ROW EXECUTE FUNCTION articles_story_search_vector_update();

CREATE INDEX articles_story_search_gin ON articles_story USING gin (search_vector);

-- Back-fill existing rows (the trigger computes the value).
UPDATE articles_story SET search_vector = NULL;
"""

DROP = """
DROP INDEX IF EXISTS articles_story_search_gin;
DROP TRIGGER IF EXISTS articles_story_search_vector ON articles_story;
DROP FUNCTION IF EXISTS articles_story_search_vector_update();
"""


def postgres_only(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # No parameters: several statements go in one simple-protocol call.
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="story",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(postgres_only(CREATE), postgres_only(DROP)),
    ]
