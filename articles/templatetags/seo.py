"""Template filters for page metadata. No queries."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe

from articles import metadata

register = template.Library()

# Inside <script>, only "</script" and "<!--" could end or confuse the element; escaping
# every <, > and & (as json_script does) makes that impossible and keeps valid JSON.
# U+2028/2029 are escaped too, for the JavaScript parsers some crawlers use.
_SCRIPT_SAFE = {
    ord("<"): "\\u003C",
    ord(">"): "\\u003E",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


@register.filter
def json_ld(data):
    """`data` as JSON that is safe to print inside <script type="application/ld+json">."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return mark_safe(text.translate(_SCRIPT_SAFE))


@register.simple_tag
def site_feeds():
    """The whole site's feeds, for every page's <head>."""
    return metadata.site_feeds()
