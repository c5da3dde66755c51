from django.urls import path

from enrs.messaging import views

app_name = "messaging"

urlpatterns = [
    path("messagerie/", views.inbox, name="inbox"),
    path("messagerie/nouvelle/", views.new_conversation, name="new_conversation"),
    path("messagerie/<int:pk>/", views.conversation, name="conversation"),
    path("messagerie/<int:pk>/envoyer/", views.post_message, name="post_message"),
    path("messagerie/<int:pk>/clore/", views.close, name="close"),
    path("messagerie/<int:pk>/participants/", views.add_participants, name="add_participants"),
    path("messagerie/<int:pk>/participants/<int:user_id>/retirer/", views.remove_participant, name="remove_participant"),
    path("messagerie/pieces-jointes/<int:pk>/", views.attachment, name="attachment"),
    path("demandes/", views.worklist, name="worklist"),
    path("demandes/nouvelle/<slug:code>/", views.new_request, name="new_request"),
    path("demandes/<int:pk>/", views.request_detail, name="request"),
    path("demandes/<int:pk>/statut/", views.request_status, name="request_status"),
    path("demandes/<int:pk>/commentaire/", views.request_comment, name="request_comment"),
    path("mssante/", views.mssante_send, name="mssante"),
]
