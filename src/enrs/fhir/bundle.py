"""Searchset Bundles: entries with fullUrl and search mode, paging links."""

from __future__ import annotations

import math
import uuid
from urllib.parse import quote, urlencode

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle

from enrs.fhir.errors import Issue, operation_outcome
from enrs.fhir.resources import build_resource
from enrs.fhir.search import SearchResult


def _url(base: str, type_name: str, pairs: list[tuple[str, str]]) -> str:
    return f"{base}/{type_name}?" + urlencode(pairs, quote_via=quote, safe="|,:/")


def paging_links(result: SearchResult, base: str) -> list[dict]:
    query = result.query
    link = lambda relation, page: {"relation": relation, "url": _url(base, query.resource_type.name, query.link_params(page))}  # noqa: E731
    links = [link("self", query.page)]
    if query.count == 0:
        return links
    links.append(link("first", 1))
    if query.page > 1:
        previous = query.page - 1
        if result.total is not None:
            previous = min(previous, max(1, math.ceil(result.total / query.count)))
        links.append(link("previous", previous))
    if result.has_next:
        links.append(link("next", query.page + 1))
    if result.total is not None:
        links.append(link("last", max(1, math.ceil(result.total / query.count))))
    return links


def _entry(base: str, rt, obj, request, mode: str) -> dict:
    resource = build_resource(rt, obj, request)
    return {"fullUrl": f"{base}/{rt.name}/{resource.id}", "resource": resource, "search": {"mode": mode}}


def _ignored_outcome(ignored: list[str]) -> dict:
    issue = Issue(
        "not-supported",
        _("Paramètres ignorés (Prefer: handling=lenient) : %(names)s.") % {"names": ", ".join(ignored)},
        severity="warning",
        expression=tuple(ignored),
    )
    return {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": operation_outcome([issue]), "search": {"mode": "outcome"}}


def searchset(result: SearchResult, request: HttpRequest, base: str) -> Bundle:
    rt = result.query.resource_type
    entries = [_entry(base, rt, obj, request, "match") for obj in result.matches]
    entries += [_entry(base, target, obj, request, "include") for target, obj in result.included]
    if result.query.ignored:
        entries.append(_ignored_outcome(result.query.ignored))
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": timezone.now()},
        "type": "searchset",
        "link": paging_links(result, base),
        "entry": entries or None,
    }
    if result.total is not None:
        bundle["total"] = result.total
    return Bundle.model_validate(bundle)
