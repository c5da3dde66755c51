from django.urls import path

from enrs.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("accueil/", views.home, name="home"),
    path("espace-pro/", views.pro_home, name="pro_home"),
    path("espace-patient/", views.patient_home, name="patient_home"),
    path("espace-patient/acces-a-mon-dossier/", views.access_history, name="access_history"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/lues/", views.notifications_mark_read, name="notifications_mark_read"),
]
