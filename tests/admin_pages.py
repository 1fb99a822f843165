"""Read an admin page's form the way a browser would submit it."""

from bench.forms import form_pairs


def form_fields(response, form_id="story_form"):
    """{name: [values]} of the form on an admin page, ready for `client.post`."""
    data = {}
    for name, value in form_pairs(response.content.decode(), form_id):
        data.setdefault(name, []).append(value)
    data.pop("csrfmiddlewaretoken", None)
    return data
