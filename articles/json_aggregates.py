"""JSON aggregates the story queries read a list of related rows with, in one query."""

from django.db import models
from django.db.models import OuterRef
from django.db.models.functions import JSONObject
from taggit.models import TaggedItem


class JSONArrayAgg(models.Aggregate):
    """Rows as one JSON array, as text: SQLite's json_group_array, PostgreSQL's jsonb_agg."""

    function = "JSON_GROUP_ARRAY"
    output_field = models.TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = self.as_sql(compiler, connection, function="JSONB_AGG", **extra_context)
        return f"({sql})::text", params


def tags_as_json_for_story():
    """A subquery: the outer query's story's tags as one JSON array of {id, name, slug}."""
    return (
        TaggedItem.objects.filter(
            object_id=OuterRef("pk"),
            content_type__app_label="articles",
            content_type__model="story",
        )
        .order_by()
        .values("object_id")
        .annotate(items=JSONArrayAgg(JSONObject(id="tag_id", name="tag__name", slug="tag__slug")))
        .values("items")
    )
