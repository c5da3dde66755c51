from django.urls import path

from enrs.access import views

app_name = "access"

urlpatterns = [
    path("urgence/", views.break_glass_search, name="break_glass_search"),
    path("urgence/ouvrir/", views.break_glass_open, name="break_glass_open"),
    path("patients/<int:pk>/", views.patient_identity, name="patient_identity"),
    path("mes-oppositions/", views.my_consent, name="my_consent"),
]
