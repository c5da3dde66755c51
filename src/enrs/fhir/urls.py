from django.urls import path

app_name = "fhir"

urlpatterns: list = []
