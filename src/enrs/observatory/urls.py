from django.urls import path

from enrs.observatory import dashboards, views

app_name = "observatory"

urlpatterns = [
    path("", views.home, name="home"),
    path("fichiers/<int:pk>/", views.file_report, name="file_report"),
    path("qualite/", views.yearly_quality, name="quality"),
    path("pilote/", views.pilote_activity, name="pilote"),
    path("urgences/", dashboards.emergency, name="dashboard"),
    path("urgences/export.pdf", dashboards.emergency_pdf, name="dashboard_pdf"),
    path("urgences/export.xlsx", dashboards.emergency_xlsx, name="dashboard_xlsx"),
]
