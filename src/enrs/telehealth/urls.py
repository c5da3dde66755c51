from django.urls import path

from enrs.telehealth import video_views, views

app_name = "telehealth"

urlpatterns = [
    path("", views.home, name="home"),
    # Telemonitoring
    path("surveillance/", views.worklist, name="worklist"),
    path("surveillance/inclure/", views.enrol, name="enrol"),
    path("surveillance/<int:pk>/", views.enrolment_detail, name="enrolment"),
    path("surveillance/inr/", views.record_inr, name="inr"),
    path("surveillance/posologie/", views.record_dose, name="dose"),
    path("surveillance/plaie/", views.record_wound, name="wound"),
    path("surveillance/alerte/", views.acknowledge, name="acknowledge"),
    path("surveillance/<int:pk>/questionnaires/<slug:code>/", views.questionnaire, name="questionnaire"),
    path("surveillance/questionnaire/", views.submit_questionnaire, name="submit_questionnaire"),
    path("mon-suivi/", views.my_monitoring, name="my_monitoring"),
    path("fhir/Questionnaire/<slug:programme>/<slug:code>/", views.questionnaire_fhir, name="questionnaire_fhir"),
    # Tele-expertise
    path("expertise/", views.expertise_list, name="expertise_list"),
    path("expertise/nouvelle/", views.expertise_new, name="expertise_new"),
    path("expertise/<int:pk>/", views.expertise_detail, name="expertise"),
    path("expertise/piece/<int:pk>/", views.expertise_attachment, name="expertise_attachment"),
    path("expertise/action/", views.expertise_act, name="expertise_act"),
    # Urgent tele-advice
    path("urgences/", views.urgent_list, name="urgent_list"),
    path("urgences/appel/", views.urgent_new, name="urgent_new"),
    path("urgences/<int:pk>/", views.urgent_detail, name="urgent"),
    path("urgences/prendre/", views.urgent_accept, name="urgent_accept"),
    path("urgences/astreinte/", views.shift_new, name="shift_new"),
    # Télésoin
    path("telesoin/", views.telesoin, name="telesoin"),
    # e-RCP / e-Staff
    path("reunions/", views.meetings, name="meetings"),
    path("reunions/nouvelle/", views.meeting_new, name="meeting_new"),
    path("reunions/<int:pk>/", views.meeting_detail, name="meeting"),
    path("reunions/<int:pk>/decisions.pdf", views.meeting_pdf, name="meeting_pdf"),
    path("reunions/cas/", views.case_new, name="case_new"),
    path("reunions/cas/document/", views.case_document, name="case_document"),
    path("reunions/cas/decision/", views.decision, name="decision"),
    # Teleconsultation and video rooms
    path("teleconsultation/", video_views.teleconsultations, name="teleconsultations"),
    path("teleconsultation/rendez-vous/", video_views.room_from_appointment, name="room_from_appointment"),
    path("salle/ouvrir/", video_views.room_for_kind, name="room_for_kind"),
    path("salle/<int:pk>/", video_views.room, name="room"),
    path("salle/<int:pk>/rejoindre/<str:token>/", video_views.room_join, name="room_join"),
    path("salle/<int:pk>/consentement/", video_views.room_consent, name="room_consent"),
    path("salle/<int:pk>/inviter/", video_views.room_invite, name="room_invite"),
    path("salle/<int:pk>/document/", video_views.room_document, name="room_document"),
    path("salle/document/<int:pk>/", video_views.room_document_file, name="room_document_file"),
    path("salle/<int:pk>/cloture/", video_views.room_close, name="room_close"),
    # Acts
    path("actes/", views.acts, name="acts"),
]
