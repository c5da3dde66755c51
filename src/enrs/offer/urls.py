"""TODS (public, no account) under /tods/; the professional screens under /offre/."""

from django.urls import path

from enrs.offer import views

app_name = "offer"

urlpatterns = [
    path("tods/", views.public_search, name="public_search"),
    path("tods/carte/", views.public_map, name="public_map"),
    path("offre/", views.search, name="search"),
    path("offre/carte/", views.search_map, name="map"),
    path("offre/<int:pk>/", views.detail, name="detail"),
    path("offre/capacites/", views.capacity, name="capacity"),
    path("offre/crise/", views.dashboard, name="dashboard"),
]
