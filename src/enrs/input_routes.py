"""Every route that takes input, kept next to the URL conf.

``tests/test_bad_input.py`` sends malformed payloads to each route listed in
``INPUT_ROUTES`` and expects a 4xx answer with a French message, nothing
stored. It also walks the URL conf and fails on any route that is neither
listed here nor in ``NO_INPUT_ROUTES`` (with the reason it takes no input), so
a new route cannot escape the sweep.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class InputRoute:
    name: str  # URL name, with namespace
    body: str  # "form", "multipart", "json" or "query"
    user: str = "anonymous"  # who sends it: anonymous, pro, patient or staff
    method: str = "POST"
    kwargs: dict = field(default_factory=dict)
    response: str = "html"  # "html" (form errors), "json" (API) or "fhir" (OperationOutcome)


INPUT_ROUTES: list[InputRoute] = [
    # Accounts (django-allauth, answered 400 by core.middleware.InvalidFormStatusMiddleware)
    InputRoute("account_login", "form"),
    InputRoute("account_reset_password", "form"),
    InputRoute("account_change_password", "form", user="pro"),
    # Directory
    InputRoute("directory:search", "query", user="pro", method="GET"),
    InputRoute("directory:import_upload", "multipart", user="staff"),
    InputRoute("api:upsert_organisation", "json", user="staff", response="json"),
    InputRoute("api:organisation_by_finess", "query", user="pro", method="GET", kwargs={"finess": "000000000"}, response="json"),
    InputRoute("api:professional_by_idnat", "query", user="pro", method="GET", kwargs={"idnat_ps": "x"}, response="json"),
    # System-to-system access (connectors, OAuth2 client credentials; docs/security/connectors.md).
    # The token and revocation endpoints answer OAuth2 JSON errors with a French "detail";
    # the connector API routes are swept anonymously here (401) and with a real token in
    # tests/connectors/test_directory_api.py.
    InputRoute("oauth:token", "form", response="json"),
    InputRoute("oauth:revoke", "form", response="json"),
    InputRoute("api:update_organisation_contacts", "json", method="PATCH", kwargs={"finess": "000000000"}, response="json"),
    InputRoute("api:organisation_for_connector", "query", method="GET", kwargs={"finess": "000000000"}, response="json"),
    # Care offer (ROR) and TODS: search pages, capacity form, connector capacity API
    InputRoute("offer:public_search", "query", method="GET"),
    InputRoute("offer:public_map", "query", method="GET"),
    InputRoute("offer:search", "query", user="pro", method="GET"),
    InputRoute("offer:map", "query", user="pro", method="GET"),
    InputRoute("offer:capacity", "form", user="pro"),
    InputRoute("api:push_capacities", "json", kwargs={"identifier": "LIEU-X"}, response="json"),
    # FHIR (read and search; strict search parameters)
    InputRoute("fhir:type", "query", method="GET", kwargs={"resource_type": "Organization"}, response="fhir"),
    InputRoute("fhir:search", "query", method="GET", kwargs={"resource_type": "PractitionerRole"}, response="fhir"),
    InputRoute("fhir:metadata", "query", method="GET", response="fhir"),
    InputRoute(
        "fhir:instance", "query", method="GET", kwargs={"resource_type": "Practitioner", "resource_id": "1"}, response="fhir"
    ),
    # Identity feeds: Patient/$match (Parameters resource; sessions with search rights, connector tokens in
    # tests/identity/feeds/test_fhir_patient.py, which also sends malformed Patient bodies)
    InputRoute(
        "fhir:operation", "json", user="pro", kwargs={"resource_type": "Patient", "operation": "match"}, response="fhir"
    ),
    # Security S2: access trail (the patient's "who accessed my record" page; only ?page=)
    InputRoute("portal:access_history", "query", user="patient", method="GET"),
    InputRoute("portal:notifications", "query", user="pro", method="GET"),
    InputRoute("portal:notifications_mark_read", "form", user="pro"),
    # Habilitations (S3): break-glass search and opening, patient oppositions
    InputRoute("access:break_glass_search", "query", user="pro", method="GET"),
    InputRoute("access:break_glass_open", "form", user="pro"),
    InputRoute("access:my_consent", "form", user="patient"),
    # Identity vigilance (issue 4): worklists, search, and the decisions (ids in the form body)
    InputRoute("identity:worklist", "query", user="staff", method="GET"),
    InputRoute("identity:search", "query", user="staff", method="GET"),
    InputRoute("identity:merge", "form", user="staff"),
    InputRoute("identity:dismiss", "form", user="staff"),
    InputRoute("identity:unmerge", "form", user="staff"),
    InputRoute("identity:report_collision", "form", user="staff"),
    InputRoute("identity:resolve", "form", user="staff"),
    InputRoute("identity:insi", "form", user="staff"),
    # Membership (issue 11): catalogue filters, applications, quotes, conventions, accounts, register
    InputRoute("membership:catalogue", "query", method="GET"),
    InputRoute("membership:apply", "form", user="pro"),
    InputRoute("membership:quote_request", "form", user="pro"),
    InputRoute("membership:convention_sign", "form", user="pro"),
    InputRoute("membership:account_request", "form", user="pro"),
    InputRoute("membership:account_decide", "form", user="pro"),
    InputRoute("membership:order_quote", "form", user="pro"),
    InputRoute("membership:credit_note", "form", user="staff"),
    InputRoute("membership:contribution_call", "form", user="staff"),
    InputRoute("membership:register", "query", user="staff", method="GET"),
    InputRoute("membership:assemblies", "form", user="staff"),
    InputRoute("membership:vote", "form", user="staff"),
    InputRoute("membership:record_decisions", "form", user="staff"),
    InputRoute("membership:report", "query", user="staff", method="GET"),
    # Observatory (issue 10): RPU upload form, quality report pages, connector RPU API (raw XML body;
    # swept anonymously here → 401, with real tokens in tests/observatory/test_upload.py)
    InputRoute("observatory:home", "multipart", user="staff"),
    InputRoute("observatory:dashboard", "query", user="staff", method="GET"),
    InputRoute("observatory:quality", "query", user="staff", method="GET"),
    InputRoute("observatory:pilote", "query", user="staff", method="GET"),
    InputRoute("observatory:dashboard_pdf", "query", user="staff", method="GET"),
    InputRoute("observatory:dashboard_xlsx", "query", user="staff", method="GET"),
    InputRoute("api:send_rpu", "json", response="json"),
    InputRoute("api:send_antibio", "json", response="json"),
    InputRoute("observatory:antibio_home", "multipart", user="staff"),
    InputRoute("observatory:antibio_dashboard", "query", user="staff", method="GET"),
    InputRoute("observatory:pilote_members", "query", user="staff", method="GET"),
    # Agendas and e-RDV (issue 6): public search, hold/confirm/cancel (appointment id in the body), a GP's booking
    InputRoute("agenda:search", "query", method="GET"),
    InputRoute("agenda:hold", "form", user="patient"),
    InputRoute("agenda:confirm", "form", user="patient"),
    InputRoute("agenda:cancel", "form", user="patient"),
    InputRoute("agenda:pro_book", "form", user="pro"),
    InputRoute("agenda_fhir:slots", "query", method="GET", response="fhir"),
    InputRoute("agenda_fhir:appointments", "json", user="patient", response="fhir"),
    InputRoute("agenda_fhir:appointments", "json", user="patient", method="PUT", response="fhir"),
    # Messaging (issue 7): new conversation, worklist filters, new request (type from the seed), MSSanté form.
    # The routes on one conversation or request are swept with malformed input against real objects
    # in tests/messaging/test_views.py (a missing id answers the 404 page here).
    InputRoute("messaging:new_conversation", "form", user="pro"),
    InputRoute("messaging:worklist", "query", user="pro", method="GET"),
    InputRoute("messaging:new_request", "form", user="pro", kwargs={"code": "avis-specialise"}),
    InputRoute("messaging:mssante", "multipart", user="pro"),
    # Telehealth (issue 8): every action names its object in the form body (ids resolved, then the permission API)
    InputRoute("telehealth:enrol", "form", user="pro"),
    InputRoute("telehealth:inr", "form", user="pro"),
    InputRoute("telehealth:dose", "form", user="pro"),
    InputRoute("telehealth:wound", "multipart", user="pro"),
    InputRoute("telehealth:acknowledge", "form", user="pro"),
    InputRoute("telehealth:submit_questionnaire", "form", user="patient"),
    InputRoute("telehealth:expertise_new", "multipart", user="pro"),
    InputRoute("telehealth:expertise_act", "form", user="pro"),
    InputRoute("telehealth:urgent_new", "form", user="pro"),
    InputRoute("telehealth:urgent_accept", "form", user="pro"),
    InputRoute("telehealth:shift_new", "form", user="staff"),
    InputRoute("telehealth:telesoin", "form", user="pro"),
    InputRoute("telehealth:meeting_new", "form", user="pro"),
    InputRoute("telehealth:case_new", "form", user="pro"),
    InputRoute("telehealth:case_document", "multipart", user="pro"),
    InputRoute("telehealth:decision", "form", user="pro"),
    InputRoute("telehealth:acts", "query", user="pro", method="GET"),
    InputRoute("telehealth:teleconsultations", "form", user="pro"),
    InputRoute("telehealth:room_from_appointment", "form", user="pro"),
    InputRoute("telehealth:room_consent", "form", user="patient", kwargs={"pk": 999999}),
    InputRoute("telehealth:room_invite", "form", user="pro", kwargs={"pk": 999999}),
    InputRoute("telehealth:room_document", "multipart", user="patient", kwargs={"pk": 999999}),
    InputRoute("telehealth:room_close", "form", user="pro", kwargs={"pk": 999999}),
    InputRoute("telehealth:room_for_kind", "form", user="pro"),
    # Coordination record (issue 5): actions carry the record id (and the object id) in the body;
    # FHIR Encounter / Bundle are connector-only (401 here; malformed bodies in tests/coordination/test_fhir.py)
    InputRoute("coordination:home", "query", user="pro", method="GET"),
    InputRoute("coordination:open_record", "form", user="pro"),
    InputRoute("coordination:add_member", "form", user="pro"),
    InputRoute("coordination:end_member", "form", user="pro"),
    InputRoute("coordination:add_note", "form", user="pro"),
    InputRoute("coordination:add_task", "form", user="pro"),
    InputRoute("coordination:complete_task", "form", user="pro"),
    InputRoute("coordination:start_pathway", "form", user="pro"),
    InputRoute("coordination:upload_document", "multipart", user="pro"),
    InputRoute("coordination:document_visibility", "form", user="pro"),
    InputRoute("coordination:deprecate_document", "form", user="pro"),
    InputRoute("coordination:pending_encounters", "form", user="staff"),
    InputRoute("coordination_portal:documents", "query", user="patient", method="GET"),
    InputRoute("fhir:type", "json", kwargs={"resource_type": "Encounter"}, response="fhir"),
    InputRoute("fhir:type", "json", kwargs={"resource_type": "Bundle"}, response="fhir"),
]

NO_INPUT_ROUTES: dict[str, str] = {
    "healthz": "probe, no input",
    "readyz": "probe, no input",
    "portal:landing": "static page",
    "portal:home": "redirects to the home of the account's kind",
    "portal:pro_home": "page view, no input",
    "portal:patient_home": "page view, no input",
    "fhir:root": "FHIR base: 404/405 OperationOutcome",
    "fhir:history": "history not supported: 405 OperationOutcome",
    "fhir:unknown": "catch-all: 404 OperationOutcome",
    "directory:organisation": "detail page; the id is resolved or 404",
    "directory:professional": "detail page; the id is resolved or 404",
    "directory:imports": "list page",
    "directory:import_detail": "detail page; the id is resolved or 404",
    "directory:import_progress": "progress fragment; the id is resolved or 404",
    "api:openapi-json": "generated OpenAPI document",
    "api:openapi-view": "OpenAPI viewer",
    "api:api-root": "API root",
    "account_logout": "POST without fields (CSRF-protected)",
    "account_inactive": "information page",
    "account_email": "allauth multi-action page: a POST without a known action redirects back unchanged",
    "account_signup": "closed: registration is disabled (ENRS_ALLOW_REGISTRATION)",
    "account_reauthenticate": "password form of allauth, same validation as login",
    "account_email_verification_sent": "information page",
    "account_set_password": "only for accounts without a password (none here)",
    "account_confirm_login_code": "login by code is disabled",
    "account_confirm_email": "the key is checked by allauth (404 page when wrong)",
    "account_reset_password_from_key_done": "information page",
    "account_reset_password_from_key": "the key is checked by allauth before the form is shown",
    "account_reset_password_done": "information page",
    # Authentication (S1): allauth MFA and social login; behaviour tested in tests/accounts/
    "mfa_index": "page view, no input",
    "mfa_authenticate": "TOTP code form reachable only during a pending login (redirects otherwise); tested in tests/accounts/test_mfa.py",
    "mfa_reauthenticate": "TOTP code form reachable only by a user with a TOTP who must re-authenticate",
    "mfa_activate_totp": "behind re-authentication (redirects first); wrong codes tested in tests/accounts/test_mfa.py",
    "mfa_deactivate_totp": "behind re-authentication; a confirmation POST without fields",
    "mfa_view_recovery_codes": "behind re-authentication; page view",
    "mfa_download_recovery_codes": "behind re-authentication; file download",
    "mfa_generate_recovery_codes": "behind re-authentication; a confirmation POST without fields",
    "socialaccount_connections": "behind re-authentication; a PSC account cannot be disconnected from a password-less account",
    "socialaccount_login_cancelled": "information page",
    "socialaccount_login_error": "information page",
    "socialaccount_signup": "closed: PSC accounts are created from the directory, never through a form",
    "openid_connect_login": "starts the PSC redirect (POST without fields, CSRF-protected); 404 when PSC is not configured",
    "openid_connect_callback": "404 unless PSC is configured; bad, expired and replayed state tested against a real provider in tests/accounts/test_psc_oidc.py",
    # Care offer
    "offer:detail": "public detail page of an offer; the id is resolved or 404",
    "offer:dashboard": "agency page view, no input",
    # Habilitations (S3)
    "access:patient_identity": "detail page; the id is resolved or 404, then checked by the permission API",
    # Identity vigilance (issue 4)
    "identity:duplicate": "comparison page; the id is resolved or 404, identity duties then the permission API",
    "identity:identity_detail": "identity page; the id is resolved or 404, identity duties then the permission API",
    # Membership (issue 11)
    "membership:home": "page view, no input",
    "membership:tariffs": "page view, no input",
    "membership:member": "detail page; the id is resolved, then 404 unless the agency or the member's account referent",
    "membership:document": "detail page; the id is resolved, then 404 unless the agency or the member's account referent",
    "membership:document_pdf": "PDF download; the id is resolved, then 404 unless the agency or the member's account referent",
    "membership:assembly": "detail page for agency administrators (403 otherwise); the id is resolved or 404",
    # Observatory (issue 10)
    "observatory:file_report": "report page; the id is resolved or 404, then the permission API; ?page= falls back to 1",
    "observatory:antibio_import": "import report; the id is resolved or 404, then the permission API; ?page= falls back to 1",
    "observatory:antibio_template": "CSV template download; an unknown kind is a 404",
    "observatory:pilote_report": "member PDF; the id is resolved, then 404 unless a regional analyst or the member's referent; a bad ?mois= answers 400",
    # Agendas and e-RDV (issue 6)
    "agenda:agenda_detail": "public agenda page; the id is resolved or 404; ?motif/?semaine checked by WeekForm (400, tests/agenda/test_views.py)",
    "agenda:appointment_ics": "download; the uuid is resolved, then 404 unless the permission API allows it",
    "agenda:my_appointments": "page view, no input",
    "agenda:pro_home": "page view, no input",
    "agenda:pro_agenda": "day view; the id is resolved among the user's agendas or 404; ?jour checked by DayForm (400)",
    "agenda:pro_motif": "slots page; the id is resolved among the motifs the user may book or 404",
    "agenda:pro_settings": "settings of one agenda: resolved among the user's editable agendas or 404; every form's malformed input swept in tests/agenda/test_settings_views.py",
    "agenda:feed": "iCalendar feed; the secret token is resolved or 404",
    "agenda_fhir:slot": "FHIR Slot read; the computed id is parsed or 404 OperationOutcome (tests/agenda/test_fhir.py)",
    # Messaging (issue 7)
    "messaging:inbox": "list page, no input",
    "messaging:conversation": "conversation page; the id is resolved or 404, then the permission API (trailed for patients)",
    "messaging:attachment": "file download; the id is resolved or 404, then the permission API of its conversation/request",
    "messaging:request": "request page; the id is resolved or 404, then the permission API (trailed for patients)",
    "messaging:post_message": "form on one conversation: malformed input swept in tests/messaging/test_views.py",
    "messaging:close": "POST without fields on one conversation (CSRF-protected); refusals tested in tests/messaging/",
    "messaging:add_participants": "form on one conversation: malformed input swept in tests/messaging/test_participants.py",
    "messaging:remove_participant": "POST without fields (CSRF-protected); the user id in the path is resolved or 404; refusals tested in tests/messaging/test_removal.py",
    "messaging:request_status": "form on one request: malformed input swept in tests/messaging/test_views.py",
    "messaging:request_comment": "form on one request: malformed input swept in tests/messaging/test_views.py",
    # Telehealth (issue 8)
    "telehealth:home": "page view, no input",
    "telehealth:worklist": "page view, no input",
    "telehealth:enrolment": "detail page; the id is resolved or 404, then the permission API",
    "telehealth:questionnaire": "form page; the ids are resolved or 404, then the permission API",
    "telehealth:my_monitoring": "the patient's own page, no input",
    "telehealth:questionnaire_fhir": "public FHIR Questionnaire definition; unknown codes answer 404",
    "telehealth:expertise_list": "page view, no input",
    "telehealth:expertise": "detail page; the id is resolved or 404, then the permission API",
    "telehealth:expertise_attachment": "file download; the id is resolved or 404, then the permission API",
    "telehealth:urgent_list": "page view, no input",
    "telehealth:urgent": "detail page; the id is resolved or 404, then the permission API",
    "telehealth:meetings": "page view, no input",
    "telehealth:room": "room page; refused (403/410 page) unless invited, then the permission API",
    "telehealth:room_document_file": "file download; the id is resolved or 404, then invitation and permission API",
    "telehealth:room_join": "invitation link; the path token is hashed and compared, unknown or foreign → 403 page",
    "telehealth:meeting": "detail page; 404 unless organiser or participant, cases through the permission API",
    "telehealth:meeting_pdf": "PDF download; 404 unless organiser or participant, cases through the permission API",
    # Coordination record (issue 5)
    "coordination:record": "record page; the id is resolved or 404, then the permission API; ?page= and ?docs= fall back to 1",
    "coordination:document": "document page; the ids are resolved within the record or 404, then the permission API",
    "coordination:download": "file download; the ids are resolved within the record or 404, then the permission API",
    "coordination:export": "DMP package download; the ids are resolved within the record or 404, then the permission API",
    "coordination_portal:download": "the patient's own file; the id is resolved among his documents or 404",
    "coordination_portal:lifeline": "page view, no input",
}

# Whole URL namespaces or path prefixes handled elsewhere.
EXCLUDED_PREFIXES: dict[str, str] = {
    "admin/": "Django admin: its ModelForms validate through the models' own validators",
    "static/": "static files",
    "comptes/social/": "allauth's unnamed legacy aliases of comptes/3rdparty/ (same views, classified there) (S1)",
}
