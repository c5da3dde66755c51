"""Pathway templates: the shipped YAML is valid, bad YAML is refused in French, instantiation gives due dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrs.coordination import pathways, services
from enrs.coordination.models import PathwayTemplate, Task


def test_builtin_templates_are_valid_and_cover_the_issue():
    found = {template.code: template for template, _text in pathways.builtin_templates()}
    assert {"perinatal", "vigilans", "dac-situation-complexe"} <= set(found)
    vigilans = found["vigilans"]
    assert [(s.delay_days, s.delay_months) for s in vigilans.steps] == [(10, 0), (30, 0), (0, 6)]
    perinatal_titles = " ".join(s.title for s in found["perinatal"].steps)
    assert "Naissance" in perinatal_titles and "auditif" in perinatal_titles


@pytest.mark.django_db
def test_builtin_templates_are_loaded_by_the_migration():
    assert set(PathwayTemplate.objects.values_list("code", flat=True)) >= {"perinatal", "vigilans", "dac-situation-complexe"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("code: [", "YAML illisible"),
        ("- a\n- b", "dictionnaire"),
        ("code: x\nname: X\nsteps: []", "au moins une étape"),
        ("code: x\nname: X\nsteps:\n  - code: a\n    title: A\n    role: R\n    delay_days: -1", "étape 1"),
        ("code: x\nname: X\nsteps:\n  - code: a\n    title: A\n    role: R\n  - code: a\n    title: B\n    role: R", "répété"),
        ("code: X Y\nname: X\nsteps:\n  - code: a\n    title: A\n    role: R", "minuscules"),
        ("code: x\nname: X\nsteps:\n  - code: a\n    title: A\n    role: R\n    delai: 3", "champs inconnus"),
        ("code: x\nname: X\nsteps:\n  - code: a\n    role: R", "« title » est obligatoire"),
    ],
)
def test_bad_templates_are_refused_with_the_step_and_field(text, expected):
    with pytest.raises(ValidationError) as caught:
        pathways.parse_template(text)
    assert any(expected in message for message in caught.value.messages), caught.value.messages


@pytest.mark.django_db
def test_admin_validation_runs_on_save():
    template = PathwayTemplate(definition="code: x\nname: X\nsteps: 3")
    with pytest.raises(ValidationError):
        template.full_clean()


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a loaded CI machine is not a failure
@given(st.integers(0, pathways.MAX_DELAY_DAYS), st.integers(0, 120), st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)))
def test_due_date_never_precedes_the_start_and_months_come_first(days, months, start):
    step = pathways.Step(code="a", title="A", role="R", delay_days=days, delay_months=months)
    due = step.due_date(start)
    assert due >= start
    assert (due - start).days >= days
    if months == 0:
        assert (due - start).days == days


@pytest.mark.django_db
def test_starting_vigilans_creates_dated_tasks_given_to_the_member_with_the_role(record, gp, nurse):
    services.add_member(record, nurse, role="Vigilanseur", by=gp)
    template = PathwayTemplate.objects.get(code="vigilans")
    pathway = services.start_pathway(record, template, start_date=dt.date(2026, 1, 31), by=gp)
    tasks = list(pathway.tasks.order_by("due_date"))
    assert [t.due_date for t in tasks] == [dt.date(2026, 2, 10), dt.date(2026, 3, 2), dt.date(2026, 7, 31)]
    assert {t.assignee for t in tasks} == {nurse}
    for task in tasks:
        services.complete_task(task, by=nurse)
    pathway.refresh_from_db()
    assert pathway.status == "completed"


@pytest.mark.django_db
def test_overdue_tasks_alert_once(record, gp, nurse, django_capture_on_commit_callbacks):
    from enrs.core.models import Notification

    services.add_member(record, nurse, role="Infirmière", by=gp)
    late = services.create_task(record, title="Passage IDE", due_date=dt.date(2020, 1, 1), assignee=nurse, by=gp)
    services.create_task(record, title="Plus tard", due_date=dt.date(2099, 1, 1), assignee=nurse, by=gp)
    unassigned = services.create_task(record, title="Sans personne", due_date=dt.date(2020, 1, 2), by=gp)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notify_overdue_tasks() == 2
    assert services.notify_overdue_tasks() == 0
    late.refresh_from_db()
    assert late.overdue_notified_at is not None
    assert Task.objects.get(pk=unassigned.pk).overdue_notified_at is not None
    assert sorted(n.recipient_id for n in Notification.objects.filter(kind="coordination.overdue")) == sorted([nurse.pk, gp.pk])


@pytest.mark.django_db
def test_the_overdue_command_and_task(record, gp, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    services.create_task(record, title="En retard", due_date=dt.date(2020, 1, 1), assignee=gp, by=gp)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("coordination", "overdue", stdout=out)
    assert "1 alerte" in out.getvalue()
    services.create_task(record, title="Aussi en retard", due_date=dt.date(2020, 1, 1), assignee=gp, by=gp)
    out = StringIO()
    call_command("coordination", "overdue", "--enqueue", stdout=out)  # immediate backend in tests
    assert Task.objects.filter(overdue_notified_at__isnull=True, due_date__lt=dt.date(2021, 1, 1)).count() == 0
