"""The pattern layer on hostile text: linear time on any input, and the same findings as before.

Each adversarial input below once took seconds to hours (catastrophic backtracking, or a scan
from every start to the end of the text). They run in a subprocess killed after a generous bound,
so a regression fails the test instead of hanging CI; no timing is asserted.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from workgym.anonymize.patterns import can_identify, detect_patterns
from workgym.anonymize.spans import resolve

KB = 1024

ADVERSARIAL: dict[str, tuple[str, int]] = {
    # name: (unit repeated, total length); each comment says what once went wrong
    "digit runs of 60": ("1" * 60 + " ", 200 * KB),  # phone: every split of a long run tried (0.3 s each)
    "one digit run": ("7", 200 * KB),
    "dashed digits": ("1-", 200 * KB),  # host names: a lazy prefix times a greedy tail, O(n^2)
    "dashed pairs": ("12-", 200 * KB),
    "dotted quads without a domain": ("1-2-3-4-", 200 * KB),
    "base64url run of JWT heads": ("eyJ-", 200 * KB),  # JWT: every head read the run to its end
    "private-key heads, no end": ("-----BEGIN PRIVATE KEY-----\n", 200 * KB),  # lazy body from each head
    "phones on one line": ("phone 555-123-4567 ", 200 * KB),  # own-line check read the line per number
    "user masks and addresses": ("!jo@host.example.net x@y.example.org ", 200 * KB),  # masks x addresses
    "separators": (" -.()+", 200 * KB),
    "colons": ("1:", 200 * KB),
    "at-words": ("x at y dot ", 200 * KB),
    "assignments": ("password=password=", 200 * KB),
    "asterisks": ("*", 200 * KB),
}
MIXED_MB = 1024 * KB
"""One more input: every unit above in turn, to a megabyte."""
BOUND_S = 300
"""Seconds the whole set may take before the subprocess is killed (it takes a few on a laptop)."""

_RUNNER = textwrap.dedent(
    """
    import json, sys
    from workgym.anonymize.patterns import detect_patterns
    cases = json.loads(sys.stdin.read())
    for name, unit, size in cases:
        text = (unit * (size // len(unit) + 1))[:size]
        detect_patterns(text)
        print(name, flush=True)
    """
)


def test_when_text_is_adversarial_then_every_pattern_finishes_in_linear_time() -> None:
    import json

    cases = [(name, unit, size) for name, (unit, size) in ADVERSARIAL.items()]
    mixed = "".join(unit * 50 for unit, _ in ADVERSARIAL.values())
    cases.append(("a megabyte of all of them", mixed, MIXED_MB))
    try:
        done = subprocess.run(
            [sys.executable, "-c", _RUNNER],
            input=json.dumps(cases),
            capture_output=True,
            text=True,
            timeout=BOUND_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        finished = stdout.splitlines()
        stuck = cases[len(finished)][0]
        pytest.fail(f"detect_patterns did not finish {stuck!r} within {BOUND_S} s (finished: {finished})")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [name for name, _, _ in cases]


# -- the restructured patterns find what they found --------------------------------------------


def found(text: str) -> dict[str, str]:
    return {text[s.start : s.end]: s.kind for s in resolve(detect_patterns(text))}


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("from c-73-12-34-56.hsd1.ma.comcast.net.", "c-73-12-34-56.hsd1.ma.comcast.net", "hostname"),
        ("via 1.2.3.4.static.example.de today", "1.2.3.4.static.example.de", "hostname"),
        ("(~jo@10-0-0-1.dyn.example.fr) has joined", "10-0-0-1.dyn.example.fr", "hostname"),
        ("call 555-123-4567 or 555-123-4568 or 555-123-4569", "555-123-4568", "phone"),
        ("an id of 49 digits 1234567890123456789012345678901234567890123456789", "", ""),
        (
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "secret",
        ),
        ("call me +44 20 7946 0958\n", "+44 20 7946 0958", "phone"),
    ],
)
def test_when_a_restructured_pattern_reads_its_cases_then_it_finds_them(
    text: str, value: str, kind: str
) -> None:
    spans = found(text)
    if value:
        assert spans.get(value) == kind, spans
    else:
        assert not spans, spans


def test_when_host_names_end_badly_then_they_are_no_host_names() -> None:
    for text in (
        "see c-73-12-34-56.hsd1.ma.comcast.n3t",  # no letters-only last label
        "see c-73-12-34-56.hsd1.ma.comcast.net_backup",  # part of a longer word
        "see a.1-2-3-4.example.net",  # the numbers are not in the first label
        "see 1.2.3.4",  # an address, not a host name
    ):
        assert "hostname" not in found(text).values(), text


def test_when_private_key_blocks_are_many_or_unfinished_then_each_finished_body_is_one_secret() -> None:
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow{0}\nIBAAKCAQ\n-----END RSA PRIVATE KEY-----"
    text = f"{block.format(1)}\ntext\n{block.format(2)}\n-----BEGIN PRIVATE KEY-----\nMIIEunfinished"
    bodies = [v for v, k in found(text).items() if k == "secret"]
    assert bodies == ["MIIEow1\nIBAAKCAQ", "MIIEow2\nIBAAKCAQ"]
    nested = "-----BEGIN PRIVATE KEY-----\na\n-----BEGIN PRIVATE KEY-----\nb\n-----END PRIVATE KEY-----"
    assert [v for v, k in found(nested).items() if k == "secret"] == [
        "a\n-----BEGIN PRIVATE KEY-----\nb"
    ]  # as the single pattern read it: from the first head to the first end


def test_when_a_phone_is_alone_on_its_line_then_it_is_cued_and_not_when_words_share_the_line() -> None:
    alone = detect_patterns("Regards,\nJo\n   208 336 4844  \nAcme")
    shared = detect_patterns("the totals were 208 336 4844 in all")
    assert [s.confidence for s in alone if s.kind == "phone"] == [0.9]
    assert [s.confidence for s in shared if s.kind == "phone"] == [0.9]
    assert not [s for s in detect_patterns("the totals were 2083 3648 in all") if s.kind == "phone"]
    assert [s.confidence for s in detect_patterns("x\n2083 3648\ny") if s.kind == "phone"] == [0.85]


@pytest.mark.parametrize(
    "text",
    [
        "git clone https://deploy:****@git.example.com/r.git",  # a redacted password
        "https://example.com/cb?token=********&user=****",
        "password = '********'",
        "Bearer ****************",
    ],
)
def test_when_a_value_has_no_letter_or_digit_then_it_is_no_span(text: str) -> None:
    spans = detect_patterns(text)
    assert all(can_identify(text[s.start : s.end]) for s in spans)
    assert "****" not in found(text)
