"""Demo content for `manage.py load_demo`: fictional stories, people and sections."""
