"""Directory URLs. Search and detail screens: views.py; imports: imports_views.py."""

from django.urls import path

from enrs.directory import imports_views, views

app_name = "directory"

urlpatterns = [
    path("", views.search, name="search"),
    path("structures/<int:pk>/", views.organisation_detail, name="organisation"),
    path("professionnels/<int:pk>/", views.professional_detail, name="professional"),
    path("imports/", imports_views.import_list, name="imports"),
    path("imports/nouveau/", imports_views.import_upload, name="import_upload"),
    path("imports/<int:pk>/", imports_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/progression/", imports_views.import_progress, name="import_progress"),
]
