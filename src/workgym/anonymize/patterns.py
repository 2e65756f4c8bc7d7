"""Layer 2: identifiers with a shape that can be checked, found in any text.

Each detector finds candidates with one regular expression and keeps only those that pass a
check of their own; the confidence says how strong the check was. Values at or above the
anonymizer's threshold (0.8) are learned and replaced everywhere they occur, so a weak shape
(a digit run that *could* be a phone) stays below it unless a cue word backs it up.

Kinds, their checks, and confidence:

* ``email``: an RFC-shaped address (0.99), not a file name (``icon@2x.png``) nor the password of
  ``scheme://user:password@host``. Obfuscated: ``jo [at] example [dot] com`` (0.99); plain
  ``jo.smith at example.com`` only when no English word could be meant: a local part with a dot
  or digit, ``dot`` written out, or a mail header's place (after ``From:``, inside ``<>``/``()``)
  (0.85).
* ``phone``: digit groups with separators, 6-15 digits. Valid in the numbering plan
  (``phonenumbers``; international with ``+``/``00``, else the US plan) and grouped like a phone:
  0.9, 0.95 international. A phone shape only: 0.7, or 0.85 with a cue (``phone``, ``call``,
  ``fax``... before it, ``office``/``mobile`` after it, or the number alone on its line). Never a
  date, a span of years, a version (``4.8.0.2016``, or after ``SDK``/``Studio``), a dotted quad,
  an SSN shape or a row of one-digit numbers.
* ``ip``: IPv4 with octets ≤ 255 (0.9; 0.5 when it reads as a version: every octet under 10, a
  last octet of 0, a path segment, or ``version``/``SDK`` before it; loopback and masks skipped);
  IPv6 validated by :mod:`ipaddress` (0.9). ``mac``: six hex pairs (0.85).
* ``credit_card``: 12-19 digits grouped as cards are, an issuer's prefix and the Luhn checksum
  (0.95); an unbroken run with no card word near it stays at 0.75 (a long id can pass Luhn).
* ``iban``: a country code, that country's length and the mod-97 checksum (0.99).
* ``ssn``: ``123-45-6789`` with a valid area, group and serial (0.85, 0.95 after ``SSN``); nine
  bare digits only after such a cue. ``national_id``: a UK National Insurance number (0.85).
* ``driver_license``: an id with a digit within a few words after ``driver's license``/``DL`` (0.9).
* ``secret``: known key shapes (AWS, GitHub, Slack, Google, Stripe, OpenAI, JWT, a private-key
  block's body) (0.99); a random-looking value after ``password=``, ``api_key:``, ``token is``,
  ``Bearer`` (0.9; a non-random one after ``=``/``:`` 0.7, words and code expressions never); a
  password in a URL (0.95).
* ``hostname``: the host of an IRC user mask (``(~jo@c-1-2-3-4.example.net) has joined``,
  ``nick!user@host``) (0.95), whose ident is a ``handle`` at 0.75 (idents such as ``anonymous`` are
  never learned); a host name embedding an IP address, as ISPs name dynamic hosts (0.85).
* ``url``: identifying parts of a URL: the value of ``user=``, ``email=``, ``name=``... and a
  ``/~user`` home directory (0.85); a token-like ``key=``/``token=``/``sig=`` value is a secret.
* ``domain``: a website, ``http://example.com/`` or ``www.example.com`` (0.6). The workspace
  anonymizer leaves these to the directory, which knows which domains are its organisations'.

Nothing here knows the workspace: known people and their domains are the directory layer's. A
value with no letter or digit (``****``, a redacted password) can identify no one and is never a
span (:func:`can_identify`).

Every pattern runs in time linear in its text, whatever the text: digit groups are possessive (a
run of 60 digits is read one way, not tried in every split), a pattern that may fail after a long
stretch starts only where such a stretch starts (never again inside it), and what would need an
unbounded look back or ahead (a host name's last label, a private key's end marker) is found by a
linear scan and checked in code. ``tests/anonymize/test_patterns_linear.py`` holds the inputs
that once took seconds or hours.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from functools import lru_cache

import phonenumbers

from workgym.anonymize.spans import Span

_LAYER = "pattern"


def _span(kind: str, start: int, end: int, confidence: float) -> Span:
    return Span(kind, start, end, confidence, _LAYER)


def can_identify(value: str) -> bool:
    """Whether ``value`` could identify anyone: it has a letter or a digit (``****`` has neither)."""
    return any(c.isalnum() for c in value)


def _cued(text: str, start: int, cue: re.Pattern[str], window: int = 40) -> bool:
    """Whether ``cue`` occurs in the ``window`` characters before ``start``."""
    return cue.search(text, max(0, start - window), start) is not None


# -- user masks and host names ---------------------------------------------------------------------

_USERMASK = re.compile(
    r"(?:(?<=\()|(?<=!))(~?)([^\s@()!<>]{1,40})@([A-Za-z0-9][\w.\-/:]{0,250}[A-Za-z0-9])(?=\)|\s|$)"
)
_PRESENCE_AFTER = re.compile(r"\)\s*(?:has\s+)?(?:joined|quit|left|parted)\b", re.IGNORECASE)
_FILE_SUFFIXES = frozenset((
    "jar", "aar", "zip", "gz", "tgz", "tar", "js", "apk", "aab", "ipa", "txt", "log", "xml", "json",
    "html", "htm", "png", "jpg", "jpeg", "gif", "svg", "pdf", "java", "class", "dll", "exe", "yml",
    "yaml", "css", "ts", "rb", "db", "go", "kt", "crash", "plist", "deb", "rpm", "dmg", "pkg", "msi",
    "war", "bundle",
))  # fmt: skip
"""Endings of file names that would otherwise read as a top-level domain (``icon@2x.png``)."""
_GENERIC_TLDS = frozenset((
    "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "aero", "coop",
    "museum", "mobi", "asia", "tel", "travel", "jobs", "io", "app", "dev", "cloud", "online", "site",
    "tech", "xyz", "club", "shop", "store", "blog", "live", "email", "solutions", "systems", "network",
    "services",
))  # fmt: skip


def _tld_ok(tld: str) -> bool:
    """Whether ``tld`` can end a host name: a country code or a common generic domain."""
    low = tld.lower()
    return low not in _FILE_SUFFIXES and (len(low) == 2 or low in _GENERIC_TLDS)


_HOST_TOKEN = re.compile(r"(?<![\w.\-])[a-z0-9\-]++(?:\.[a-z0-9\-]++)++", re.IGNORECASE)
"""A whole dotted run of host-name labels (possessive, and never started inside one: linear)."""
_OCTETS = re.compile(r"\d{1,3}[\-.]\d{1,3}[\-.]\d{1,3}[\-.]\d{1,3}")
_HOST_END = re.compile(r"[\w\-]|\.\w")
"""What may not follow a host name (it would be part of a longer word)."""


def _usermasks(text: str) -> list[tuple[Span, Span]]:
    """``ident@host`` of IRC user masks: a handle span and a host span each."""
    out = []
    for m in _USERMASK.finditer(text):
        by_bang = text[m.start() - 1] == "!"
        if not (by_bang or m.group(1) or _PRESENCE_AFTER.match(text, m.end())):
            continue
        host = m.group(3)
        if not any(c in host for c in "./:"):
            continue  # "user@host" in prose, not a network's host name
        kind = "ip" if _ipv4_ok(host) or _ipv6_ok(host) else "hostname"
        out.append(
            (
                _span("handle", m.start(2), m.end(2), 0.75),  # often "PircBot", "anonymous": never learned
                _span(kind, m.start(3), m.end(3), 0.95),
            )
        )
    return out


def _ip_hosts(text: str) -> Iterator[Span]:
    """Host names whose first label starts four numbers (``c-73-12-34-56.hsd1.ma.comcast.net``)."""
    for m in _HOST_TOKEN.finditer(text):
        host = m.group(0)
        tld = host.rpartition(".")[2]
        if not (2 <= len(tld) <= 24 and tld.isalpha()) or not _tld_ok(tld) or _ipv4_ok(host):
            continue
        octets = _OCTETS.search(host)
        if octets is None or octets.start() >= host.index(".") or _HOST_END.match(text, m.end()):
            continue
        yield _span("hostname", m.start(), m.end(), 0.85)


# -- e-mail -----------------------------------------------------------------------------------------

_LOCAL = r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}"
_EMAIL = re.compile(
    rf"(?<![\w.%+\-]){_LOCAL}@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{{0,61}}[A-Za-z0-9])?\.)+([A-Za-z]{{2,24}})(?![\w\-])"
)
_AT_WORD = r"(?:[ \t]*[\[(<{][ \t]*at[ \t]*[\])>}][ \t]*|[ \t]+at[ \t]+)"
_DOT_WORD = r"(?:[ \t]*[\[(<{][ \t]*dot[ \t]*[\])>}][ \t]*|[ \t]+dot[ \t]+)"
_OBFUSCATED = re.compile(
    rf"(?<![\w.%+\-])({_LOCAL}){_AT_WORD}((?:[A-Za-z0-9\-]+(?:\.|{_DOT_WORD}))+[A-Za-z]{{2,24}})(?![\w\-])",
    re.IGNORECASE,
)
_IN_CREDENTIALS = re.compile(r"://[^\s/@:]+:$")
"""Before the password of ``scheme://user:password@host``, which is no e-mail address."""
_HEADER_BEFORE = re.compile(r"(?:from:|to:|cc:|mailto:|[<(])[ \t]*$", re.IGNORECASE)
_HEADER_AFTER = re.compile(r"[ \t]*[>)]|[ \t]+\(")


