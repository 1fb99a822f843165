"""Read an HTML form the way a browser would submit it.

Shared by the newsroom workload's editor (bench/newsroom.py), which posts the admin's
story form back over HTTP, and by the tests (tests/admin_pages.py).
"""

from html.parser import HTMLParser


class _FormFields(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.pairs = form_id, False, []
        self._textarea = self._select = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = self.form_id is None or attrs.get("id") == self.form_id
        if not self.inside or ("name" not in attrs and tag != "option"):
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            default = "on" if kind == "checkbox" else ""
            self.pairs.append((attrs["name"], attrs.get("value", default)))
        elif tag == "textarea":
            self._textarea, self._text = attrs["name"], []
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.pairs.append((self._select, attrs.get("value", "")))

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            text = "".join(self._text)
            # Browsers drop one newline that directly follows <textarea>.
            self.pairs.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self.inside = False


def form_pairs(html, form_id=None):
    """(name, value) pairs the form `form_id` (None: any form) would submit, in order;
    without the empty templates of inline rows (`__prefix__`)."""
    parser = _FormFields(form_id)
    parser.feed(html)
    return [(name, value) for name, value in parser.pairs if "__prefix__" not in name]
