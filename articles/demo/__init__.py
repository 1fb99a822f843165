"""Demo content (app label "demo"): `manage.py load_demo` (management/commands/) fills a
local site with fictional stories, people and sections (stories.py), and every desk's
demo (fronts, live coverage, the wire). Above every other app; nothing imports it."""
