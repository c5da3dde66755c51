"""``enrs hl7 listen --port N [--host H] [--processes P]``: the MLLP listener of the ADT feeds.

Runs until Ctrl-C or SIGTERM, then stops accepting, lets the messages being
handled finish and exits. With ``--processes P`` (P > 1) the port is served by
P worker processes, connections handed out in turn (``enrs.core.mllp_pool``):
one process uses one core, a busy regional feed wants them all. Logs go through the project's logging (JSON with
``ENRS_LOG_FORMAT=json``).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from enrs.core.mllp import MllpServer, MllpSettings
from enrs.core.mllp_pool import serve_in_processes
from enrs.identity.hl7 import handle_frame

log = logging.getLogger("enrs.identity.hl7")


def _positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = _("Flux HL7 v2.5 ADT des identités (A28, A31, A40, A47) reçu en MLLP.")

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        listen = sub.add_parser("listen", help=_("Écoute les messages HL7 (MLLP) sur un port TCP."))
        listen.add_argument("--port", type=int, required=True, help=_("Port TCP (0 : un port libre)."))
        listen.add_argument("--host", default=getattr(settings, "ENRS_HL7_HOST", "127.0.0.1"), help=_("Adresse d'écoute (par défaut 127.0.0.1)."))
        listen.add_argument("--max-bytes", type=int, default=getattr(settings, "ENRS_HL7_MAX_MESSAGE_BYTES", 1_048_576), help=_("Taille maximale d'un message."))
        listen.add_argument("--max-connections", type=int, default=16, help=_("Connexions simultanées au plus."))
        listen.add_argument("--processes", type=int, default=getattr(settings, "ENRS_HL7_PROCESSES", 1),
                            help=_("Processus de traitement (1 par cœur disponible au plus)."))
        listen.add_argument("--idle-timeout", type=_positive, default=300.0, help=_("Secondes sans message avant de fermer une connexion."))

    def handle(self, *args, **options) -> None:
        if not 0 <= options["port"] <= 65535:
            raise CommandError(_("--port : un entier entre 0 et 65535 est attendu."))
        if options["max_bytes"] < 1024 or options["max_connections"] < 1:
            raise CommandError(_("--max-bytes doit valoir au moins 1024 et --max-connections au moins 1."))
        if not 1 <= options["processes"] <= 64:
            raise CommandError(_("--processes : un entier entre 1 et 64 est attendu."))
        config = MllpSettings(
            host=options["host"],
            port=options["port"],
            max_message_bytes=options["max_bytes"],
            max_connections=options["max_connections"],
            idle_timeout=options["idle_timeout"],
        )
        try:
            if options["processes"] > 1:
                serve_in_processes(handle_frame, config, options["processes"], self._announce(config))
                self.stdout.write(_("Écoute HL7 arrêtée."))
            else:
                asyncio.run(self._listen(config))
        except OSError as exc:
            raise CommandError(_("Écoute impossible sur %(host)s:%(port)s : %(error)s") % {"host": config.host, "port": config.port, "error": exc}) from exc

    def _announce(self, config: MllpSettings):
        def announce(port: int) -> None:
            # One line tests and operators can wait for: the port actually bound.
            self.stdout.write(_("Écoute HL7 (MLLP) sur %(host)s:%(port)d") % {"host": config.host, "port": port})
            self.stdout.flush()

        return announce

    async def _listen(self, config: MllpSettings) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        server = MllpServer(handle_frame, config)
        await server.start()
        self._announce(config)(server.port)
        try:
            await stop.wait()
        finally:
            log.info("HL7 listener stopping")
            await server.stop()
        self.stdout.write(_("Écoute HL7 arrêtée."))
