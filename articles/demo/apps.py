from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`manage.py load_demo`: demo content for a local site, every desk's (the story
    core's, the fronts', the live coverage's, the wire's). Last in INSTALLED_APPS: it
    may import any app; none imports it. No models."""

    name = "articles.demo"
    label = "demo"
    verbose_name = "Demo content"
