"""``enrs coordination overdue|templates``: overdue-task alerts and the shipped pathway templates.

``overdue`` runs the alerts now (cron), or enqueues them for the task worker
with ``--enqueue``; idempotent: a task is alerted once. ``templates`` loads
the shipped pathway templates that are missing (edited ones are kept).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from enrs.coordination import services


class Command(BaseCommand):
    help = _("Dossier de coordination : alertes des tâches en retard, modèles de parcours fournis.")

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        overdue = sub.add_parser("overdue", help=_("Prévient les équipes des tâches en retard (une fois par tâche)."))
        overdue.add_argument("--enqueue", action="store_true", help=_("Confie le travail au worker de tâches."))
        sub.add_parser("templates", help=_("Charge les modèles de parcours fournis qui manquent."))

    def handle(self, *args, **options) -> None:
        if options["subcommand"] == "templates":
            created = services.load_builtin_templates()
            self.stdout.write(_("%(n)d modèle(s) de parcours ajouté(s).") % {"n": created})
            return
        if options["enqueue"]:
            from enrs.coordination.tasks import alert_overdue_tasks

            result = alert_overdue_tasks.enqueue()
            self.stdout.write(_("Alertes confiées au worker (tâche %(id)s).") % {"id": result.id})
            return
        sent = services.notify_overdue_tasks()
        self.stdout.write(_("%(n)d alerte(s) de retard envoyée(s).") % {"n": sent})
