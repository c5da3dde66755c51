"""``enrs messaging_purge [--dry-run]``: delete chat messages older than the retention policy."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from enrs.messaging import services


class Command(BaseCommand):
    help = "Supprime les messages du tchat dont la durée de conservation est dépassée."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="compter sans supprimer")

    def handle(self, *args, dry_run=False, **options):
        result = services.purge_expired(dry_run=dry_run)
        self.stdout.write(json.dumps({
            "dry_run": dry_run, "messages": result.messages, "attachments": result.attachments, "cutoffs": result.cutoffs,
        }, ensure_ascii=False))  # fmt: skip