def _emails(text: str, masks: list[tuple[int, int]]) -> Iterator[Span]:
    if "@" in text:
        # A user mask holds one "@": an address whose "@" is a mask's is that mask.
        masked = {text.index("@", start, end) for start, end in masks}
        for m in _EMAIL.finditer(text):
            at = text.index("@", m.start())
            if m.group(1).lower() in _FILE_SUFFIXES or at in masked:
                continue
            if not _IN_CREDENTIALS.search(text, max(0, m.start() - 100), m.start()):
                yield _span("email", m.start(), m.end(), 0.99)
    low = text.lower()
    if " at " not in low and "at]" not in low and "at)" not in low and "at>" not in low:
        return
    for m in _OBFUSCATED.finditer(text):
        written = m.group(0)[len(m.group(1)) : len(m.group(0)) - len(m.group(2))]
        if written.strip().lower() != "at":  # bracketed: [at] (at) <at>
            yield _span("email", m.start(), m.end(), 0.99)
        elif (
            "dot" in m.group(2).lower()
            or not m.group(1).isalpha()  # jo.smith at, jsmith2 at: no English word
            or _HEADER_BEFORE.search(text, max(0, m.start() - 8), m.start())
            or _HEADER_AFTER.match(text, m.end())
        ):
            yield _span("email", m.start(), m.end(), 0.85)


