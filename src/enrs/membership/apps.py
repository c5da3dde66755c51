from django.apps import AppConfig


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
