"""The validated pattern layer: what it finds, what its checks turn away, and how sure it is."""

from __future__ import annotations

import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from workgym.anonymize.patterns import detect_patterns
from workgym.anonymize.spans import resolve

THRESHOLD = 0.8  # the anonymizer's default: at or above it a value is learned and replaced everywhere


def found(text: str) -> dict[str, tuple[str, float]]:
    """Resolved spans of ``text`` as {value: (kind, confidence)}."""
    return {text[s.start : s.end]: (s.kind, s.confidence) for s in resolve(detect_patterns(text))}


def kinds(text: str) -> dict[str, str]:
    return {value: kind for value, (kind, _) in found(text).items()}


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("Write to jo.smith+dev@example.co.uk today", "jo.smith+dev@example.co.uk", "email"),
        ("contact jo [at] example [dot] com", "jo [at] example [dot] com", "email"),
        ("From: jsmith at example.org (J Smith)", "jsmith at example.org", "email"),
        ("ping art.lowel at atmire.com about it", "art.lowel at atmire.com", "email"),
        ("Call +44 (0)118 925 6128 tomorrow", "+44 (0)118 925 6128", "phone"),
        ("phone: 208-336-4844", "208-336-4844", "phone"),
        ("office (027) 7972-805", "(027) 7972-805", "phone"),
        ("877-547-3967x793 fax", "877-547-3967x793", "phone"),
        ("server at 207.155.150.156 refused", "207.155.150.156", "ip"),
        ("via 2001:db8:85a3::8a2e:370:7334 now", "2001:db8:85a3::8a2e:370:7334", "ip"),
        ("address=7F:72:27:83:16:54 seen", "7F:72:27:83:16:54", "mac"),
        ("card 4929 6970 1022 6317 expired", "4929 6970 1022 6317", "credit_card"),
        ("My IBAN is GB82 WEST 1234 5698 7654 32.", "GB82 WEST 1234 5698 7654 32", "iban"),
        ("my iban is gb82west12345698765432", "gb82west12345698765432", "iban"),
        ("Here's my SSN: 078-05-1120", "078-05-1120", "ssn"),
        ("NI number AB 12 34 56 C", "AB 12 34 56 C", "national_id"),
        ("my driver's license number is LH329609T", "LH329609T", "driver_license"),
        ("key AKIAIOSFODNN7EXAMPLE leaked", "AKIAIOSFODNN7EXAMPLE", "secret"),
        ('"password": "e2c6592a-c12f-4cba-87d9"', "e2c6592a-c12f-4cba-87d9", "secret"),
        ("Authorization: Bearer dXNlcjpwYXNzd2QxMjM0NTY=", "dXNlcjpwYXNzd2QxMjM0NTY=", "secret"),
        ("clone https://deploy:s3cretPass9@git.example.com/r.git", "s3cretPass9", "secret"),
        ("see https://wiki.example.org/display/~jsmith/Notes", "jsmith", "url"),
        ("http://example.com/login?user=jsmith&next=/", "jsmith", "url"),
        ("My website is http://MarketRepair.com/", "http://MarketRepair.com/", "domain"),
        ("host c-73-12-34-56.hsd1.ma.comcast.net dropped", "c-73-12-34-56.hsd1.ma.comcast.net", "hostname"),
    ],
)
def test_each_kind_is_found_whole(text: str, value: str, kind: str) -> None:
    assert kinds(text).get(value) == kind, found(text)


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("card 4929 6970 1022 6318 expired", "4929 6970 1022 6318"),  # Luhn fails
        ("My IBAN is GB83 WEST 1234 5698 7654 32.", "GB83 WEST 1234 5698 7654 32"),  # mod 97 fails
        ("SSN 666-12-3456 or 900-12-3456", "666-12-3456"),  # areas never issued
        ("Studio: 4.8.0.201610060953 on 10.0.14393", "4.8.0.201610060953"),  # versions
        ("Studio: 4.8.0.201610060953 on 10.0.14393", "10.0.14393"),
        ("Screenshot 2016-04-12 08.16.39", "2016-04-12 08.16.39"),  # a date and a time
        ("Copyright (c) 2009-2010", "2009-2010"),
        ("07-14 15:59:56.167 21434-21434 D/Tag", "21434-21434"),  # a logcat pid-tid pair
        ("runtime.cc:366] schedstat=( 410718382 50549004 4 )", "410718382 50549004"),
        ("the icon Default-Landscape@2x.png is blurry", "Default-Landscape@2x.png"),
        ("password = Ti.App.Properties.getString('pw')", "Ti.App.Properties.getString"),
        ("When creating a basic NavigationWindow", "NavigationWindow"),
        ("the password is wrong", "wrong"),
        ("localhost is 127.0.0.1 and the mask 255.255.255.0", "127.0.0.1"),
        ("use std::vector here", "std::vector"),
        ("link appcompat-v7-25.4.0.aar into the app", "appcompat-v7-25.4.0.aar"),
        ("available at apache.org", "available at apache.org"),  # English "at", not an address
    ],
)
def test_checks_turn_away_lookalikes(text: str, absent: str) -> None:
    assert absent not in found(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("release 2.3.4.5 notes", "2.3.4.5"),  # all octets small: most likely a version
        ("libv8/9.4.146.16/include", "9.4.146.16"),  # a path segment
        ("rows 12 34 56 78 of the table", "12 34 56 78"),  # phone-shaped, no cue
        ("at 0x1f + 54721415690912", "54721415690912"),  # passes Luhn, but an unbroken id-like run
    ],
)
def test_weak_shapes_stay_below_the_learning_threshold(text: str, value: str) -> None:
    hit = found(text).get(value)
    assert hit is None or hit[1] < THRESHOLD, hit