# -- numbers ----------------------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w+.#/$€£@:%\-])"
    r"(?:\+|00)?(?:\(\d{1,4}+\)|\d{1,4}+)(?:[ \t.\-]?(?:\(\d{1,5}+\)|\d{1,6}+)){1,7}"
    r"(?:[ \t]*+(?:x|ext\.?|extension)[ \t]*+\d{1,6}+)?"
    r"(?![\w@]|[.,:/\-]\d)",
    re.IGNORECASE,
)
_PHONE_CUE = re.compile(
    r"(?<![\w./\-])(?:phone|tel|telephone|call|called|calling|mobile|cell|fax|ph|whatsapp|sms|text me|contact|reach|"
    r"answering|dial|ring|office|home|work|number|no\.)\b",
    re.IGNORECASE,
)
_VERSION_CUE = re.compile(
    r"(?<![\w.])(?:version|ver|sdk|release|build|studio|emulator|firmware|android|ios|xcode|jdk|node|npm|"
    r"chrome|library|update|upgrade|patch)\b|(?<![\w.])v[ \t]*$",
    re.IGNORECASE,
)
"""Words before a dotted number that make it a version (``Studio 4.8.0.2016``, ``SDK 10.0.0.1``)."""
_DATE_LIKE = re.compile(
    r"(?:19|20)\d\d[\-/.][01]?\d[\-/.][0-3]?\d\b"
    r"|^(?:[0-3]?\d[\-/.][0-3]?\d[\-/.](?:19|20)\d\d|(?:19|20)\d\d[\-/](?:19|20)?\d\d)$"
)
"""A number that holds a date, or is a span of years, is not a phone."""
_SSN_SHAPE = re.compile(r"\d{3}-\d{2}-\d{4}")
_PHONE_WORD = re.compile(
    r"(?<![\w./\-])(?:phone|telephone|tel|mobile|cell|fax|whatsapp|desk)\b", re.IGNORECASE
)
_PHONE_LABEL_AFTER = re.compile(
    r"[ \t\-]*\(?(?:office|home|work|mobile|mob|cell|fax|tel|phone)\b", re.IGNORECASE
)
_EXTENSION = re.compile(r"[ \t]*(?:x|ext\.?|extension)[ \t]*\d{1,6}$", re.IGNORECASE)
_ID_CUE = re.compile(
    r"(?:(?<![\w./\-])(?:ids?|identifier|ref|reference|order|ticket|issue|case|comment|build|job|run|"
    r"invoice|bug|pr|rev|revision|item|record|row|key|commit|change|changeset|patch|event|task|"
    r"message|msg|post|thread|node)\b[ \t]*(?:no\.?|nr\.?|number|num)?"
    r"|#)[ \t]*[:#=]?[ \t]*$",
    re.IGNORECASE,
)
"""An id's label right before a number (``comment 194980-1``, ``ID: 5550-12345``, ``#12345678``)."""


