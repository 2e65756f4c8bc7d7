"""The street-address detector (layer "names"), on our own sentences shaped like what it meets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workgym.anonymize.addresses import detect_addresses
from workgym.anonymize.detect import TextDetector

LEARNED = 0.8
"""The anonymizer's threshold: a span at or above it is learned and replaced everywhere."""


def found(text: str) -> list[str]:
    return [text[s.start : s.end] for s in detect_addresses(text)]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # English: number, name, type; then unit, city, state, postcode
        ("Send it to 221B Baker Street, London NW1 6XE please.", "221B Baker Street, London NW1 6XE"),
        (
            "Ship to 12 Main St., Apt. 5, Springfield, IL 62704 by Friday.",
            "12 Main St., Apt. 5, Springfield, IL 62704",
        ),
        (
            "Our office: 1600 Pennsylvania Avenue NW, Washington, DC 20500.",
            "1600 Pennsylvania Avenue NW, Washington, DC 20500",
        ),
        # a direction before the name, and lines ended by CR LF as trackers store them
        (
            "Ship to 18 N Elm Ridge Blvd\r\nSpringfield, IL 62704\r\nThanks",
            "18 N Elm Ridge Blvd\r\nSpringfield, IL 62704",
        ),
        # one of Faker's rarer street suffixes after a surname
        ("Ship to 921 Johnson Spring, Lake Amy, OK 50241", "921 Johnson Spring, Lake Amy, OK 50241"),
        # British: the unit on a line of its own, then the street with no number
        (
            "Send it to Flat 3\nPatricia Drive\nJackburgh\nN92 6HL",
            "Flat 3\nPatricia Drive\nJackburgh\nN92 6HL",
        ),
        # French: the type before the name, in lower case, after a comma
        ("He lives at 87 rue Joseph Vernet, Paris.", "87 rue Joseph Vernet, Paris"),
        ("Send to 5 avenue Jules Ferry, 75011 Paris", "5 avenue Jules Ferry, 75011 Paris"),
        ("Envoyez-le au 5, avenue Samson\n57583 Lacroix", "5, avenue Samson\n57583 Lacroix"),
        # Italian, Spanish, Portuguese, Polish, Greek: type first, number after the name
        ("Meet at Via Nizza 60, Torino.", "Via Nizza 60, Torino"),
        ("La oficina está en Calle Mayor 12, Madrid.", "Calle Mayor 12, Madrid"),
        ("Fica na Rua Augusta 274, Lisboa.", "Rua Augusta 274, Lisboa"),
        ("Biuro: ul. Marszałkowska 10, Warszawa", "ul. Marszałkowska 10, Warszawa"),
        ("Biuro: al. Rajska 53, 87-225 Lubartów", "al. Rajska 53, 87-225 Lubartów"),
        ("Διεύθυνση: Λεωφόρος Αλεξάνδρας 10, Αθήνα", "Λεωφόρος Αλεξάνδρας 10, Αθήνα"),
        # German, Dutch, Finnish, Norwegian, Swedish: the type as the word's ending
        ("Bitte an Hauptstraße 5, 10115 Berlin schicken.", "Hauptstraße 5, 10115 Berlin"),
        ("Jochem-Dörr-Ring 49, Berlin", "Jochem-Dörr-Ring 49, Berlin"),
        ("Ons kantoor: Keizersgracht 123, Amsterdam", "Keizersgracht 123, Amsterdam"),
        ("Osoite: Mannerheimintie 5, Helsinki", "Mannerheimintie 5, Helsinki"),
        ("Adresse: Nilsenekra 12, 0669 Oslo", "Nilsenekra 12, 0669 Oslo"),
        ("Adress: Storgatan 3\n 111 51 Stockholm\n Sweden", "Storgatan 3\n 111 51 Stockholm\n Sweden"),
        # Slovenian and Hungarian: the type after the name; Hungarian writes the number with a dot
        ("Naslov: Gosposka ulica 61, Ljubljana", "Gosposka ulica 61, Ljubljana"),
        ("Cím: Király utca 15.\nH-1636 Budapest", "Király utca 15.\nH-1636 Budapest"),
        # Czech: no type, a name from Faker's street lists
        ("Adresa: Na Pěšině 925, Praha", "Na Pěšině 925, Praha"),
        # an empty field as data tools write it, a unit first, a US military address, a post box
        ("Ship to 12 Oak Street\nSpringfield, nan 62704", "12 Oak Street\nSpringfield, nan 62704"),
        ("Ms. Jana Nováková Apt. 18 7 Rue de Lyon 12", "Apt. 18 7 Rue de Lyon 12"),
        ("Write to USNS Miller\nFPO AP 96508 today.", "USNS Miller\nFPO AP 96508"),
        ("Send it to PO Box 108, Springfield, IL 62704", "PO Box 108, Springfield, IL 62704"),
        # a crossing is one place; a postcode named as one; a unit alone; a named street, no number
        (
            "Meet me at the corner of Keizersgracht 115 and Baker Street",
            "the corner of Keizersgracht 115 and Baker Street",
        ),
        ("My zip code is 62704", "62704"),
        # a street on the line before a unit; lower-case words and parentheses in a block
        (
            "Meet me at 5100 Quadra 104\n Suite 845\n Evionnaz\n Switzerland 05377",
            "5100 Quadra 104\n Suite 845\n Evionnaz\n Switzerland 05377",
        ),
        (
            "It's in 0269 Stensås terrasse 38\n Suite 621\n ARENDAL",
            "0269 Stensås terrasse 38\n Suite 621\n ARENDAL",
        ),
        (
            "Zizi Kónya\n5850 Jana Nerudy 894\nΑΓΛΑΝΤΖΙΑ (ΑΓΛΑΓΓΙΑ)\n, NI\n Cyprus (Greek) 78891\nMobile: 0490",
            "5850 Jana Nerudy 894\nΑΓΛΑΝΤΖΙΑ (ΑΓΛΑΓΓΙΑ)\n, NI\n Cyprus (Greek) 78891",
        ),
        # a corner of streets named by a rarer suffix, or a lower-case type
        (
            "Send it to the corner of Kuusiku 7 and Alexander Flat?",
            "the corner of Kuusiku 7 and Alexander Flat",
        ),
        ("the corner of Csabai kapu 39. and Mathias Pass", "the corner of Csabai kapu 39. and Mathias Pass"),
        ("The desk is in Suite 200 now.", "Suite 200"),
        ("We are on Baker Street now.", "Baker Street"),
    ],
)
def test_when_a_street_address_is_written_then_its_exact_span_is_found(text: str, address: str) -> None:
    start = text.index(address)
    assert [(s.start, s.end) for s in detect_addresses(text)] == [(start, start + len(address))]


