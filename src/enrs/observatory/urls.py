from django.urls import path

from enrs.observatory import antibio_views, dashboards, pilote_views, views

app_name = "observatory"

urlpatterns = [
    path("", views.home, name="home"),
    path("fichiers/<int:pk>/", views.file_report, name="file_report"),
    path("qualite/", views.yearly_quality, name="quality"),
    path("pilote/", views.pilote_activity, name="pilote"),
    path("urgences/", dashboards.emergency, name="dashboard"),
    path("urgences/export.pdf", dashboards.emergency_pdf, name="dashboard_pdf"),
    path("urgences/export.xlsx", dashboards.emergency_xlsx, name="dashboard_xlsx"),
    path("pilote/adherents/", pilote_views.members, name="pilote_members"),
    path("pilote/adherents/<int:pk>/rapport.pdf", pilote_views.member_report, name="pilote_report"),
    path("antibio/", antibio_views.home, name="antibio_home"),
    path("antibio/envois/<int:pk>/", antibio_views.import_report, name="antibio_import"),
    path("antibio/modele/<str:kind>.csv", antibio_views.template, name="antibio_template"),
    path("antibio/tableau/", antibio_views.dashboard, name="antibio_dashboard"),
]
