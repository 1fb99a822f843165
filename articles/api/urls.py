"""The content API's addresses, mounted at /api/ by newsroom/urls.py."""

from django.urls import path

from .v1 import api

urlpatterns = [
    path("v1/", api.urls),
]