@pytest.mark.parametrize(
    "text",
    [
        "12 Main Street, Springfield",  # a number, a name and an English type
        "Hauptstraße 5, 10115 Berlin",  # a one-word street with a street ending
        "87 rue Joseph Vernet, Paris",  # a street type written first
    ],
)
def test_when_an_address_has_a_street_shape_then_it_is_confident_enough_to_learn(text: str) -> None:
    (span,) = detect_addresses(text)
    assert span.confidence >= LEARNED
    assert (span.kind, span.layer) == ("street_address", "names")


@pytest.mark.parametrize(
    "text",
    [
        "Please send it to 41 Orvelta 62, Brekke",  # no street type: a name between two numbers
        "Ship to 921 Johnson Spring, Lake Amy",  # a rarer street suffix, an English word too
        "We had 3 Place Holders",  # an English word as a prefix, before no listed name
        "i live at 12 main street, springfield",  # a text with no capital letter (chat)
        "Meet at Via Nizza 60, Torino.",  # an English word as a prefix, and a name in no list
    ],
)
def test_when_an_address_shape_is_weak_then_it_is_found_but_never_learned(text: str) -> None:
    (span,) = detect_addresses(text)
    assert 0 < span.confidence < LEARNED


@pytest.mark.parametrize(
    "text",
    [
        # Android logcat: pid and tid columns, a log level, a tag in capitals or camel case
        "06-21 10:11:12.345   412  1130 D AUDIO-LOADER: init -> send_cal",
        "06-20 09:00:01.001 14021 14021 W PushModuleImplementation: started",
        "09-01 10:00:00.000  1200  1290 I ActivityManager: Start proc 4521:com.example/u0a86",
        "06-21 10:11:13.001   412  1188 E cam-hal: pick_resolution:88 Height 1080 Width 1920",
        # an iOS crash report: frame numbers, binary names, addresses, the thread header
        "9   Kitchen 360                  0x000000010a5e1050 JSObjectCallAsFunction + 80",
        "1 Thread 0 name: Dispatch queue: com.apple.main-thread",
        # a street type alone, or an English type before the number
        "Remote Server Started on Port 8324",
        "Prior to this fix, step 2 failed; see Step 4.",
        "Repeat steps 2-4 and Click Row 10",
        "the {left} property is 15 units",  # not "unit s"
        # versions and products
        "Tested with Xcode 10 Beta 2 and iOS 12 Beta 2",
        "Visual Studio 2015 Update 3",
        "Windows 10 Pro 1703, OnePlus 5T Android 8",
        "Done in the 2019 Sprint 04 Tooling sprint",
        "DSpace 8 Sprint #3 starts next week",
        "After upgrading to Titanium SDK 6 and XCode 10 it broke",
        "Windows OS: 10 Pro, Version 1703 Build 15063.540",
        # HTTP statuses, tables, counts, code
        'The proxy answered "502 Bad Gateway" again',
        "prettier                 >=2        Inactive                       0 / 0",
        "I uploaded 2 Google Drive files and ran 3 Main Loop iterations",
        "for (int i = 0; i < 10; i++) { Foo Bar = 3; }",
        "Ti.UI.createView({ top: 10, left: 20 }); // Split View 2",
        "Max : 11 C Min : 9 C",  # a temperature, not Spanish "C/ Mayor"
        # dates, and lower-case chat
        "-rw-r--r--  1 jdoe  staff   1088 Nov 18 10:02 file.txt",
        "Set by someone on Fri Oct 22 01:19:41 UTC 2010",
        "that 4821 needs full port",
        "sent 2 via email 3 times",
        "I work in Split View mode",  # a named "street" with a type that is an English word
        "[AB-123] 4x Zoom Guide Line options",  # a factor, English words before a rarer type
        "Welcome to Copenhagen 5 times",  # a city with a Norwegian street ending
        "Kowalski et al. Nature 2019",  # not Polish "al."
        "RT @ Hottie 4 : see you",  # a handle, though it ends like a Finnish street
    ],
)
def test_when_technical_text_has_numbers_then_no_address_is_found(text: str) -> None:
    assert found(text) == []


