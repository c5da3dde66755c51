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


def tile_links(tiles: dict[str, str]):
    """``(link_tiles, unlink_tiles)`` for a service app's data migration going online.

    ``tiles`` maps service codes to URL names. A migration binds the pair at
    module level as ``link_tiles, unlink_tiles = tile_links(TILES)``: the name
    ``link_tiles`` is the convention the core app's post-flush re-seed looks
    for (``enrs.core.apps``). Linking only fills empty URLs, so an agency's
    own setting is kept; unlinking only clears the URLs it set.
    """

    def link_tiles(apps, schema_editor):
        service = apps.get_model("core", "Service")
        for code, url_name in tiles.items():
            service.objects.filter(code=code, url_name="").update(url_name=url_name)

    def unlink_tiles(apps, schema_editor):
        service = apps.get_model("core", "Service")
        for code, url_name in tiles.items():
            service.objects.filter(code=code, url_name=url_name).update(url_name="")

    return link_tiles, unlink_tiles
