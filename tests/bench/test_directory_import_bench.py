"""``enrs bench directory-import``: options and dispatch (the imports themselves are stubbed, never run here)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from enrs.bench.benchmarks import directory_import
from enrs.bench.registry import load_benchmarks
from enrs.directory.models import Organisation


def _parse(*argv: str):
    return load_benchmarks()["directory-import"].parser().parse_args(list(argv))


def test_options_and_their_defaults():
    assert vars(_parse()) == {"lines": 20_000, "kind": "annuaire", "seed": 2026}
    assert vars(_parse("--lines", "50", "--kind", "finess", "--seed", "3")) == {"lines": 50, "kind": "finess", "seed": 3}


@pytest.mark.parametrize("argv", [["--kind", "rpps"], ["--lines", "0"], ["--lines", "beaucoup"]])
def test_bad_options_are_a_french_error(argv):
    with pytest.raises(CommandError, match="Options invalides pour le banc d'essai « directory-import »"):
        call_command("bench", "directory-import", *argv, stdout=StringIO())


@pytest.mark.django_db
def test_imports_the_file_twice_in_a_rolled_back_transaction_and_prints_one_json_object(monkeypatch):
    calls = []

    def fake_import(kind, path):
        calls.append((kind, path.name, len(path.read_text(encoding="utf-8").splitlines())))
        Organisation.objects.create(name="ÉCRITE PENDANT LE BANC")  # must not survive the benchmark
        first = len(calls) == 1
        return {"status": "done", "error": "", "seconds": 0.5, "lines_per_second": 8.0 if first else 10.0,
                "processed": 4, "created": 3 if first else 0, "updated": 0, "unchanged": 0 if first else 3,
                "rejected": 1}

    monkeypatch.setattr(directory_import, "_timed_import", fake_import)
    out = StringIO()
    call_command("bench", "directory-import", "--lines", "4", "--kind", "finess", stdout=out)

    assert len(out.getvalue().strip().splitlines()) == 1
    result = json.loads(out.getvalue())
    assert calls == [("finess", "etalab-cs1100507-stock-bench.csv", 5)] * 2  # header + 4 lines, imported twice
    assert result["benchmark"] == "directory-import" and result["database"] in {"sqlite", "postgresql"}
    assert result["dataset"]["kind"] == "finess" and result["lines"] == 4
    assert result["lines_per_second"] == {"first_import": 8.0, "reimport": 10.0}
    assert (result["rejected"], result["idempotent"], result["rolled_back"]) == (1, True, True)
    assert isinstance(result["cores"], int)
    assert not Organisation.objects.exists()
