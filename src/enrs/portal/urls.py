from django.urls import path

from enrs.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("accueil/", views.home, name="home"),
]
