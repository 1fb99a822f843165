from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("stories/", views.LatestView.as_view(), name="story_list"),
    path("stories/<str:slug>/", views.StoryDetailView.as_view(), name="story_detail"),
    path("sections/<str:slug>/", views.SectionDetailView.as_view(), name="section_detail"),
    path("tags/<str:slug>/", views.TagDetailView.as_view(), name="tag_detail"),
    path("authors/<str:slug>/", views.AuthorDetailView.as_view(), name="author_detail"),
]
