"""Screens of the agenda: the public e-RDV search and booking, "Mes rendez-vous",
the professional's reserved slots and day view, the iCalendar feed. Thin:
forms validate, selectors read, services write; appointments go through the
permission API (trail)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrs.agenda import ical, selectors, services
from enrs.agenda import slots as arithmetic
from enrs.agenda.forms import CancelForm, ConfirmForm, DayForm, ProBookForm, SearchForm, SlotForm, WeekForm
from enrs.agenda.models import Agenda, Appointment, Motif
from enrs.core import permissions

CHANNEL = "web"
WEEK = dt.timedelta(days=7)


def _error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [message for messages_ in exc.message_dict.values() for message in messages_]
    return list(exc.messages)


# --- Public search ------------------------------------------------------------------------------
def search(request):
    form = SearchForm(request.GET or None)
    context = {"form": form, "searched": False, "nav_section": "agenda"}
    if form.is_bound and form.is_valid() and form.has_criteria:
        context.update(searched=True, rows=selectors.search(form.criteria()))
    return render(request, "agenda/search.html", context, status=400 if form.errors else 200)


def _week_days(first: dt.date, slots) -> list[tuple[dt.date, list]]:
    days = [(first + dt.timedelta(days=offset), []) for offset in range(7)]
    by_day = {day: bucket for day, bucket in days}
    for slot in slots:
        local = timezone.localtime(slot.start).date()
        if local in by_day:
            by_day[local].append(slot)
    return days


def agenda_detail(request, pk: int):
    """A published agenda's patient motifs and the free slots of the chosen one, week by week."""
    agenda = get_object_or_404(Agenda.objects.select_related("organisation", "professional"), pk=pk, published=True, active=True)
    motifs = list(selectors.patient_motifs(agenda))
    form = WeekForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "agenda/agenda_detail.html", {"agenda": agenda, "motifs": motifs, "form": form}, status=400)
    data = form.cleaned_data if form.is_bound else {"motif": None, "semaine": timezone.localdate()}
    motif = next((m for m in motifs if m.pk == data.get("motif")), motifs[0] if motifs else None)
    first = data.get("semaine") or timezone.localdate()
    week = []
    if motif is not None:
        start = arithmetic.local_instant(first, dt.time())
        week = _week_days(first, selectors.slots(motif, start, start + WEEK))
    context = {"agenda": agenda, "motifs": motifs, "motif": motif, "week": week, "form": form,
               "previous_week": (first - WEEK).isoformat(), "next_week": (first + WEEK).isoformat(), "nav_section": "agenda"}
    return render(request, "agenda/agenda_detail.html", context)


@login_required
@require_POST
def hold(request):
    """Hold the chosen slot (motif and start in the form) for a few minutes, then ask the patient to confirm."""
    form = SlotForm(request.POST)
    if form.is_valid():
        motif = selectors.patient_motif(form.cleaned_data["motif"])
        if motif is None:
            form.add_error("motif", _("Motif inconnu ou fermé à la réservation en ligne."))
        else:
            try:
                appointment = services.book(motif, form.cleaned_data["start"], user=request.user, hold=True,
                                            patient=_patient_of(request.user))
                return redirect(f"{reverse('agenda:confirm')}?rdv={appointment.identifier}")
            except ValidationError as exc:
                for message in _error_messages(exc):
                    form.add_error(None, message)
    motif = selectors.patient_motif(form.cleaned_data.get("motif")) if form.cleaned_data.get("motif") else None
    context = {"form": form, "agenda": motif.agenda if motif else None, "nav_section": "agenda"}
    return render(request, "agenda/hold_refused.html", context, status=400)


def _patient_of(user):
    from enrs.access.selectors import patient_of_user

    return patient_of_user(user) if getattr(user, "kind", "") == "patient" else None


def _appointment_from(request, raw, action: str):
    """The appointment named in the request (``rdv``), if the user may act on it; trailed."""
    try:
        identifier = uuid.UUID(str(raw or ""))
    except ValueError:
        return None
    appointment = selectors.appointment_by_identifier(identifier)
    if appointment is None or not permissions.can(request.user, action, appointment):
        return None
    permissions.require(request.user, action, appointment, channel=CHANNEL, request=request)
    return appointment


@login_required
def confirm(request):
    form = ConfirmForm(request.POST or None)
    raw = request.POST.get("rdv") if request.method == "POST" else request.GET.get("rdv")
    appointment = _appointment_from(request, raw, "update" if request.method == "POST" else "read")
    if appointment is None:
        problem = _("Rendez-vous introuvable : le lien est incomplet ou ne vous concerne pas.")
        return render(request, "agenda/confirm.html", {"appointment": None, "form": form, "problem": problem},
                      status=404 if request.method == "GET" else 400)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if form.cleaned_data["contact_phone"]:
                    Appointment.objects.filter(pk=appointment.pk).update(contact_phone=form.cleaned_data["contact_phone"])
                    appointment.contact_phone = form.cleaned_data["contact_phone"]
                services.confirm(appointment, user=request.user)
                messages.success(request, _("Votre rendez-vous est confirmé. Un e-mail de confirmation vous a été envoyé."))
                return redirect("agenda:my_appointments")
            except ValidationError as exc:
                for message in _error_messages(exc):
                    form.add_error(None, message)
        status = 400
    return render(request, "agenda/confirm.html", {"appointment": appointment, "form": form, "nav_section": "agenda"}, status=status)