def test_irc_user_mask_gives_handle_and_host_not_an_email() -> None:
    text = "awoods (~awoods@c-67-165-245-76.hsd1.co.comcast.net) has joined #dspace"
    hits = found(text)
    assert hits["c-67-165-245-76.hsd1.co.comcast.net"] == ("hostname", 0.95)
    assert hits["awoods"][0] == "handle"
    assert hits["awoods"][1] < THRESHOLD  # idents such as "anonymous" are never learned
    assert not any(kind == "email" for kind, _ in hits.values())
    mask = "Set by egonzal!ad579d86@gateway/web/freenode/ip.173.87.157.134 on Fri"
    assert found(mask)["gateway/web/freenode/ip.173.87.157.134"][0] == "hostname"
    assert kinds("dyelar (~dyelar@129.237.45.105) has quit")["129.237.45.105"] == "ip"


def test_an_address_in_parentheses_outside_irc_is_an_email() -> None:
    assert kinds("Jo Smith (jo@example.com) wrote")["jo@example.com"] == "email"


def test_private_key_body_is_one_secret() -> None:
    body = "MIIEowIBAAKCAQEA7x\nq8ZbT0k3Yw=="
    text = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    assert kinds(text) == {body: "secret"}


def test_text_without_digits_or_at_signs_yields_only_what_it_can() -> None:
    assert detect_patterns("Nothing to see here, just words.") == []


_FAKE = Faker()


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), spaced=st.booleans())
def test_any_valid_card_number_is_found(seed: int, spaced: bool) -> None:
    _FAKE.seed_instance(seed)
    number = _FAKE.credit_card_number(
        card_type=_FAKE.random_element(["visa16", "mastercard", "amex", "discover"])
    )
    if spaced and len(number) == 16:
        number = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    text = f"Charge it to card {number}, thanks."
    assert kinds(text).get(number) == "credit_card", (number, found(text))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_any_valid_iban_is_found_and_a_changed_digit_is_not(seed: int) -> None:
    _FAKE.seed_instance(seed)
    iban = _FAKE.iban()
    assert kinds(f"IBAN {iban}.").get(iban) == "iban"
    digit = next(i for i in range(4, len(iban)) if iban[i].isdigit())
    broken = iban[:digit] + str((int(iban[digit]) + 1) % 10) + iban[digit + 1 :]
    assert kinds(f"IBAN {broken}.").get(broken) != "iban"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 .-:/()+@abcxAF\n"), max_size=60))
def test_spans_lie_inside_the_text_and_never_raise(text: str) -> None:
    for span in detect_patterns(text):
        assert 0 <= span.start < span.end <= len(text)
        assert 0 < span.confidence <= 1
