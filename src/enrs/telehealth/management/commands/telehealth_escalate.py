"""``enrs telehealth_escalate``: ring the next on-call expert for every urgent request whose
delay ran out. Run it every minute (cron/systemd timer) or through the django-tasks job
``enrs.telehealth.tasks.run_escalations``."""

from django.core.management.base import BaseCommand

from enrs.telehealth import services


class Command(BaseCommand):
    help = "Fait sonner l'expert d'astreinte suivant pour chaque téléavis urgent resté sans réponse."

    def handle(self, *args, **options):
        moved = services.run_due_escalations()
        self.stdout.write(f"{moved} demande(s) escaladée(s)")
