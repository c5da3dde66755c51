"""``enrs pilote rapports --mois AAAA-MM [--out DIR]``: the monthly activity report (PDF) of every member."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from enrs.membership.models import Member
from enrs.observatory.pilote_views import previous_month, render_member_report_pdf


def _month(value: str) -> dt.date:
    match = re.fullmatch(r"(\d{4})-(\d{2})", value or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise CommandError(_("Mois « %(value)s » invalide : format AAAA-MM attendu.") % {"value": value})
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


class Command(BaseCommand):
    help = _("Pilot-e : rapports d'activité mensuels (PDF) de chaque adhérent.")

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        reports = sub.add_parser("rapports", help=_("Écrit le rapport PDF du mois de chaque adhérent."))
        reports.add_argument("--mois", help=_("AAAA-MM (par défaut le mois précédent)"))
        reports.add_argument("--out", help=_("répertoire de sortie (par défaut le stockage des documents, pilote/AAAA-MM/)"))

    def handle(self, *args, **options) -> None:
        month = _month(options["mois"]) if options["mois"] else previous_month()
        members = Member.objects.filter(status__in=Member.ACTIVE_STATUSES).select_related("organisation").order_by("pk")
        out = Path(options["out"]) if options["out"] else None
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
        written = 0
        for member in members:
            name = f"adherent-{member.pk}.pdf"
            data = render_member_report_pdf(member, month)
            if out is not None:
                (out / name).write_bytes(data)
            else:
                storage = storages["documents"]
                path = f"pilote/{month:%Y-%m}/{name}"
                if storage.exists(path):
                    storage.delete(path)  # a report is regenerated whole
                storage.save(path, ContentFile(data))
            written += 1
        where = str(out) if out is not None else f"documents:pilote/{month:%Y-%m}/"
        self.stdout.write(_("%(n)s rapport(s) écrit(s) pour %(month)s dans %(where)s.") % {
            "n": written, "month": f"{month:%m/%Y}", "where": where})
