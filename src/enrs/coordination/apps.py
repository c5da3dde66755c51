from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def reload_builtin_templates(sender, using, **kwargs) -> None:
    """Put the shipped pathway templates back after a flush (transactional tests end with one); idempotent."""
    from enrs.coordination.models import PathwayTemplate
    from enrs.coordination.pathways import builtin_templates

    if PathwayTemplate.objects.using(using).exists():
        return
    for parsed, text in builtin_templates():
        PathwayTemplate.objects.using(using).get_or_create(code=parsed.code, defaults={"name": parsed.name, "definition": text})


class CoordinationConfig(AppConfig):
    name = "enrs.coordination"
    label = "coordination"
    verbose_name = _("Coordination des parcours")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from enrs.coordination import adt, lifeline, rules

        rules.register()
        post_migrate.connect(reload_builtin_templates, sender=self, dispatch_uid="coordination_reload_templates")
        adt.register()
        lifeline.register()
