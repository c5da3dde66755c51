"""FHIR routes, mounted at /fhir/. The last pattern catches every other path so
that nothing under /fhir/ answers with an HTML page."""

from django.urls import path, re_path

from enrs.fhir import views

app_name = "fhir"

TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,63})"
ID = r"(?P<resource_id>[A-Za-z0-9\-.]{1,64})"

urlpatterns = [
    path("", views.root, name="root"),
    re_path(r"^metadata/?$", views.metadata, name="metadata"),
    re_path(rf"^{TYPE}/?$", views.type_level, name="type"),
    re_path(rf"^{TYPE}/_search/?$", views.search_post, name="search"),
    re_path(rf"^{TYPE}/\$(?P<operation>[a-z][a-z\-]{{0,63}})/?$", views.operation, name="operation"),
    re_path(rf"^{TYPE}/{ID}/_history(?:/[^/]*)?/?$", views.history, name="history"),
    re_path(rf"^{TYPE}/_history/?$", views.history, name="history"),
    re_path(r"^_history/?$", views.history, name="history"),
    re_path(rf"^{TYPE}/{ID}/?$", views.instance, name="instance"),
    re_path(r"^(?P<path>.*)$", views.unknown_path, name="unknown"),
]
