from django.urls import path

from enrs.identity import views

app_name = "identity"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("doublons/<int:pk>/", views.duplicate, name="duplicate"),
    path("identites/<int:pk>/", views.identity_detail, name="identity_detail"),
    path("recherche/", views.search, name="search"),
    path("fusionner/", views.merge, name="merge"),
    path("ecarter/", views.dismiss, name="dismiss"),
    path("annuler-fusion/", views.unmerge, name="unmerge"),
    path("collision/", views.report_collision, name="report_collision"),
    path("traiter/", views.resolve, name="resolve"),
    path("insi/", views.call_insi, name="insi"),
]