def id_like(number: str) -> bool:
    """Whether a digit-group value reads as a record id, not a phone (``194980-1``, ``2024-000123``).

    Two groups of which the last is one digit (a revision, a copy or a check digit) is no
    numbering plan's grouping; nor is a year joined by a dash to a serial (``2024-000123``).
    """
    parts = re.findall(r"\d+", number)
    if len(parts) != 2 or number.startswith(("+", "00", "(")):
        return False
    if len(parts[1]) == 1:
        return True
    return len(parts[0]) == 4 and 1970 <= int(parts[0]) <= 2039 and len(parts[1]) >= 4 and "-" in number


def _own_line(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is all of its line (a phone under an address or in a signature).

    Only the blanks on either side are read, never the whole line: a long line holding many
    numbers is read once, not once per number.
    """
    before = start
    while before > 0 and text[before - 1] != "\n" and text[before - 1].isspace():
        before -= 1
    if before > 0 and text[before - 1] != "\n":
        return False
    after = end
    while after < len(text) and text[after] != "\n" and text[after].isspace():
        after += 1
    return after == len(text) or text[after] == "\n"


@lru_cache(maxsize=8192)
def _valid_phone(number: str) -> bool:
    """Whether ``number`` is valid in its numbering plan (the US plan unless it has ``+``/``00``).

    Kept for the numbers seen last: a signature repeats one number in every mail, and a check
    costs a millisecond for the numbers many countries share (+1).
    """
    try:
        parsed = phonenumbers.parse("+" + number[2:] if number.startswith("00") else number, "US")
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(parsed))


def _phones(text: str) -> Iterator[Span]:
    for m in _PHONE.finditer(text):
        value = m.group(0)
        number = _EXTENSION.sub("", value)
        digits = sum(c.isdigit() for c in number)
        if (
            not 6 <= digits <= 15
            or _DATE_LIKE.search(number)
            or _ipv4_ok(number)
            or _SSN_SHAPE.fullmatch(number)
        ):
            continue
        parts = re.findall(r"\d+", number)
        groups = len(parts)
        international = number.startswith(("+", "00"))
        if (sum(len(p) == 1 for p in parts) > 1 and not international) or (groups == 2 and "." in number):
            continue  # a row of small numbers, a decimal
        if id_like(number) or (
            _cued(text, m.start(), _ID_CUE, 30) and not _cued(text, m.start(), _PHONE_WORD, 30)
        ):
            continue  # a record id: 194980-1, "comment 5550-12345"
        if "." in number and (
            re.search(r"(?:^|\.)\d(?:\.|$)", number) or _cued(text, m.start(), _VERSION_CUE, 25)
        ):
            continue  # a version: 4.8.0.201610060953, 10.0.14393
        shaped = groups >= 3 or "(" in number or international
        if _PHONE_LABEL_AFTER.match(text, m.end()):
            cued = True
        elif groups == 1:
            cued = _cued(text, m.start(), _PHONE_WORD, 20)
        else:
            cued = _cued(text, m.start(), _PHONE_CUE) or _own_line(text, m.start(), m.end())
        if (groups == 1 or digits < 7) and not cued:
            continue
        confidence = 0.0
        if shaped or cued:
            confidence = 0.85 if cued else 0.7
        if shaped and _valid_phone(number):
            confidence = max(confidence, 0.95 if international else 0.9)
        if confidence:
            yield _span("phone", m.start(), m.end(), confidence)


_DIGIT_RUN = re.compile(r"(?<![\w.\-])\d(?:[ \-]?\d){11,18}(?![\w]|[.\-]\d)")
_CARD_CUE = re.compile(
    r"(?<![\w./\-])(?:card|credit|debit|visa|mastercard|amex|cc|cvv|expir\w*)\b", re.IGNORECASE
)
_CARD_PREFIX = re.compile(r"4|5[0-9]|2[2-7]|2131|1800|3[0-9]|6[0-9]")
"""Issuer prefixes: Visa, Mastercard, Maestro, Amex, Diners, JCB, Discover, UnionPay."""


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _cards(text: str) -> Iterator[Span]:
    for m in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if not 12 <= len(digits) <= 19 or not _CARD_PREFIX.match(digits) or not _luhn(digits):
            continue
        grouped = re.fullmatch(r"\d{4}([ \-])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ \-])\d{6}\2\d{4,5}", m.group(0))
        if not grouped and not m.group(0).isdigit():
            continue
        confident = grouped or _cued(text, m.start(), _CARD_CUE)
        yield _span("credit_card", m.start(), m.end(), 0.95 if confident else 0.75)


_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
"""Length of each country's IBAN (the SWIFT IBAN registry)."""

_IBAN = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}")


