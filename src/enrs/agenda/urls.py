from django.urls import path

from enrs.agenda import setup_views, views

app_name = "agenda"

urlpatterns = [
    path("", views.search, name="search"),
    path("agenda/<int:pk>/", views.agenda_detail, name="agenda_detail"),
    path("reserver/", views.hold, name="hold"),
    path("rendez-vous/confirmer/", views.confirm, name="confirm"),
    path("rendez-vous/annuler/", views.cancel, name="cancel"),
    path("rendez-vous/<uuid:identifier>/calendrier.ics", views.appointment_ics, name="appointment_ics"),
    path("mes-rendez-vous/", views.my_appointments, name="my_appointments"),
    path("pro/", views.pro_home, name="pro_home"),
    path("pro/agenda/<int:pk>/", views.pro_agenda, name="pro_agenda"),
    path("pro/agenda/<int:pk>/parametres/", setup_views.pro_settings, name="pro_settings"),
    path("pro/motif/<int:pk>/", views.pro_motif, name="pro_motif"),
    path("pro/reserver/", views.pro_book, name="pro_book"),
    path("flux/<str:token>.ics", views.feed, name="feed"),
]
