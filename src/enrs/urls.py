"""Root URL configuration.

Every form and JSON/FHIR route is also listed in ``enrs.input_routes`` so that
the malformed-input sweep covers new routes (see tests/test_bad_input.py).
"""

from django.contrib import admin
from django.urls import include, path

from enrs.api import api
from enrs.core import views as core_views

admin.site.site_header = "ENRS — back-office de l'agence"
admin.site.site_title = "ENRS back-office"
admin.site.index_title = "Administration"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("comptes/", include("allauth.urls")),
    path("annuaire/", include("enrs.directory.urls")),
    path("fhir/", include("enrs.agenda.fhir_urls")),  # issue 6: computed Slots, Appointment conditional update
    path("fhir/", include("enrs.fhir.urls")),
    path("api/", api.urls),
    path("habilitations/", include("enrs.access.urls")),  # S3: habilitations
    path("identitovigilance/", include("enrs.identity.urls")),  # issue 4: identity server and vigilance
    path("oauth/", include("enrs.connectors.urls")),  # OAuth2 token/revoke for connectors
    path("adhesion/", include("enrs.membership.urls")),  # membership, catalogue, quotes
    path("observatoire/", include("enrs.observatory.urls")),  # issue 10: ORU, dashboards
    path("rdv/", include("enrs.agenda.urls")),  # issue 6: shared agendas, e-RDV
    path("", include("enrs.messaging.urls")),  # issue 7: /messagerie/, /demandes/, /mssante/
    path("telesante/", include("enrs.telehealth.urls")),  # issue 8: telehealth (without video yet)
    path("coordination/", include("enrs.coordination.urls")),  # issue 5: coordination record
    path("espace-patient/", include("enrs.coordination.portal_urls")),  # issue 5: documents, life line
    path("", include("enrs.offer.urls")),  # TODS /tods/ (public) and the care offer /offre/
    path("", include("enrs.portal.urls")),
]

handler400 = "enrs.core.views.bad_request"
handler403 = "enrs.core.views.permission_denied"
handler404 = "enrs.core.views.page_not_found"
handler500 = "enrs.core.views.server_error"
