"""FHIR routes the agenda serves itself, mounted under /fhir/ before the generic ones: computed
Slots, and the type-level PUT (conditional update) on Appointment."""

from django.urls import re_path

from enrs.agenda import fhir

app_name = "agenda_fhir"

urlpatterns = [
    re_path(r"^Slot/?$", fhir.slot_type, name="slots"),
    re_path(r"^Slot/(?P<resource_id>[A-Za-z0-9\-.]{1,64})/?$", fhir.slot_instance, name="slot"),
    re_path(r"^Appointment/?$", fhir.appointment_type, name="appointments"),
]
