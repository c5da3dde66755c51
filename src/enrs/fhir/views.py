"""FHIR HTTP endpoints: thin, every outcome is FHIR JSON (never an HTML page)."""

from __future__ import annotations

import functools
import logging

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from enrs.fhir.bundle import searchset
from enrs.fhir.capability import capability_statement
from enrs.fhir.errors import FhirError, Issue
from enrs.fhir.params import SearchContext
from enrs.fhir.registry import READ, SEARCH, ResourceType, registry
from enrs.fhir.resources import build_resource, find
from enrs.fhir.responses import base_url, error_response, fhir_response, negotiate, unexpected_error_response, wants_pretty
from enrs.fhir.search import execute, parse_search

logger = logging.getLogger(__name__)

READ_METHODS = ("GET", "HEAD")
INSTANCE_WRITES = {"PUT": "update", "PATCH": "patch", "DELETE": "delete"}
FORM_MEDIA = "application/x-www-form-urlencoded"


def fhir_endpoint(view):
    """Negotiate the format and turn every failure into an OperationOutcome.

    CSRF-exempt: the FHIR API is not a browser form (reads only so far; write
    handlers must authenticate by token, not by session cookie).
    """

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            negotiate(request, request.GET.getlist("_format"))
            response = view(request, *args, **kwargs)
        except FhirError as error:
            response = error_response(error)
        except SuspiciousOperation:
            response = error_response(FhirError.invalid(_("Requête mal formée ou trop volumineuse.")))
        except Exception:
            logger.exception("Unexpected error on FHIR endpoint %s", request.path)
            response = unexpected_error_response()
        response["Vary"] = "Accept"
        return response

    return wrapper


def handling_is_lenient(request: HttpRequest) -> bool:
    """``Prefer: handling=lenient`` asks to ignore unknown parameters."""
    for preference in request.headers.get("Prefer", "").replace(";", ",").split(","):
        key, _sep, value = preference.partition("=")
        if key.strip().lower() == "handling":
            return value.strip().strip('"').lower() == "lenient"
    return False


def _check_only(request: HttpRequest, params, allowed: set[str]) -> None:
    unknown = [key for key in params if key not in allowed]
    if unknown and not handling_is_lenient(request):
        raise FhirError(
            400,
            [
                Issue("not-supported", _("Paramètre non pris en charge ici : « %(name)s ».") % {"name": key}, expression=(key,))
                for key in unknown
            ],
        )


def _resource_type(name: str) -> ResourceType:
    rt = registry.get(name)
    if rt is None:
        raise FhirError.unknown_type(name)
    return rt


def _not_allowed(rt: ResourceType, interaction: str, level: str) -> FhirError:
    if level == "type":
        allowed = [*(READ_METHODS if rt.supports(SEARCH) else ()), *(("POST",) if rt.supports("create") else ())]
    else:
        allowed = [*(READ_METHODS if rt.supports(READ) else ())]
        allowed += [method for method, name in INSTANCE_WRITES.items() if rt.supports(name)]
    message = _("L'interaction « %(interaction)s » n'est pas prise en charge pour %(type)s.") % {
        "interaction": interaction, "type": rt.name}
    return FhirError.method_not_allowed(message, allowed)


def _write(request: HttpRequest, rt: ResourceType, interaction: str, resource_id: str | None, level: str):
    if not rt.supports(interaction):
        raise _not_allowed(rt, interaction, level)
    return rt.handlers[interaction](request, rt, resource_id)


def _search(request: HttpRequest, rt: ResourceType, params: MultiValueDict) -> HttpResponse:
    if not rt.supports(SEARCH):
        raise _not_allowed(rt, SEARCH, "type")
    negotiate(request, params.getlist("_format"))
    pretty = wants_pretty(params.getlist("_pretty"))
    base = base_url(request)
    queryset = rt.queryset(request)
    ctx = SearchContext(model=queryset.model, base_url=base, id_to_pk=registry.pk_for)
    query = parse_search(rt, params, ctx, registry, lenient=handling_is_lenient(request))
    result = execute(query, queryset, request, registry)
    return fhir_response(searchset(result, request, base), pretty=pretty)


