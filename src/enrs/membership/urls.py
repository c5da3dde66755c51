from django.urls import path

from enrs.membership import views

app_name = "membership"

urlpatterns = [
    path("", views.home, name="home"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("tarifs/", views.tariffs, name="tariffs"),
    path("demande/", views.apply, name="apply"),
    path("adherents/<int:pk>/", views.member_detail, name="member"),
    path("devis/demande/", views.quote_request, name="quote_request"),
    path("conventions/signer/", views.convention_sign, name="convention_sign"),
    path("comptes/demande/", views.account_request, name="account_request"),
    path("comptes/decision/", views.account_decide, name="account_decide"),
    path("devis/commander/", views.order_quote, name="order_quote"),
    path("documents/<int:pk>/", views.document_detail, name="document"),
    path("documents/<int:pk>/pdf/", views.document_pdf, name="document_pdf"),
    path("documents/avoir/", views.credit_note, name="credit_note"),
    path("appels/", views.contribution_call, name="contribution_call"),
    path("registre/", views.register, name="register"),
    path("assemblees/", views.assemblies, name="assemblies"),
    path("assemblees/<int:pk>/", views.assembly_detail, name="assembly"),
    path("assemblees/decision/", views.vote, name="vote"),
    path("assemblees/decisions/", views.record_decisions, name="record_decisions"),
    path("rapport/", views.report, name="report"),
]
