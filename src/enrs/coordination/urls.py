from django.urls import path

from enrs.coordination import views

app_name = "coordination"

urlpatterns = [
    path("", views.home, name="home"),
    path("ouvrir/", views.open_record, name="open_record"),
    path("dossiers/<int:pk>/", views.record, name="record"),
    # Actions: the record id (and the object id) travel in the body
    path("equipe/ajouter/", views.add_member, name="add_member"),
    path("equipe/retirer/", views.end_member, name="end_member"),
    path("notes/", views.add_note, name="add_note"),
    path("taches/", views.add_task, name="add_task"),
    path("taches/faite/", views.complete_task, name="complete_task"),
    path("parcours/", views.start_pathway, name="start_pathway"),
    path("documents/", views.upload_document, name="upload_document"),
    path("documents/visibilite/", views.document_visibility, name="document_visibility"),
    path("documents/retrait/", views.deprecate_document, name="deprecate_document"),
    path("dossiers/<int:pk>/documents/<int:document_id>/", views.document_detail, name="document"),
    path("dossiers/<int:pk>/documents/<int:document_id>/fichier/", views.download_document, name="download"),
    path("dossiers/<int:pk>/documents/<int:document_id>/dmp/", views.export_document, name="export"),
    path("identitovigilance/", views.pending_encounters, name="pending_encounters"),
]
