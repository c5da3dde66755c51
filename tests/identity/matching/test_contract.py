"""The public contract of enrs.identity.matching (the identity services code against these names)."""

from __future__ import annotations

import pytest

from enrs.identity.matching import Traits, blocking_keys, decide, find_duplicates, score


def _traits(**overrides) -> Traits:
    base = {
        "birth_name": "Lefèvre",
        "first_names": ("Anne-Laure", "Marie"),
        "birth_date": "1984-03-11",
        "sex": "F",
        "birth_place": "76540",
        "used_name": "",
        "used_first_name": "",
        "ins": "",
    }
    return Traits(**(base | overrides))


def test_traits_is_frozen():
    t = _traits()
    with pytest.raises(AttributeError):
        t.birth_name = "X"  # type: ignore[misc]


def test_blocking_keys_are_prefixed_short_and_cover_transposed_dates_and_ins():
    keys = blocking_keys(_traits(ins="284037654012345"))
    assert keys and all(len(key) <= 64 and ":" in key for key in keys)
    assert any(key.startswith("i:2840376540123") for key in keys)
    assert any("1984-03-11" in key for key in keys) and any("1984-11-03" in key for key in keys)


def test_a_desk_spelling_shares_a_key_and_scores_as_a_link():
    a = _traits()
    b = _traits(birth_name="LEFEVRE", first_names=("Anne Laure",), birth_date="1984-11-03")
    assert blocking_keys(a) & blocking_keys(b)
    s = score(a, b)
    assert 0.0 <= s <= 1.0
    assert decide(a, b, s) == "link"


def test_a_different_person_is_not_flagged():
    a = _traits()
    b = _traits(birth_name="Moreau", first_names=("Paul",), birth_date="1951-07-30", sex="M", birth_place="14118")
    s = score(a, b)
    assert s < 0.01
    assert decide(a, b, s) is None


def test_find_duplicates_orders_each_pair_once():
    a = _traits()
    b = _traits(birth_name="Lefevre")
    c = _traits(birth_name="Moreau", first_names=("Paul",), birth_date="1951-07-30", sex="M")
    pairs = list(find_duplicates([("z9", a), ("a1", b), ("m5", c)]))
    assert [(x, y, d) for x, y, _, d in pairs] == [("a1", "z9", "link")]
