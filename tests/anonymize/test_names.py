"""The free-text name and street-address detector (layer "names"), on our own synthetic sentences."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workgym.anonymize.names import detect_names, lexicon
from workgym.anonymize.spans import KINDS


def found(text: str, kind: str = "person") -> list[str]:
    return [text[s.start : s.end] for s in detect_names(text) if s.kind == kind]


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
    ],
)
def test_when_common_words_have_no_evidence_then_no_name_is_found(text: str) -> None:
    assert found(text) == []


def test_when_a_name_is_possessive_then_the_span_ends_before_the_apostrophe() -> None:
    text = "Anna's laptop is broken; Seán O’Brien’s too."
    assert found(text) == ["Anna", "Seán O’Brien"]


def test_when_a_full_name_is_found_then_it_is_confident_enough_to_learn() -> None:
    (full,) = detect_names("Hi Anna Schmidt, see you at noon.")
    (single,) = detect_names("Irma will join later.")
    assert full.confidence >= 0.8 > single.confidence > 0
    assert {full.layer, single.layer} == {"names"}


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Send it to 221B Baker Street, London NW1 6XE please.", "221B Baker Street, London NW1 6XE"),
        (
            "Ship to 12 Main St., Apt. 5, Springfield, IL 62704 by Friday.",
            "12 Main St., Apt. 5, Springfield, IL 62704",
        ),
        (
            "Our office: 1600 Pennsylvania Avenue NW, Washington, DC 20500.",
            "1600 Pennsylvania Avenue NW, Washington, DC 20500",
        ),
        ("He lives at 87 rue Joseph Vernet, Paris.", "87 rue Joseph Vernet, Paris"),  # type before the name
        ("Meet at Via Nizza 60, Torino.", "Via Nizza 60, Torino"),  # number after the name
        (
            "Bitte an Hauptstraße 5, 10115 Berlin schicken.",
            "Hauptstraße 5, 10115 Berlin",
        ),  # type as an ending
        (
            "Adress: Storgatan 3\n 111 51 Stockholm\n Sweden",
            "Storgatan 3\n 111 51 Stockholm\n Sweden",
        ),  # lines
        ("Write to USNS Miller\nFPO AP 96508 today.", "USNS Miller\nFPO AP 96508"),  # a US military address
        ("The desk is in Suite 200 now.", "Suite 200"),  # a unit on its own
    ],
)
def test_when_a_street_address_is_written_then_its_exact_span_is_found(text: str, address: str) -> None:
    spans = [s for s in detect_names(text) if s.kind == "street_address"]
    start = text.index(address)
    assert [(s.start, s.end) for s in spans] == [(start, start + len(address))]


@pytest.mark.parametrize(
    "text",
    [
        "Version 2 of Python 3 is out; upgrade 3 Servers today.",  # counts before capitalised words
        "The release is due on 12 March 2025 at 10:30.",  # a date and a time
        "I went via Main 5 times last week.",  # an English preposition, not the Italian "Via"
        "Order 66 items, then call 555-0100.",  # numbers with no street
        # what issue trackers are full of (each was an "address" once):
        "06-23 14:58:58.667 13968 13968 W CloudpushModuleImplementation: started",  # logcat pid, tid
        "06-22 23:51:58.658   379  1961 D QCameraParameters: set",
        "Remote Server Started on Port 8324",  # a street type alone
        "Prior to this fix, step 2 failed; see Step 4.",  # not "Ste p"
        "the {left} property is 15 units",  # not "unit s"
        "Repeat steps 2-4 and Click Row 10",  # English verbs before English street types
        "After upgrading to Titanium SDK 6 and XCode 10 it broke",  # acronyms, camel case
        "-rw-r--r--  1 msharman  staff   1088 Nov 18 10:02 file.txt",  # a date in a file listing
        "Set by someone on Fri Oct 22 01:19:41 UTC 2010",
    ],
)
def test_when_numbers_are_not_addresses_then_no_address_is_found(text: str) -> None:
    assert found(text, "street_address") == []


def test_when_a_log_date_is_written_then_weekday_and_month_are_no_name() -> None:
    assert found("Set by someone on Fri Oct 22 01:19:41 UTC 2010", "person") == []


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
        assert span.kind in KINDS and span.kind in {"person", "street_address"}
        assert span.layer == "names" and 0 < span.confidence <= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_when_arbitrary_unicode_is_scanned_then_nothing_raises(text: str) -> None:
    for span in detect_names(text):
        assert 0 <= span.start < span.end <= len(text)
