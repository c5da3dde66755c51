"""``enrs demo``: build the synthetic Normandy region and its demo accounts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from enrs.demo.personas import PERSONAS, demo_password
from enrs.demo.services import SECTION_LABELS, SECTIONS, DemoSummary, build_demo_region


def accounts_table() -> str:
    """The demo accounts as a plain-text table (French)."""
    password = demo_password()
    header = (_("Rôle"), _("E-mail"), _("Mot de passe"), _("À essayer"))
    rows = [(str(persona.label), persona.email, password, str(persona.try_this)) for persona in PERSONAS]
    widths = [max(len(row[index]) for row in [header, *rows]) for index in range(3)]

    def line(cells) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells[:3], widths)) + "  " + cells[3]

    separator = "  ".join("-" * width for width in widths) + "  " + "-" * len(header[3])
    return "\n".join([line(header), separator, *(line(row) for row in rows)])


def summary_table(summary: DemoSummary) -> str:
    lines = [_("Région de démonstration (graine %(seed)s) construite en %(seconds).1f s :")
             % {"seed": summary.seed, "seconds": summary.seconds}]
    for section in SECTIONS:
        tally = summary.tallies[section]
        lines.append(
            _("  %(label)s : %(total)d (créés %(created)d, mis à jour %(updated)d, inchangés %(unchanged)d)")
            % {"label": SECTION_LABELS[section], "total": tally.total, "created": tally.created,
               "updated": tally.updated, "unchanged": tally.unchanged}
        )
    return "\n".join(lines)


class Command(BaseCommand):
    help = _("Construit la région de démonstration (Normandie) : structures, professionnels, patients et comptes.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=2026, help=_("Graine du générateur (défaut : 2026)."))
        parser.add_argument("--professionals", type=int, default=300, help=_("Nombre de professionnels (défaut : 300)."))
        parser.add_argument("--patients", type=int, default=3000, help=_("Nombre de patients (défaut : 3000)."))
        parser.add_argument(
            "--accounts", action="store_true", help=_("Affiche seulement le tableau des comptes de démonstration.")
        )

    def _progress(self, verbosity: int):
        def wrap(items, total, label):
            return tqdm(items, total=total, desc=label, unit=_("lignes"), file=self.stderr._out,
                        disable=verbosity < 1, leave=False, dynamic_ncols=True)

        return wrap

    def handle(self, *args, **options) -> None:
        if options["accounts"]:
            self.stdout.write(accounts_table())
            return
        for name in ("professionals", "patients"):
            if options[name] < 0:
                raise CommandError(_("--%(option)s doit être un nombre positif ou nul.") % {"option": name})
        try:
            summary = build_demo_region(
                seed=options["seed"], professionals=options["professionals"], patients=options["patients"],
                progress=self._progress(options["verbosity"]),
            )
        except ValidationError as exc:
            raise CommandError(
                _("La région de démonstration n'a pas été construite (rien n'a été enregistré) : %(reason)s")
                % {"reason": " ".join(exc.messages)}
            ) from exc
        self.stdout.write(summary_table(summary))
        self.stdout.write("")
        self.stdout.write(accounts_table())
