"""People as mail clients list them: ``Lastname, Firstname; …`` in To/Cc lines, and initials signing off."""

from __future__ import annotations

import pytest

from workgym.anonymize.names import detect_names
from workgym.anonymize.spans import resolve


def _confident(text: str) -> list[str]:
    return [text[s.start : s.end] for s in resolve(detect_names(text)) if s.confidence >= 0.8]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # Outlook's To line: every part of every name, at the anonymizer's threshold
        ("To: Smith, John; Doe, Jane; Kowalski, Anna", ["Smith", "John", "Doe", "Jane", "Kowalski", "Anna"]),
        ("> Cc: Bogdanov, Tsvetan M.", ["Bogdanov", "Tsvetan M."]),  # quoted, with a middle initial
        ("From: Olmedo, Brisa\nSent: Monday, June 3, 2019", ["Olmedo", "Brisa"]),
        ("the reviewers were Quixley, Dana; Vandervoort, Kees", ["Quixley", "Dana", "Vandervoort", "Kees"]),
    ],
)
def test_when_people_are_listed_lastname_first_then_each_part_is_a_name(text: str, names: list[str]) -> None:
    assert _confident(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "in Paris, France; Berlin, Germany",  # places listed as people are
        "Yes, Please; No, Thanks",  # words
        "Hello, World; Foo, Bar",
    ],
)
def test_when_a_list_only_looks_like_lastname_first_then_it_is_no_name(text: str) -> None:
    assert _confident(text) == []


@pytest.mark.parametrize(
    ("text", "initials"),
    [
        ("Thanks,\r\nJD", "JD"),
        ("Regards, J.D.", "J.D."),
        ("> cheers\n> JDW\n", "JDW"),
    ],
)
def test_when_initials_sign_a_mail_then_they_are_a_name(text: str, initials: str) -> None:
    assert _confident(text) == [initials]


@pytest.mark.parametrize("text", ["Thanks,\nOK", "Regards,\nTIA", "thanks\nFYI"])
def test_when_capitals_after_a_sign_off_are_a_word_then_they_are_no_name(text: str) -> None:
    assert _confident(text) == []
