from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MembershipConfig(AppConfig):
    """Membership register, tariffs, conventions, orders, quotes and contribution calls.

    Plugs the membership/pack condition into ``enrs.core.permissions.service_open``
    (``register_service_check``) so that callers of the permission API need no change.
    """

    name = "enrs.membership"
    label = "membership"
    verbose_name = "Adhésion et catalogue"

    def ready(self) -> None:
        from enrs.core import permissions
        from enrs.membership import rules

        permissions.register_service_check(rules.membership_allows)
        post_migrate.connect(_reload_reference_tariffs, sender=self, dispatch_uid="membership_reference_tariffs")


def _reload_reference_tariffs(sender, using, **kwargs) -> None:
    """Put the reference tariffs back after a flush (``flush`` emits post_migrate too)."""
    from enrs.membership import services
    from enrs.membership.models import Tariff

    if not Tariff.objects.using(using).exists():
        services.load_reference_tariffs()