def _iban_checksum(compact: str) -> bool:
    moved = (compact[4:] + compact[:4]).upper()
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _ibans(text: str) -> Iterator[Span]:
    for m in _IBAN.finditer(text):
        length = _IBAN_LENGTHS.get(m.group(0)[:2].upper())
        if length is None:
            continue
        count, end = 0, m.start()
        for end in range(m.start(), m.end()):
            count += text[end] != " "
            if count == length:
                break
        end += 1
        if count != length or (end < len(text) and text[end].isalnum()):
            continue
        if _iban_checksum(text[m.start() : end].replace(" ", "")):
            yield _span("iban", m.start(), end, 0.99)


_SSN = re.compile(r"(?<![\w\-.])(\d{3})([\- ]?)(\d{2})\2(\d{4})(?![\w\-]|\.\d)")
_SSN_CUE = re.compile(r"(?<![\w./\-])(?:ssn|social security|soc\.? sec\.?|ss#|ss no)", re.IGNORECASE)
_NINO = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)


def _national_ids(text: str) -> Iterator[Span]:
    for m in _SSN.finditer(text):
        area, group, serial = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if area == 0 or area == 666 or area >= 900 or group == 0 or serial == 0:
            continue
        cued = _cued(text, m.start(), _SSN_CUE)
        if m.group(2) or cued:
            yield _span("ssn", m.start(), m.end(), 0.95 if cued else 0.85)
    for m in _NINO.finditer(text):
        yield _span("national_id", m.start(), m.end(), 0.85)


_LICENSE = re.compile(
    r"\b(?:driver'?s?|driving|drivers)[ \t]+licen[cs]e|(?-i:\bDL\b)",
    re.IGNORECASE,
)
_LICENSE_ID = re.compile(r"(?<![\w\-])(?=[A-Za-z\-]*\d)[A-Za-z0-9][A-Za-z0-9\-]{3,19}(?![\w\-])")


def _licenses(text: str) -> Iterator[Span]:
    for cue in _LICENSE.finditer(text):
        m = _LICENSE_ID.search(text, cue.end(), min(len(text), cue.end() + 40))
        if m is not None:
            yield _span("driver_license", m.start(), m.end(), 0.9)


# -- internet addresses -----------------------------------------------------------------------------

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w\-]|\.\w)")
_NOT_PERSONAL_IPS = frozenset({"0.0.0.0", "127.0.0.1", "255.255.255.255"})
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_MAC = re.compile(r"(?<![\w:\-])[0-9A-Fa-f]{2}([:\-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![\w:\-])")


def _ipv4_ok(value: str) -> bool:
    parts = value.split(".")
    return len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts)


def _ipv6_ok(value: str) -> bool:
    if value.count(":") < 2:
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    groups = [g for g in value.split(":") if g]
    return len(groups) >= 3 and not all(g.isdigit() and len(g) <= 2 for g in groups)


