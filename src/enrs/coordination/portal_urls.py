"""Patient-space pages of the coordination record (mounted under /espace-patient/)."""

from django.urls import path

from enrs.coordination import portal_views

app_name = "coordination_portal"

urlpatterns = [
    path("mes-documents/", portal_views.documents, name="documents"),
    path("mes-documents/<int:document_id>/", portal_views.download, name="download"),
    path("ligne-de-vie/", portal_views.lifeline, name="lifeline"),
]
