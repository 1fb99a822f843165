class UnicodeSlugConverter:
    """Slugs as `slugify(..., allow_unicode=True)` makes them: letters, digits, _ and -.

    Anything else (control characters, dots, percent-encoded junk) never reaches a view
    or the database, and is a plain 404.
    """

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
