"""``enrs bench NAME [options]``: run one registered benchmark, print one JSON object."""

from __future__ import annotations

import argparse
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from enrs.bench.registry import UsageError, load_benchmarks, run


class Command(BaseCommand):
    help = _("Lance un banc d'essai (benchmark) et affiche son résultat en un objet JSON.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--list", action="store_true", help=_("Liste les bancs d'essai disponibles."))
        parser.add_argument("name", nargs="?", help=_("Nom du banc d'essai."))
        parser.add_argument("options", nargs=argparse.REMAINDER, help=_("Options du banc d'essai."))

    def handle(self, *args, **options) -> None:
        benchmarks = load_benchmarks()
        if options["list"]:
            for name, item in benchmarks.items():
                self.stdout.write(f"{name}\t{item.help}")
            return
        name = options["name"]
        if not name:
            raise CommandError(_("Indiquez le nom d'un banc d'essai (voir « enrs bench --list »)."))
        if name not in benchmarks:
            raise CommandError(
                _("Banc d'essai inconnu : « %(name)s ». Disponibles : %(known)s.")
                % {"name": name, "known": ", ".join(benchmarks) or "—"}
            )
        try:
            result = run(benchmarks[name], options["options"])
        except UsageError as exc:
            raise CommandError(
                _("Options invalides pour le banc d'essai « %(name)s » : %(reason)s") % {"name": name, "reason": exc}
            ) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=False))