def _ips(text: str) -> Iterator[Span]:
    for m in _IPV4.finditer(text):
        value = m.group(0)
        if not _ipv4_ok(value) or value in _NOT_PERSONAL_IPS or value.startswith("255.255."):
            continue
        octets = [int(p) for p in value.split(".")]
        version_like = (
            all(o < 10 for o in octets)
            or octets[-1] == 0
            or (text[m.start() - 1 : m.start()] == "/" and text[m.start() - 2 : m.start()] != "//")
            or _cued(text, m.start(), _VERSION_CUE, 25)
        )
        yield _span("ip", m.start(), m.end(), 0.5 if version_like else 0.9)
    if ":" in text:
        for m in _IPV6.finditer(text):
            if _ipv6_ok(m.group(0)):
                yield _span("ip", m.start(), m.end(), 0.9)
        for m in _MAC.finditer(text):
            if m.group(0).lower().replace("-", ":") not in {"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"}:
                yield _span("mac", m.start(), m.end(), 0.85)


_URL = re.compile(r"\bhttps?://[^\s<>\"'\])}|]+", re.IGNORECASE)
_WWW = re.compile(r"(?<![\w@./\-])www\.[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}(?![\w\-])")
_PERSONAL_PARAMS = re.compile(
    r"[?&;](?:user(?:name|_?id)?|uid|login|email|e-?mail|name|first_?name|last_?name|full_?name|"
    r"phone|tel|mobile|address|author|owner)=([^&#;\s]+)",
    re.IGNORECASE,
)
_SECRET_PARAMS = re.compile(
    r"[?&;](?:token|access_token|api_?key|apikey|key|secret|client_secret|password|passwd|pwd|sig|"
    r"signature|auth|session|sessionid|sid|code)=([^&#;\s]+)",
    re.IGNORECASE,
)
_HOME_DIR = re.compile(r"/~([\w.\-]+)")
_CREDENTIALS = re.compile(r"^[a-z][\w+.\-]*://([^/\s:@]+):([^/\s@]+)@", re.IGNORECASE)


def _urls(text: str) -> Iterator[Span]:
    if "://" in text:
        for m in _URL.finditer(text):
            url = m.group(0).rstrip(".,;:!?")
            base = m.start()
            scheme_end = url.index("://") + 3
            host_end = next((i for i in range(scheme_end, len(url)) if url[i] in "/?#"), len(url))
            if credentials := _CREDENTIALS.match(url):
                if can_identify(credentials.group(2)):  # not a redacted one (user:****@host)
                    yield _span("secret", base + credentials.start(2), base + credentials.end(2), 0.95)
            elif url[host_end:] in ("", "/"):
                yield _span("domain", base, base + len(url), 0.6)
            for q in _PERSONAL_PARAMS.finditer(url):
                yield _span("url", base + q.start(1), base + q.end(1), 0.85)
            for q in _SECRET_PARAMS.finditer(url):
                if len(q.group(1)) >= 8:
                    yield _span("secret", base + q.start(1), base + q.end(1), 0.9)
            for h in _HOME_DIR.finditer(url, host_end):
                yield _span("url", base + h.start(1), base + h.end(1), 0.85)
    if "www." in text:
        for m in _WWW.finditer(text):
            yield _span("domain", m.start(), m.end(), 0.6)


# -- secrets ----------------------------------------------------------------------------------------

_KEYS = re.compile(
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{36,255}\b"
    r"|\bgithub_pat_[A-Za-z0-9_]{22,255}\b"
    r"|\bxox[abposr]-[A-Za-z0-9\-]{10,250}"
    r"|\bAIza[0-9A-Za-z_\-]{35}(?![\w\-])"
    r"|\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,99}\b"
    r"|\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,200}"
    # a JWT starts a base64url run (never inside one: each try would read the run to its end)
    r"|(?<![\w\-])eyJ[A-Za-z0-9_\-]{8,}+\.eyJ[A-Za-z0-9_\-]{8,}+\.[A-Za-z0-9_\-]{8,}+"
    r"|(?<=hooks\.slack\.com/services/)T\w++/B\w++/\w++"
)
_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_KEY_END = re.compile(r"-----END [A-Z ]*PRIVATE KEY-----")
_ASSIGNED = re.compile(
    r"\b(?:password|passwd|pwd|passphrase|secret|client_secret|api[_\-]?key|apikey|access[_\-]?key|"
    r"secret[_\-]?key|access[_\-]?token|auth[_\-]?token|token|private[_\-]?key)\b[\"']?"
    r"[ \t]*(?:[:=]|=>|\bis\b)[ \t]*[\"']?([^\s\"',;`(){}\[\]]{4,200})(?![(\w])"
    r"|\b(?-i:Bearer|Basic)[ \t]+([A-Za-z0-9._~+/=\-]{16,})",
    re.IGNORECASE,
)
_PLACEHOLDERS = frozenset((
    "null", "none", "nil", "true", "false", "undefined", "required", "optional", "string", "yes", "no",
    "empty", "invalid", "wrong", "incorrect", "correct", "changed", "expired", "missing", "set",
))  # fmt: skip


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


