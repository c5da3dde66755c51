"""Property tests: French normalisation, phonetic keys, blocking and scoring invariants."""

from __future__ import annotations

import dataclasses
import datetime
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from enrs.identity.matching import Traits, blocking_keys, decide, score
from enrs.identity.matching.normalise import (
    date_variants,
    first_name_list,
    fold,
    name_forms,
    parse_birth_date,
)
from enrs.identity.matching.phonetic import MAX_LENGTH, phonetic
from enrs.identity.matching.synthetic import FIRST_NAMES, LAST_NAMES

FRENCH_LETTERS = "abcdefghijklmnopqrstuvwxyzéèêëàâäîïôöùûüçœæÿ"
name_text = st.text(alphabet=FRENCH_LETTERS + FRENCH_LETTERS.upper() + " -'’", max_size=30)
surnames = st.one_of(st.sampled_from(LAST_NAMES), name_text)
first_names = st.lists(st.sampled_from(FIRST_NAMES["F"] + FIRST_NAMES["M"]), min_size=1, max_size=3).map(tuple)
dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2024, 12, 31)).map(lambda d: d.isoformat())
places = st.sampled_from(("", "14118", "76540", "2A004", "99134", "75056"))


def _unaccent(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


@st.composite
def traits(draw) -> Traits:
    return Traits(
        birth_name=draw(surnames),
        first_names=draw(first_names),
        birth_date=draw(dates),
        sex=draw(st.sampled_from(("F", "M", "I", ""))),
        birth_place=draw(places),
        used_name=draw(st.one_of(st.just(""), st.sampled_from(LAST_NAMES))),
        used_first_name="",
        ins="",
    )


def _desk_spelling(t: Traits) -> Traits:
    """What another desk types for the same person: capitals, no accents."""
    return Traits(
        birth_name=_unaccent(t.birth_name).upper(),
        first_names=tuple(_unaccent(name).upper() for name in t.first_names),
        birth_date=t.birth_date,
        sex=t.sex,
        birth_place=t.birth_place,
        used_name=_unaccent(t.used_name).lower(),
        used_first_name=t.used_first_name,
        ins=t.ins,
    )


# --- Normalisation ------------------------------------------------------------------------
@given(st.text(max_size=40))
def test_fold_is_idempotent_and_gives_plain_upper_case_words(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.strip() and "  " not in folded
    assert all(ch.isascii() and (ch.isupper() or ch.isdigit() or ch == " ") for ch in folded)


@given(name_text)
def test_fold_ignores_case_accents_and_punctuation(text):
    assert fold(text.upper()) == fold(text.lower()) == fold(_unaccent(text)) == fold(text)
    assert fold(text.replace("-", " ").replace("'", " ")) == fold(text)


@given(st.sampled_from(LAST_NAMES), st.sampled_from(("de ", "De La ", "d'", "Le ", "du ")))
def test_particles_do_not_change_the_core_of_a_name(name, particle):
    assert name_forms(particle + name)[1] == name_forms(name)[1] or fold(name).split()[0] in {"DE", "LE", "LA", "DU", "DA", "D"}


@given(first_names)
def test_compound_first_names_written_with_a_space_or_a_hyphen_glue_the_same(names):
    hyphenated = "".join(first_name_list(names))
    spaced = "".join(first_name_list(tuple(part for name in names for part in name.split("-"))))
    assert hyphenated == spaced


@given(name_text)
def test_phonetic_key_is_short_plain_and_spelling_invariant(text):
    key = phonetic(text)
    assert len(key) <= MAX_LENGTH and (key == "" or key.isalpha())
    assert key == phonetic(_unaccent(text).lower()) == phonetic(fold(text))


def test_phonetic_key_merges_french_homophones():
    for a, b in [("Gauthier", "Gautier"), ("Philippe", "Filipe"), ("Lopez", "Lopes"), ("Giraud", "Giraux"), ("Lucie", "Lussie")]:
        assert phonetic(a) == phonetic(b), (a, b)
    assert phonetic("Martin") != phonetic("Bernard")


@given(dates)
def test_date_variants_start_with_the_date_and_transpose_back(date):
    variants = date_variants(date)
    assert variants[0] == date
    for other in variants[1:]:
        assert date_variants(other)[0] == other and date in date_variants(other)


def test_partial_and_impossible_dates():
    assert parse_birth_date("1980-00-00") == (1980, 0, 0)
    assert parse_birth_date("1980-05-00") == (1980, 5, 0)
    assert parse_birth_date("1980-00-12") is None
    assert parse_birth_date("1980-02-30") is None
    assert parse_birth_date("80-02-03") is None
    assert date_variants("1980-05-00") == ("1980-05-00",)


# --- Blocking and scoring -----------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(traits(), traits())
def test_score_is_a_symmetric_probability(a, b):
    s = score(a, b)
    assert 0.0 <= s <= 1.0
    assert s == score(b, a)
    assert decide(a, b, s) == decide(b, a, s)


@settings(max_examples=80, deadline=None)
@given(traits(), traits())
def test_a_record_scores_itself_at_least_as_high_as_anything_else(a, b):
    assert score(a, a) >= score(a, b)


@settings(max_examples=80, deadline=None)
@given(traits())
def test_a_desk_spelling_is_the_same_person_and_shares_blocking_keys(a):
    variant = _desk_spelling(a)
    assert score(a, variant) == score(a, a)
    assert blocking_keys(a) == blocking_keys(variant)
    assert all(len(key) <= 64 for key in blocking_keys(a))


@settings(max_examples=100, deadline=None)
@given(traits())
def test_transposed_day_and_month_still_share_a_key(a):
    year, month, day = a.birth_date.split("-")
    if int(day) > 12 or day == month:
        return
    swapped = dataclasses.replace(a, birth_date=f"{year}-{day}-{month}")
    assert blocking_keys(a) & blocking_keys(swapped)
