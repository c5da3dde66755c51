"""``enrs agenda send-reminders | expire-holds``: the agenda's periodic jobs (idempotent, run from cron or the worker)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from enrs.agenda import services


class Command(BaseCommand):
    help = _("Agendas : rappels de rendez-vous et libération des créneaux retenus non confirmés.")

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        reminders = sub.add_parser("send-reminders", help=_("Envoie les rappels des rendez-vous des prochaines heures (une fois chacun)."))
        reminders.add_argument("--within-hours", type=int, default=48)
        sub.add_parser("expire-holds", help=_("Libère les créneaux retenus dont le délai de confirmation est passé."))

    def handle(self, *args, **options) -> None:
        if options["action"] == "send-reminders":
            count = services.send_reminders(within_hours=options["within_hours"])
            self.stdout.write(_("%(count)d rappel(s) envoyé(s).") % {"count": count})
        else:
            count = services.expire_holds()
            self.stdout.write(_("%(count)d créneau(x) libéré(s).") % {"count": count})