_DOTTED_NAME = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?:@\w+)?")


def _random_looking(value: str) -> bool:
    """Long enough, letters and digits mixed, and varied: a key, not a word or a code expression."""
    if len(value) < 8 or _DOTTED_NAME.fullmatch(value) or _entropy(value) < 3.0:
        return False
    lower, upper = any(c.islower() for c in value), any(c.isupper() for c in value)
    digit = any(c.isdigit() for c in value)
    return (digit and (lower or upper)) or (len(value) >= 20 and lower and upper)


_KEY_HINTS = ("AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "AIza",
              "k_live_", "k_test_", "sk-", "eyJ", "hooks.slack.com")  # fmt: skip
"""A cheap first look (``in``, not a regex): every key shape of ``_KEYS`` contains one of these."""
_ASSIGNED_HINTS = ("pass", "pwd", "secret", "key", "token", "bearer", "basic")


def _private_keys(text: str) -> Iterator[Span]:
    """The body of each private-key block: from a BEGIN marker to the first END marker after it.

    The markers are found by two scans, not one pattern with a lazy body: that pattern reads to
    the end of the text from every BEGIN that has no END.
    """
    at = 0
    while (begin := _KEY_BEGIN.search(text, at)) is not None:
        end = _KEY_END.search(text, begin.end())
        if end is None:
            return
        body = text[begin.end() : end.start()]
        lead = len(body) - len(body.lstrip())
        if body.strip():
            start = begin.end() + lead
            yield _span("secret", start, start + len(body.strip()), 0.99)
        at = end.end()


def _secrets(text: str) -> Iterator[Span]:
    if any(hint in text for hint in _KEY_HINTS):
        for m in _KEYS.finditer(text):
            yield _span("secret", m.start(), m.end(), 0.99)
    if "PRIVATE KEY" in text:
        yield from _private_keys(text)
    low = text.lower()
    if not any(hint in low for hint in _ASSIGNED_HINTS):
        return
    for m in _ASSIGNED.finditer(text):
        group = 1 if m.group(1) else 2
        value = m.group(group)
        if value.lower().rstrip(".") in _PLACEHOLDERS or value[0] in "$%{<*[(/~" or len(set(value)) < 3:
            continue
        if _random_looking(value):
            yield _span("secret", m.start(group), m.end(group), 0.9)
        elif (
            group == 1
            and not value.isalpha()
            and not _DOTTED_NAME.fullmatch(value)
            and "is" not in m.group(0)[: m.start(1) - m.start()].lower()
        ):
            yield _span("secret", m.start(group), m.end(group), 0.7)


# -- the layer --------------------------------------------------------------------------------------

_NUMERIC: tuple[Callable[[str], Iterator[Span]], ...] = (
    _phones,
    _cards,
    _ibans,
    _national_ids,
    _ips,
    _ip_hosts,
)


_DIGIT = re.compile(r"\d")


def detect_patterns(text: str) -> list[Span]:
    """Spans of every pattern kind found in ``text`` (overlapping candidates; see ``spans.resolve``)."""
    out: list[Span] = []
    masks: list[tuple[int, int]] = []
    if "@" in text:
        for ident, host in _usermasks(text):
            out += (ident, host)
            masks.append((ident.start, host.end))
    out.extend(_emails(text, masks))
    if _DIGIT.search(text):
        for detect in _NUMERIC:
            out.extend(detect(text))
        if "icen" in text or "DL" in text:
            out.extend(_licenses(text))
    elif ":" in text:
        out.extend(_ips(text))
    out.extend(_urls(text))
    out.extend(_secrets(text))
    return [s for s in out if can_identify(text[s.start : s.end])]
