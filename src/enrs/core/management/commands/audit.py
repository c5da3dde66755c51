"""``enrs audit verify | export | anchor``: the DPO's tools over the access trail.

``verify`` exits 0 and prints the event count when the chain is intact, and
exits 1 naming the first broken link otherwise. ``export`` writes the CSV a
DPO opens in Excel and is itself recorded in the trail (channel ``cli``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.core import audit

_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def parse_day(value: str, option: str) -> date:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise CommandError(
        _("%(option)s : date invalide « %(value)s » (attendu AAAA-MM-JJ ou JJ/MM/AAAA).")
        % {"option": option, "value": value}
    )


def start_of_day(day: date) -> datetime:
    """Midnight in Paris: the DPO thinks in local days."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


class Command(BaseCommand):
    help = _("Vérifie, exporte ou ancre la piste d'accès aux données de santé.")

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help=_("Vérifie le chaînage et les ancres ; code de sortie 1 si la piste est altérée."))
        sub.add_parser("anchor", help=_("Scelle l'état actuel de la chaîne par une ancre signée."))
        export = sub.add_parser("export", help=_("Exporte la piste en CSV (séparateur « ; », UTF-8 avec BOM)."))
        export.add_argument("--patient", type=int, help=_("Identifiant du patient."))
        export.add_argument("--user", type=int, help=_("Identifiant de l'utilisateur."))
        export.add_argument("--from", dest="start", help=_("Premier jour inclus (AAAA-MM-JJ)."))
        export.add_argument("--to", dest="end", help=_("Dernier jour inclus (AAAA-MM-JJ)."))
        export.add_argument("--output", help=_("Fichier de sortie (sinon la sortie standard)."))

    def handle(self, *args, **options) -> None:
        handler = {"verify": self.verify, "anchor": self.anchor, "export": self.export}[options["subcommand"]]
        handler(options)

    def verify(self, options) -> None:
        result = audit.verify_chain()
        if result.ok:
            self.stdout.write(_("Piste d'accès intègre : %(count)s événements vérifiés.") % {"count": result.count})
            return
        where = (
            _("événement n° %(id)s") % {"id": result.event_id}
            if result.event_id is not None
            else _("fin de la chaîne")
        )
        raise CommandError(
            _("Piste d'accès altérée — premier lien rompu : %(where)s : %(problem)s (%(count)s événements intègres avant).")
            % {"where": where, "problem": result.problem, "count": result.count},
            returncode=1,
        )

    def anchor(self, options) -> None:
        anchor = audit.anchor_now()
        if anchor is None:
            self.stdout.write(_("Piste vide : aucune ancre créée."))
            return
        self.stdout.write(
            _("Ancre n° %(id)s : %(count)s événements, dernière empreinte %(hash)s, signature %(signature)s.")
            % {"id": anchor.pk, "count": anchor.event_count, "hash": anchor.last_hash, "signature": anchor.signature}
        )

    def export(self, options) -> None:
        filters = self._export_filters(options)
        events = audit.export_events(**filters)
        if options["output"]:
            try:
                with open(options["output"], "w", encoding="utf-8", newline="") as stream:
                    count = audit.write_export(events, stream)
            except OSError as exc:
                raise CommandError(
                    _("--output : impossible d'écrire « %(path)s » (%(reason)s).")
                    % {"path": options["output"], "reason": exc.strerror}
                ) from exc
            self.stderr.write(_("%(count)s événements exportés dans %(path)s.") % {"count": count, "path": options["output"]})
        else:
            # The raw stream: OutputWrapper would add a newline after each write.
            count = audit.write_export(events, self.stdout._out)
        audit.record(
            actor=None,
            action="export",
            channel="cli",
            patient_id=filters["patient_id"],
            object_type="core.AccessEvent",
            object_id=audit.describe_export(**filters),
            justification=_("Export DPO de la piste d'accès (%(count)s lignes).") % {"count": count},
        )

    def _export_filters(self, options) -> dict:
        start = parse_day(options["start"], "--from") if options["start"] else None
        end = parse_day(options["end"], "--to") if options["end"] else None
        if start and end and end < start:
            raise CommandError(_("--to : le dernier jour précède le premier jour (--from)."))
        if options["patient"] is None and options["user"] is None and start is None and end is None:
            raise CommandError(_("Indiquez --patient, --user ou une période (--from/--to)."))
        return {
            "patient_id": options["patient"],
            "user_id": options["user"],
            "start": start_of_day(start) if start else None,
            "end": start_of_day(end + timedelta(days=1)) if end else None,
        }
