"""Directory screens: search (full page or htmx fragment) and detail pages.

Thin on purpose: criteria are validated by ``forms``, rows read by ``selectors``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from enrs.directory import selectors
from enrs.directory.forms import TYPE_ALL, TYPE_ORGANISATIONS, TYPE_PROFESSIONALS, DirectorySearchForm
from enrs.directory.models import Organisation

PAGE_SIZE = 20
PREVIEW_SIZE = 5
DETAIL_PAGE_SIZE = 50


def directory_access_required(view):
    """Logged-in professionals and agency staff only; patients get a 403 page."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not selectors.can_search_directory(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class PageNav:
    """A page of rows and the links to its neighbours (other criteria kept)."""

    page: Page
    prev_url: str
    next_url: str


@dataclass(frozen=True)
class ResultList:
    rows: list
    count: int
    nav: PageNav | None = None  # paged list
    more_url: str = ""  # preview list: link to the full list


def _url_with(request, **params) -> str:
    query = request.GET.copy()
    for name, value in params.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = str(value)
    return f"{request.path}?{query.urlencode()}"


def _page_nav(request, page: Page, param: str = "page") -> PageNav:
    return PageNav(
        page=page,
        prev_url=_url_with(request, **{param: page.previous_page_number()}) if page.has_previous() else "",
        next_url=_url_with(request, **{param: page.next_page_number()}) if page.has_next() else "",
    )


def _paged(request, queryset, number: int, to_rows=list) -> ResultList:
    # get_page() clamps a number beyond the last page to the last page.
    page = Paginator(queryset, PAGE_SIZE).get_page(number)
    return ResultList(rows=to_rows(page.object_list), count=page.paginator.count, nav=_page_nav(request, page))


def _preview(request, queryset, result_type: str, to_rows=list) -> ResultList:
    return ResultList(
        rows=to_rows(queryset[:PREVIEW_SIZE]),
        count=queryset.count(),
        more_url=_url_with(request, type=result_type, page=None),
    )


def _search_results(form: DirectorySearchForm, request) -> dict:
    if not form.is_valid() or form.filters().is_empty:
        return {"searched": False}
    filters, result_type = form.filters(), form.result_type()
    professionals = selectors.search_professionals(filters)
    organisations = selectors.search_organisations(filters)
    to_pro_rows = selectors.summarise_situations
    if result_type == TYPE_ALL:
        return {
            "searched": True,
            "professionals": _preview(request, professionals, TYPE_PROFESSIONALS, to_pro_rows),
            "organisations": _preview(request, organisations, TYPE_ORGANISATIONS),
        }
    if result_type == TYPE_PROFESSIONALS:
        return {"searched": True, "professionals": _paged(request, professionals, form.page_number(), to_pro_rows)}
    return {"searched": True, "organisations": _paged(request, organisations, form.page_number())}


def _wants_fragment(request) -> bool:
    # A history restore asks for the whole page even though it comes from htmx.
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


@directory_access_required
def search(request):
    data = request.GET.copy()
    data.setdefault("type", TYPE_ALL)
    form = DirectorySearchForm(data)
    context = {"form": form, "nav_section": "directory", **_search_results(form, request)}
    template = "directory/_results_htmx.html" if _wants_fragment(request) else "directory/search.html"
    response = render(request, template, context, status=400 if form.errors else 200)
    patch_vary_headers(response, ["HX-Request"])
    return response


@directory_access_required
def organisation_detail(request, pk):
    organisation = selectors.organisation_detail(pk)
    is_legal_entity = organisation.finess_kind == Organisation.FinessKind.EJ
    situations = Paginator(selectors.situations_in(organisation), DETAIL_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "organisation": organisation,
        "establishments": selectors.establishments_of(organisation) if is_legal_entity else None,
        "situations": situations,
        "situations_nav": _page_nav(request, situations),
        "nav_section": "directory",
    }
    return render(request, "directory/organisation_detail.html", context)


@directory_access_required
def professional_detail(request, pk):
    professional = selectors.professional_detail(pk)
    return render(request, "directory/professional_detail.html", {"professional": professional, "nav_section": "directory"})
