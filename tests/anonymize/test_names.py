"""The free-text name detector (layer "names"), on our own synthetic sentences."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workgym.anonymize.names import detect_names, lexicon


def found(text: str) -> list[str]:
    return [text[s.start : s.end] for s in detect_names(text)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hi Anna Maria Schmidt, the build is green.", "Anna Maria Schmidt"),  # greeting, three listed tokens
        ("cc: Jan van der Berg for the release notes", "Jan van der Berg"),  # particles inside a name
        ("Please ask Mr. O'Brien about the invoice.", "O'Brien"),  # title cue; the title stays outside
        ("The meeting with Jean-Luc Picard went well.", "Jean-Luc Picard"),  # hyphenated given name
        ("It was signed by John F. Kennedy in 1961.", "John F. Kennedy"),  # middle initial
        ("Thanks Will!", "Will"),  # a common word, taken after a greeting
        ("Dr. Gairbekov said the results are fine.", "Gairbekov"),  # unlisted, after a title
        ("The patch was reviewed by Gairbekov Vodir yesterday.", "Gairbekov Vodir"),  # unlisted full name
        ("Please ask Kaylee, Brandi and Malon.", "Malon"),  # named in a list of names
        ("Joshua Okamoto MD will call you back.", "Joshua Okamoto MD"),  # a suffix belongs to the name
        ("thanks anna schmidt for the fix", "anna schmidt"),  # a text written without capitals
        ("My name is Jan Kowalski but everyone calls me Iqbalu.", "Iqbalu"),  # an unlisted name after a cue
        ('Emma:"Who are you?"\nAmber:"I\'m her daughter."', "Amber"),  # a listed name speaking
        ("Valida M. Ibragimov will present.", "Valida M. Ibragimov"),  # unlisted, an initial between
        ("Hanne I. Kreutzmann is the speaker.", "Hanne I. Kreutzmann"),  # the initial I is no pronoun
        ("It's under my partner's name John A. Leiva", "John A. Leiva"),  # nor A an article
        ("from eric g. samoylova's tales", "eric g. samoylova"),  # without capitals
        ("follow up with benjamin a seiler soon", "benjamin a seiler"),  # a listed surname after a
        ("What's your last name? Matthíasson", "Matthíasson"),  # asked for
        ("sometimes people call me višeslav", "višeslav"),  # unlisted, after a cue, without capitals
        ("I would like to remove my kid Dzhambek from the will.", "Dzhambek"),  # a family word
    ],
)
def test_when_a_name_has_evidence_then_it_is_found_whole(text: str, name: str) -> None:
    assert name in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Will you review the patch?",  # modal verb at a sentence start
        "Mark it as done before the May release.",  # verb, month
        "We need a Grant for this, and a Bill of materials.",  # nouns that are also names
        "The Rose Garden opens at noon.",  # a place named with a common word
        "Join us at the Christian party on Easter Sunday.",  # adjectives, holidays
        "We deployed 3 Docker containers on 5 Linux hosts.",  # product names, counts
        "Cross-cutting concerns live in wrappers; see TicketEvent and NASA docs.",  # shapes of non-names
        "I'm in Mountain View this week; the office is on Kowalski Street.",  # names of places
        'Ti.API.info("Add Audio View"); addr = {"street": "North Elmwood Avenue"}',  # a view, a street
        "See Appendix A. Results follow, as in Plan B. Then we ship.",  # a letter after a label
        "Is the bug on the user? Views are blank; adding child Views fails.",  # no name asked for
    ],
)
def test_when_common_words_have_no_evidence_then_no_name_is_found(text: str) -> None:
    assert found(text) == []


def test_when_an_article_follows_a_lower_case_name_then_the_next_word_is_no_surname() -> None:
    assert found("i told maria a story") == ["maria"]
    assert found("my name is going to change; call me later") == []


def test_when_a_name_is_possessive_then_the_span_ends_before_the_apostrophe() -> None:
    text = "Anna's laptop is broken; Seán O’Brien’s too."
    assert found(text) == ["Anna", "Seán O’Brien"]


def test_when_a_full_name_is_found_then_it_is_confident_enough_to_learn() -> None:
    (full,) = detect_names("Hi Anna Schmidt, see you at noon.")
    (single,) = detect_names("Irma will join later.")
    assert full.confidence >= 0.8 > single.confidence > 0
    assert {full.layer, single.layer} == {"names"}


def test_when_a_log_date_is_written_then_weekday_and_month_are_no_name() -> None:
    assert found("Set by someone on Fri Oct 22 01:19:41 UTC 2010") == []


def test_when_the_lists_are_built_then_they_hold_faker_names_in_lower_case() -> None:
    lex = lexicon()
    assert {"anna", "schmidt"} <= lex.first | lex.last
    assert lexicon() is lex  # built once
    assert all(name == name.lower() for name in list(lex.first)[:1000])


PIECES = [*"AaBbJjMmOoSsZzÉéß0123456789 \t\n.,;:'’-@#/()", "Anna", "Street", "Apt. ", " van ", "Mr. ", "Via "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_when_any_text_is_scanned_then_nothing_raises_and_spans_are_in_bounds(text: str) -> None:
    for span in detect_names(text):
        assert 0 <= span.start < span.end <= len(text)
        assert span.kind == "person"
        assert span.layer == "names" and 0 < span.confidence <= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_when_arbitrary_unicode_is_scanned_then_nothing_raises(text: str) -> None:
    for span in detect_names(text):
        assert 0 <= span.start < span.end <= len(text)
