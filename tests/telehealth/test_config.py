"""The reference data files are validated; a broken file is refused with its path and field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from enrs.telehealth import config


def test_shipped_programmes_and_reference_are_valid():
    codes = {p.code for p in config.programmes()}
    assert {"scad-antico", "domoplaies"} <= codes
    assert config.programme("scad-antico").inr.default_target == (Decimal("2.0"), Decimal("3.0"))
    assert config.reference().expertise_answer_days > 0


def test_tariffs_are_dated():
    assert config.tariff_on("TE2", dt.date(2023, 1, 1)).amount == Decimal("20.00")
    assert config.tariff_on("RQD", dt.date(2023, 1, 1)).amount == Decimal("10.00")
    assert config.tariff_on("TE1", dt.date(2023, 1, 1)) is None  # ended 31 March 2022 (avenant 9)
    assert config.tariff_on("TE1", dt.date(2021, 6, 1)).amount == Decimal("12.00")
    assert config.tariff_on("TE2", dt.date(2018, 1, 1)) is None


def test_escalation_delay_by_specialty():
    assert config.escalation_delay("SM42") == dt.timedelta(seconds=180)
    assert config.escalation_delay("SM99") == dt.timedelta(seconds=300)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("programmes: []", "programmes"),
        ("programmes:\n  - {code: x, name: X, kinds: [inr]}", "inr section"),
        ("programmes:\n  - {code: x, name: X, kinds: [teleport]}", "kinds"),
        ("programmes: [", "programmes.yaml"),
        (
            "programmes:\n  - code: x\n    name: X\n    kinds: [inr]\n    inr: {plausible_min: '0.5', plausible_max: '15', default_target: ['3', '2']}",
            "target low",
        ),
    ],
)
def test_a_broken_programmes_file_is_refused_with_its_reason(tmp_path, text, fragment):
    path = tmp_path / "programmes.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(config.ConfigError) as error:
        config.load_programmes_file(path)
    assert fragment in str(error.value)
