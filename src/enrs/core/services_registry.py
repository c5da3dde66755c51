"""Reads of the service registry: which tiles a user's organisations may see."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import NoReverseMatch, reverse

from enrs.core.models import Service


def services_for(colleges: Iterable[str], audience: str = Service.Audience.PROFESSIONAL) -> list[Service]:
    """Enabled services of ``audience`` open to at least one of ``colleges``."""
    colleges = {c for c in colleges if c}
    rows = Service.objects.filter(enabled=True, audience__in=[audience, Service.Audience.PUBLIC])
    return [s for s in rows if s.institutional or colleges & set(s.eligible_colleges)]


def tile_url(service: Service) -> str:
    """The service's URL, or an empty string when it is not online yet."""
    if not service.url_name:
        return ""
    try:
        return reverse(service.url_name)
    except NoReverseMatch:
        return ""