def _read(request: HttpRequest, rt: ResourceType, resource_id: str) -> HttpResponse:
    if not rt.supports(READ):
        raise _not_allowed(rt, READ, "instance")
    _check_only(request, request.GET, {"_format", "_pretty"})
    pretty = wants_pretty(request.GET.getlist("_pretty"))
    obj = find(rt, resource_id, request)
    headers = {}
    if rt.last_updated and (moment := getattr(obj, rt.last_updated, None)):
        headers["Last-Modified"] = http_date(moment.timestamp())
    return fhir_response(build_resource(rt, obj, request), pretty=pretty, headers=headers)


@fhir_endpoint
def root(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        raise FhirError.method_not_allowed(_("Les lots et transactions (batch, transaction) ne sont pas pris en charge."), [])
    raise FhirError.not_found(_("Base FHIR : les capacités du serveur sont décrites par GET /fhir/metadata."))


@fhir_endpoint
def metadata(request: HttpRequest) -> HttpResponse:
    if request.method not in READ_METHODS:
        raise FhirError.method_not_allowed(_("La déclaration de capacités se lit uniquement (GET)."), list(READ_METHODS))
    _check_only(request, request.GET, {"_format", "_pretty", "mode"})
    mode = request.GET.get("mode", "full")
    if mode != "full":
        raise FhirError(400, Issue("not-supported", _("Seul mode=full est pris en charge."), expression=("mode",)))
    pretty = wants_pretty(request.GET.getlist("_pretty"))
    return fhir_response(capability_statement(registry, base_url(request)), pretty=pretty)


@fhir_endpoint
def type_level(request: HttpRequest, resource_type: str) -> HttpResponse:
    rt = _resource_type(resource_type)
    if request.method in READ_METHODS:
        return _search(request, rt, request.GET)
    if request.method == "POST":
        return _write(request, rt, "create", None, "type")
    raise _not_allowed(rt, request.method.lower(), "type")


@fhir_endpoint
def search_post(request: HttpRequest, resource_type: str) -> HttpResponse:
    """``[type]/_search``: GET, or POST with form-encoded parameters (merged with the URL's)."""
    rt = _resource_type(resource_type)
    if request.method in READ_METHODS:
        return _search(request, rt, request.GET)
    if request.method != "POST":
        raise FhirError.method_not_allowed(_("_search accepte GET ou POST."), [*READ_METHODS, "POST"])
    if request.content_type != FORM_MEDIA:
        raise FhirError.unsupported_media_type(
            _("Une recherche par POST doit être encodée en application/x-www-form-urlencoded.")
        )
    params = request.GET.copy()
    for key, values in request.POST.lists():
        params.setlist(key, params.getlist(key) + values)
    return _search(request, rt, params)


@fhir_endpoint
def instance(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    rt = _resource_type(resource_type)
    if request.method in READ_METHODS:
        return _read(request, rt, resource_id)
    if request.method in INSTANCE_WRITES:
        return _write(request, rt, INSTANCE_WRITES[request.method], resource_id, "instance")
    raise _not_allowed(rt, request.method.lower(), "instance")


@fhir_endpoint
def operation(request: HttpRequest, resource_type: str, operation: str) -> HttpResponse:
    """``[type]/$operation``, as declared by the type's ``operations``."""
    rt = _resource_type(resource_type)
    declared = rt.operation(operation)
    if declared is None:
        raise FhirError.not_found(_("Opération inconnue pour %(type)s : $%(name)s.") % {"type": rt.name, "name": operation})
    return declared.handler(request, rt)


@fhir_endpoint
def history(request: HttpRequest, resource_type: str | None = None, resource_id: str | None = None) -> HttpResponse:
    if resource_type:
        _resource_type(resource_type)
    raise FhirError.method_not_allowed(_("L'historique des versions (history, vread) n'est pas pris en charge."), [])


@fhir_endpoint
def unknown_path(request: HttpRequest, path: str) -> HttpResponse:
    raise FhirError.not_found(_("Chemin FHIR inconnu : /fhir/%(path)s.") % {"path": path})
