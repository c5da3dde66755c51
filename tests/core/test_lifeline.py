import datetime as dt

from enrs.core import lifeline


def test_entries_from_every_provider_come_sorted_by_time():
    paris = dt.timezone(dt.timedelta(hours=1))
    later = lifeline.LifelineEntry(dt.datetime(2026, 12, 1, 9, tzinfo=paris), "rdv", "Consultation")
    earlier = lifeline.LifelineEntry(dt.datetime(2026, 11, 2, 9, tzinfo=paris), "sejour", "Sortie")

    def appointments(patient, user):
        return [later]

    def stays(patient, user):
        return [earlier] if user == "allowed" else []

    lifeline.register_provider(appointments)
    lifeline.register_provider(stays)
    lifeline.register_provider(stays)  # twice is once
    try:
        assert lifeline.entries_for("p", "allowed") == [earlier, later]
        assert lifeline.entries_for("p", "someone else") == [later]
    finally:
        lifeline.unregister_provider(appointments)
        lifeline.unregister_provider(stays)
    assert lifeline.entries_for("p", "allowed") == []