def test_when_a_military_address_follows_then_the_street_before_it_is_still_found() -> None:
    text = "I once lived in 018 74 Diakou Street, Kissousa. I now live in PSC 3117, Box 0609\nAPO AE 96508"
    assert sorted(found(text)) == ["018 74 Diakou Street, Kissousa", "PSC 3117, Box 0609\nAPO AE 96508"]


@pytest.mark.parametrize(
    "text",
    [
        "Build 42\nSuite 3 failed",  # an English word and a number: no street before the unit
        "we ran 5 tests\nSuite 3 passed",  # prose before the unit
        "Put it in the corner of the screen and the menu",  # a corner of no street
    ],
)
def test_when_a_line_before_a_unit_is_no_street_then_it_is_not_taken(text: str) -> None:
    assert [a for a in found(text) if not a.startswith("Suite")] == []  # a unit alone may be


def test_when_the_text_detector_runs_then_a_street_is_no_person() -> None:
    text = "Address: 14 Kowalski Street, Springfield"
    spans = TextDetector().detect(text)
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [
        ("street_address", "14 Kowalski Street, Springfield")
    ]


def test_when_a_unit_follows_a_name_then_the_unit_is_no_part_of_the_name() -> None:
    text = "Ms. Jana Nováková Apt. 18 7 Rue de Lyon 12"
    kinds = {(s.kind, text[s.start : s.end]) for s in TextDetector().detect(text)}
    assert kinds == {("person", "Jana Nováková"), ("street_address", "Apt. 18 7 Rue de Lyon 12")}


@pytest.mark.parametrize(
    ("detector", "kinds"),
    [
        (TextDetector(), {"person", "street_address"}),  # both by default
        (TextDetector(addresses=False), {"person"}),  # names alone
        (TextDetector(names=False, addresses=True), {"street_address"}),  # addresses alone
        (TextDetector(names=False), set()),  # names=False asks for no guesses from prose
    ],
)
def test_when_layers_are_chosen_then_only_their_kinds_are_found(
    detector: TextDetector, kinds: set[str]
) -> None:
    spans = detector.detect("Hi Anna Schmidt, ship it to 12 Main Street, Springfield.")
    assert {s.kind for s in spans} == kinds


PIECES = [
    *"AaBbJjMmOoSsZzÉéß0123456789 \t\r\n.,;:'’-@#/()",
    "Street",
    "Apt. ",
    " van ",
    "Via ",
    "nan",
    "corner of ",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_when_any_text_is_scanned_then_nothing_raises_and_spans_are_in_bounds(text: str) -> None:
    for span in detect_addresses(text):
        assert 0 <= span.start < span.end <= len(text)
        assert (span.kind, span.layer) == ("street_address", "names")
        assert 0 < span.confidence <= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_when_arbitrary_unicode_is_scanned_then_nothing_raises(text: str) -> None:
    for span in detect_addresses(text):
        assert 0 <= span.start < span.end <= len(text)
