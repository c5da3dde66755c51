from django.urls import path

from enrs.observatory import views

app_name = "observatory"

urlpatterns = [
    path("", views.home, name="home"),
    path("fichiers/<int:pk>/", views.file_report, name="file_report"),
]
