"""Pilot-e screens (thin): activity by habilitation, the members' monthly reports (PDF)."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from enrs.membership import selectors as membership
from enrs.membership.models import Member
from enrs.observatory import pilote, rules
from enrs.observatory.forms import StrictQueryForm


def previous_month(today: dt.date | None = None) -> dt.date:
    return ((today or timezone.localdate()).replace(day=1) - dt.timedelta(days=1)).replace(day=1)


class MonthForm(StrictQueryForm):
    mois = forms.CharField(label=_lazy("Mois (AAAA-MM)"), required=False, max_length=7,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{4}-[0-9]{2}"}))

    def clean_mois(self) -> dt.date | None:
        value = self.cleaned_data["mois"]
        if not value:
            return None
        match = re.fullmatch(r"(\d{4})-(\d{2})", value)
        if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
            raise forms.ValidationError(_("Mois attendu au format AAAA-MM (par exemple 2026-10)."))
        return dt.date(int(match.group(1)), int(match.group(2)), 1)


def visible_members(user):
    """Live members whose reports ``user`` may read: every one for regional analysts, else his own."""
    live = Member.objects.filter(status__in=Member.ACTIVE_STATUSES).select_related("organisation")
    if rules.is_regional_analyst(user):
        return live.order_by("college", "name")
    return live.filter(pk__in=membership.members_of_user(user).values("pk")).order_by("college", "name")


def render_member_report_pdf(member: Member, month: dt.date) -> bytes:
    from weasyprint import HTML  # late: loads pango only when a PDF is asked for

    report = pilote.member_report(member, month)
    html = render_to_string("observatory/pilote_report_pdf.html", {"report": report, "generated": timezone.localtime()})
    return HTML(string=html).write_pdf()


@login_required
def members(request):
    allowed = visible_members(request.user)
    if not rules.is_regional_analyst(request.user) and not allowed.exists():
        raise PermissionDenied(_("Les rapports Pilot-e sont réservés aux analystes de l'agence et aux référents des adhérents."))
    form = MonthForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    month = (form.cleaned_data.get("mois") if form.is_bound and valid else None) or previous_month()
    return render(request, "observatory/pilote_members.html", {
        "form": form, "members": allowed, "month": month, "nav_section": "observatory",
    }, status=200 if valid else 400)


@login_required
def member_report(request, pk: int):
    member = get_object_or_404(Member.objects.select_related("organisation"), pk=pk)
    if not (rules.is_regional_analyst(request.user) or membership.can_act_for(request.user, member)):
        raise Http404(_("Adhérent introuvable."))
    form = MonthForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "observatory/pilote_members.html", {
            "form": form, "members": visible_members(request.user), "month": previous_month(), "nav_section": "observatory",
        }, status=400)
    month = (form.cleaned_data.get("mois") if form.is_bound else None) or previous_month()
    response = HttpResponse(render_member_report_pdf(member, month), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="pilote_{member.pk}_{month:%Y-%m}.pdf"'
    return response