@login_required
def my_appointments(request):
    """The patient's appointments (upcoming first), each with its cancel form while allowed."""
    appointments = permissions.filter_allowed(request.user, "read", selectors.appointments_of_patient_user(request.user))
    now = timezone.now()
    rows = []
    for appointment in appointments:
        permissions.require(request.user, "read", appointment, channel=CHANNEL, request=request)
        rows.append({"appointment": appointment, "can_cancel": services.may_cancel(appointment, request.user, now)})
    upcoming = sorted((r for r in rows if r["appointment"].start >= now and r["appointment"].is_active), key=lambda r: r["appointment"].start)
    past = [r for r in rows if r not in upcoming]
    return render(request, "agenda/my_appointments.html", {"upcoming": upcoming, "past": past, "cancel_form": CancelForm(),
                                                           "nav_section": "agenda"})


@login_required
@require_POST
def cancel(request):
    form = CancelForm(request.POST)
    appointment = _appointment_from(request, request.POST.get("rdv"), "update")
    if appointment is None:
        form.is_valid()
        form.add_error(None, _("Rendez-vous introuvable : le lien est incomplet ou ne vous concerne pas."))
    elif form.is_valid():
        try:
            services.cancel(appointment, user=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("Le rendez-vous est annulé."))
            return redirect("agenda:my_appointments" if appointment.patient_id and appointment.patient.user_id == request.user.pk
                            else "agenda:pro_home")
        except ValidationError as exc:
            for message in _error_messages(exc):
                form.add_error(None, message)
    return render(request, "agenda/cancel.html", {"appointment": appointment, "form": form, "nav_section": "agenda"}, status=400)


@login_required
def appointment_ics(request, identifier):
    appointment = _appointment_from(request, identifier, "read")
    if appointment is None:
        raise Http404
    response = HttpResponse(ical.appointment_ics(appointment), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="rendez-vous.ics"'
    return response


# --- Professionals --------------------------------------------------------------------------------
def _professional(request):
    if not selectors.is_professional(request.user):
        raise PermissionDenied(_("Espace réservé aux professionnels."))


@login_required
def pro_home(request):
    _professional(request)
    context = {"reserved": selectors.reserved_motifs_for(request.user), "managed": selectors.agendas_managed_by(request.user),
               "editable": set(selectors.agendas_editable_by(request.user).values_list("pk", flat=True)),
               "booked": permissions.filter_allowed(request.user, "read", Appointment.objects.filter(
                   booked_by=request.user, start__gte=timezone.now()).select_related("agenda", "motif")),
               "nav_section": "agenda"}
    return render(request, "agenda/pro_home.html", context)


@login_required
def pro_agenda(request, pk: int):
    """An agenda's day: who is booked, by whom and from which organisation (the hospital unit's view)."""
    _professional(request)
    agenda = get_object_or_404(selectors.agendas_managed_by(request.user), pk=pk)
    form = DayForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "agenda/pro_agenda.html", {"agenda": agenda, "form": form, "rows": []}, status=400)
    day = (form.cleaned_data.get("jour") if form.is_bound else None) or timezone.localdate()
    rows = []
    for appointment in selectors.day_appointments(agenda, day):
        permissions.require(request.user, "read", appointment, channel=CHANNEL, request=request)
        rows.append(appointment)
    context = {"agenda": agenda, "form": form, "rows": rows, "day": day, "feed_url": request.build_absolute_uri(
        f"/rdv/flux/{agenda.feed_token}.ics"), "previous_day": (day - dt.timedelta(days=1)).isoformat(),
        "next_day": (day + dt.timedelta(days=1)).isoformat(), "nav_section": "agenda"}
    return render(request, "agenda/pro_agenda.html", context)


def _render_pro_motif(request, motif, form, status=200):
    start = timezone.now()
    free = selectors.slots(motif, start, start + 2 * WEEK)
    return render(request, "agenda/pro_motif.html", {"motif": motif, "slots": free, "form": form, "nav_section": "agenda"}, status=status)


def _bookable_motif(user, pk) -> Motif | None:
    motif = Motif.objects.select_related("agenda", "agenda__organisation", "circuit").filter(pk=pk).first() if pk else None
    return motif if motif is not None and selectors.may_book(user, motif) else None


@login_required
def pro_motif(request, pk: int):
    """A motif bookable by this professional (e.g. a reserved hospital slot): the next two weeks, and the booking form."""
    _professional(request)
    motif = _bookable_motif(request.user, pk)
    if motif is None:
        raise Http404
    return _render_pro_motif(request, motif, ProBookForm(initial={"motif": motif.pk}))


@login_required
@require_POST
def pro_book(request):
    """A professional books a slot for his patient (the motif and the slot in the form)."""
    _professional(request)
    form = ProBookForm(request.POST)
    motif = _bookable_motif(request.user, form.data.get("motif") if str(form.data.get("motif", "")).isdigit() else None)
    if form.is_valid():
        if motif is None:
            form.add_error("motif", _("Motif inconnu ou que vous ne pouvez pas réserver."))
        else:
            try:
                services.book(motif, form.cleaned_data["start"], user=request.user, patient_label=form.cleaned_data["patient_label"],
                              comment=form.cleaned_data["comment"])
                messages.success(request, _("Rendez-vous réservé pour %(patient)s.") % {"patient": form.cleaned_data["patient_label"]})
                return redirect("agenda:pro_home")
            except ValidationError as exc:
                for message in _error_messages(exc):
                    form.add_error(None, message)
    if motif is None:
        return render(request, "agenda/hold_refused.html", {"form": form, "agenda": None}, status=400)
    return _render_pro_motif(request, motif, form, status=400)


def feed(request, token: str):
    """The agenda's iCalendar feed, for calendar software (secret token, no patient names)."""
    agenda = Agenda.objects.filter(feed_token=token, active=True).first()
    if agenda is None:
        raise Http404
    return HttpResponse(ical.agenda_feed(agenda), content_type="text/calendar; charset=utf-8")
