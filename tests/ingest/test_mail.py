"""mbox, maildir and .eml reading: records, identities, quarantine and detection."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from workgym.ingest import mail
from workgym.ingest.base import SNIFF_BYTES, Item
from workgym.model import Email, Identity, Quarantined

# A mailbox with a reply chain, a forward, quoting, mboxrd ">From " lines, a Latin-1 message, a
# message whose headers are not headers, and a last message without Message-ID.
MBOX = b"""From jo@example.com Fri Jun  5 14:31:59 2015
From: Jo Smith <Jo@Example.com>
To: Team <team@example.com>
Cc: bo@example.org
Date: Fri, 5 Jun 2015 16:31:59 +0200
Subject: Release plan
Message-ID: <plan-1@example.com>

Hi all,

Let's ship on Friday.

From the start we knew it would be tight.

--
Jo

From bo@example.org Fri Jun  5 15:02:00 2015
From: Bo Berg <bo@example.org>
To: jo@example.com
Date: Fri, 5 Jun 2015 15:02:00 +0000
Subject: Re: Release plan
Message-ID: <plan-2@example.org>
In-Reply-To: <plan-1@example.com>
References: <plan-1@example.com>

On Fri, Jun 5, 2015 Jo Smith wrote:
> Let's ship on Friday.

Friday works.
>From my side, all set.
>>From the log: ok

From jo@example.com Fri Jun  5 15:30:00 2015
From: Jo Smith <jo@example.com>
To: al@example.net
Date: Fri, 5 Jun 2015 15:30:00 +0000
Subject: Fwd: Re: Release plan
Message-ID: <plan-3@example.com>
In-Reply-To: <plan-2@example.org>
References: <plan-1@example.com>
 <plan-2@example.org>

FYI

---------- Forwarded message ---------
From: Bo Berg <bo@example.org>
Date: Fri, Jun 5, 2015 at 3:02 PM
Subject: Re: Release plan

Friday works.

From al@example.net Sat Jun  6 09:00:00 2015
From: =?iso-8859-1?q?Al_M=FCller?= <al@example.net>
To: jo@example.com
Date: Sat, 6 Jun 2015 09:00:00 +0200
Subject: =?iso-8859-1?q?R=E9sum=E9?= attached
Message-ID: <resume@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: 8bit

Gr\xfc\xdfe aus M\xfcnchen

From nobody Sat Jun  6 10:00:00 2015
This line is not a header at all
and neither is this one.

From cy@example.com Sat Jun  6 11:00:00 2015
From: cy@example.com
Date: Sat, 6 Jun 2015 11:00:00 +0000
Subject: no id

bye
"""

# A pipermail monthly archive: addresses obfuscated as "jo at example.com".
PIPERMAIL = b"""From jo at example.com  Fri Jun  5 14:31:59 2015
From: jo at example.com (Jo Smith)
Date: Fri, 05 Jun 2015 14:31:59 +0000
Subject: [Dspace-devel] Solr upgrade
In-Reply-To: <CAx1@mail.gmail.com>
References: <CAx1@mail.gmail.com>
Message-ID: <5571B2AF.1@example.com>

On 06/05/2015 Bo Berg wrote:
> Should we upgrade?

Yes. Mail me at jo at example.com if it breaks.

From bo.berg at example.org  Fri Jun  5 15:00:00 2015
From: bo.berg at example.org (Bo Berg)
Date: Fri, 05 Jun 2015 15:00:00 +0000
Subject: [Dspace-devel] Solr upgrade
In-Reply-To: <5571B2AF.1@example.com>
References: <CAx1@mail.gmail.com> <5571B2AF.1@example.com>
Message-ID: <CAx2@mail.gmail.com>

Thanks!

"""

MULTIPART = b"""From: Jo Smith <jo@example.com>
To: bo@example.org
Date: Mon, 8 Jun 2015 09:00:00 -0400
Subject: Slides
Message-ID: <slides@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Slides attached =E2=80=94 see p. 3.

Jo
--inner
Content-Type: text/html; charset=utf-8

<p>Slides attached</p>
--inner--
--outer
Content-Type: application/pdf
Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer
Content-Type: image/png; name="chart.png"
Content-Disposition: inline; filename="chart.png"
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--outer--
"""

HTML_ONLY = b"""Received: from mx.example.com by mail.example.org; Mon, 8 Jun 2015 10:00:00 +0000
From: News <news@example.com>
To: jo@example.com
Date: Mon, 8 Jun 2015 10:00:00 +0000
Subject: Weekly news
Content-Type: text/html; charset=utf-8

<html><head><style>p { color: red }</style></head>
<body><p>Hello <b>team</b>,</p>
<p>Line&nbsp;one<br>Line two</p><!-- tracking --></body></html>
"""


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _line_of(data: bytes, prefix: bytes) -> int:
    """The 1-based number of the first line starting with ``prefix``."""
    for number, line in enumerate(data.split(b"\n"), 1):
        if line.startswith(prefix):
            return number
    raise AssertionError(f"no line starts with {prefix!r}")


def _emails(items: Iterable[Item]) -> dict[str, Email]:
    return {item.id: item for item in items if isinstance(item, Email)}


def _quarantined(items: Iterable[Item]) -> list[Quarantined]:
    return [item for item in items if isinstance(item, Quarantined)]


def _identities(items: Iterable[Item]) -> dict[str, Identity]:
    return {item.key: item for item in items if isinstance(item, Identity)}


@pytest.fixture
def mbox_items(tmp_path: Path) -> list[Item]:
    path = _write(tmp_path / "team.mbox", MBOX)
    return list(mail.parse_mbox(path, "mail/team.mbox"))


# --- mbox ------------------------------------------------------------------------------------


def test_when_mbox_is_read_then_each_message_is_an_email_or_quarantined(mbox_items: list[Item]) -> None:
    emails = _emails(mbox_items)
    quarantined = _quarantined(mbox_items)
    assert len(emails) == 5
    assert len(quarantined) == 1
    separators = re.findall(rb"(?m)^From \S+ .* \d\d:\d\d:\d\d \d{4}$", MBOX)
    assert len(separators) == len(emails) + len(quarantined)


def test_when_mbox_is_read_then_locators_give_the_from_line(mbox_items: list[Item]) -> None:
    emails = _emails(mbox_items)
    assert emails["plan-1@example.com"].locator == "mail/team.mbox:1"
    assert emails["plan-2@example.org"].locator == f"mail/team.mbox:{_line_of(MBOX, b'From bo@example.org')}"
    assert emails["resume@example.net"].locator == f"mail/team.mbox:{_line_of(MBOX, b'From al@example.net')}"


def test_when_message_replies_then_in_reply_to_and_references_are_ids(mbox_items: list[Item]) -> None:
    emails = _emails(mbox_items)
    assert emails["plan-1@example.com"].in_reply_to == ""
    assert emails["plan-2@example.org"].in_reply_to == "plan-1@example.com"
    assert emails["plan-2@example.org"].references == ("plan-1@example.com",)
    # A folded References header still gives every id.
    assert emails["plan-3@example.com"].references == ("plan-1@example.com", "plan-2@example.org")
    assert all(email.thread_id == "" for email in emails.values())


def test_when_body_has_quotes_and_signature_then_they_are_kept_as_written(mbox_items: list[Item]) -> None:
    emails = _emails(mbox_items)
    assert emails["plan-1@example.com"].body == (
        "Hi all,\n\nLet's ship on Friday.\n\nFrom the start we knew it would be tight.\n\n--\nJo\n"
    )
    assert "> Let's ship on Friday.\n" in emails["plan-2@example.org"].body


def test_when_body_has_mboxrd_quoted_from_then_one_quote_is_removed(mbox_items: list[Item]) -> None:
    body = _emails(mbox_items)["plan-2@example.org"].body
    assert "\nFrom my side, all set.\n>From the log: ok\n" in body


def test_when_message_forwards_then_forwarded_block_stays_in_body(mbox_items: list[Item]) -> None:
    email = _emails(mbox_items)["plan-3@example.com"]
    assert email.subject == "Fwd: Re: Release plan"
    assert "---------- Forwarded message ---------\nFrom: Bo Berg <bo@example.org>\n" in email.body
    assert email.body.endswith("Friday works.\n")


def test_when_charset_is_latin1_then_body_and_headers_are_decoded(mbox_items: list[Item]) -> None:
    email = _emails(mbox_items)["resume@example.net"]
    assert email.body == "Grüße aus München\n"
    assert email.subject == "Résumé attached"
    assert _identities(mbox_items)["email:al@example.net"].display_name == "Al Müller"


def test_when_headers_are_not_headers_then_message_is_quarantined(mbox_items: list[Item]) -> None:
    (bad,) = _quarantined(mbox_items)
    line = _line_of(MBOX, b"From nobody")
    assert bad.locator == f"mail/team.mbox:{line}"
    assert bad.reason.startswith("no header block")
    assert f"mail/team.mbox line {line}" in bad.reason
    assert "This line is not a header at all" in bad.raw


def test_when_addresses_are_named_then_keys_are_lowercased_email_keys(mbox_items: list[Item]) -> None:
    email = _emails(mbox_items)["plan-1@example.com"]
    assert email.sender == "email:jo@example.com"
    assert email.to == ("email:team@example.com",)
    assert email.cc == ("email:bo@example.org",)
    assert email.date == "2015-06-05T14:31:59+00:00"
    assert email.mailbox == "team"


def test_when_address_appears_in_many_messages_then_one_identity_with_its_name(
    mbox_items: list[Item],
) -> None:
    identities = [item for item in mbox_items if isinstance(item, Identity)]
    keys = [identity.key for identity in identities]
    # bo@example.org is first seen without a name (Cc) and again with one (From): yielded twice.
    assert keys.count("email:jo@example.com") == 1
    assert keys.count("email:bo@example.org") == 2
    by_key = _identities(mbox_items)
    assert by_key["email:jo@example.com"].display_name == "Jo Smith"
    assert by_key["email:jo@example.com"].emails == ("jo@example.com",)
    assert by_key["email:team@example.com"].display_name == "Team"
    assert by_key["email:bo@example.org"].display_name == "Bo Berg"
    assert {"email:al@example.net", "email:cy@example.com"} <= set(by_key)


def test_when_message_id_is_absent_then_id_is_a_stable_hash_of_the_message(
    tmp_path: Path, mbox_items: list[Item]
) -> None:
    email = next(e for e in _emails(mbox_items).values() if e.subject == "no id")
    assert email.id.startswith("workgym-") and email.id.endswith("@generated")
    assert len(email.id) == len("workgym-") + 16 + len("@generated")
    # The same message as an .eml file gets the same id.
    start = MBOX.index(b"From: cy@example.com")
    eml = _write(tmp_path / "cy.eml", MBOX[start:])
    (again,) = _emails(mail.parse_eml(eml, "cy.eml")).values()
    assert again.id == email.id


def test_when_pipermail_archive_then_obfuscated_addresses_are_restored_in_headers_only(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path / "dspace-devel" / "2015-June.txt", PIPERMAIL)
    assert mail.detect_mbox(path, PIPERMAIL[:SNIFF_BYTES])
    items = list(mail.parse_mbox(path, "dspace-devel/2015-June.txt"))
    emails = _emails(items)
    first = emails["5571B2AF.1@example.com"]
    assert first.sender == "email:jo@example.com"
    assert first.mailbox == "2015-June"
    assert "Mail me at jo at example.com if it breaks." in first.body
    assert first.body.startswith("On 06/05/2015 Bo Berg wrote:\n> Should we upgrade?\n")
    second = emails["CAx2@mail.gmail.com"]
    assert second.locator == f"dspace-devel/2015-June.txt:{_line_of(PIPERMAIL, b'From bo.berg at')}"
    assert second.references == ("CAx1@mail.gmail.com", "5571B2AF.1@example.com")
    identities = _identities(items)
    assert identities["email:jo@example.com"].display_name == "Jo Smith"
    assert identities["email:bo.berg@example.org"].display_name == "Bo Berg"
    assert not _quarantined(items)


def test_when_pipermail_archive_is_gzipped_then_it_reads_the_same(tmp_path: Path) -> None:
    plain = _write(tmp_path / "2015-June.txt", PIPERMAIL)
    packed = _write(tmp_path / "2015-June.txt.gz", gzip.compress(PIPERMAIL))
    assert mail.detect_mbox(packed, packed.read_bytes()[:SNIFF_BYTES])
    from_plain = list(mail.parse_mbox(plain, "2015-June.txt"))
    from_packed = list(mail.parse_mbox(packed, "2015-June.txt"))
    assert from_packed == from_plain


def test_when_gzip_is_truncated_then_the_rest_is_quarantined(tmp_path: Path) -> None:
    archive = b"".join(PIPERMAIL.replace(b"<CAx2@", f"<{n}-{n * n:x}@".encode()) for n in range(2000))
    packed = gzip.compress(archive)
    path = _write(tmp_path / "2015-July.txt.gz", packed[: len(packed) // 2])
    items = list(mail.parse_mbox(path, "2015-July.txt.gz"))
    emails = [item for item in items if isinstance(item, Email)]
    (cut,) = _quarantined(items)
    assert emails
    assert cut.reason.startswith("unreadable mbox: 2015-July.txt.gz line ")
    assert "EOFError" in cut.reason
    # The cut message is the one after the last read: its locator is free.
    assert cut.locator not in {email.locator for email in emails}
    assert int(cut.locator.rsplit(":", 1)[1]) > max(int(e.locator.rsplit(":", 1)[1]) for e in emails)


def test_when_mbox_file_is_empty_then_no_records(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.mbox", b"")
    assert mail.detect_mbox(path, b"")
    assert list(mail.parse_mbox(path, "empty.mbox")) == []


def test_when_message_exceeds_the_limit_then_it_is_quarantined_and_the_next_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail, "MAX_MESSAGE_BYTES", 4096)
    big = (
        b"From a@example.com Fri Jun  5 14:31:59 2015\n"
        b"From: a@example.com\nMessage-ID: <big@example.com>\n\n" + b"y" * 10_000 + b"\n\n"
    )
    small = b"From b@example.com Fri Jun  5 14:32:59 2015\nFrom: b@example.com\nMessage-ID: <small@x>\n\nhi\n"
    path = _write(tmp_path / "big.mbox", big + small)
    items = list(mail.parse_mbox(path, "big.mbox"))
    (too_big,) = _quarantined(items)
    assert too_big.locator == "big.mbox:1"
    assert too_big.reason.startswith("message of 10")
    assert "exceeds the 4096 byte limit" in too_big.reason
    assert "From: a@example.com" in too_big.raw
    assert list(_emails(items)) == ["small@x"]


def test_when_one_line_is_longer_than_a_read_then_lines_are_still_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail, "READ_BYTES", 64)  # longer than the From_ lines, shorter than the body
    path = _write(tmp_path / "long.mbox", PIPERMAIL.replace(b"Thanks!", b"Thanks! " + b"z" * 100))
    emails = _emails(mail.parse_mbox(path, "long.mbox"))
    assert emails["CAx2@mail.gmail.com"].locator == f"long.mbox:{_line_of(PIPERMAIL, b'From bo.berg at')}"
    assert emails["CAx2@mail.gmail.com"].body.startswith("Thanks! zzz")


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        # NUL and other control bytes in a header line
        (
            b"From: a@example.com\nX-Junk: \x00\x01\x02\x03\nSubject: x\n\nbody\n",
            "binary garbage in header line 2",
        ),
        # headers, but none that says who, when or which message
        (b"Subject: hello\nTo: a@example.com\n\nbody\n", "malformed headers: no From, Date or Message-ID"),
        # a body with no header block before it
        (b"\nJust a body.\n", "no header block"),
    ],
    ids=["binary-header", "no-from-date-id", "no-header-block"],
)
def test_when_headers_are_malformed_then_message_is_quarantined(
    tmp_path: Path, message: bytes, reason: str
) -> None:
    good = b"From: ok@example.com\nMessage-ID: <ok@x>\n\nfine\n"
    data = b"From x Fri Jun  5 14:31:59 2015\n" + message + b"\nFrom y Fri Jun  5 14:32:00 2015\n" + good
    path = _write(tmp_path / "bad.mbox", data)
    items = list(mail.parse_mbox(path, "bad.mbox"))
    (bad,) = _quarantined(items)
    assert bad.locator == "bad.mbox:1"
    assert bad.reason.startswith(reason)
    assert "bad.mbox line 1" in bad.reason
    assert list(_emails(items)) == ["ok@x"]


def test_when_header_has_invalid_utf8_then_it_is_still_read(tmp_path: Path) -> None:
    data = (
        b"From x Fri Jun  5 14:31:59 2015\n"
        b"From: Ren\xe9 <rene@example.com>\nSubject: Caf\xe9 cr\xe8me\nMessage-ID: <l1@x>\n\nbody\n\n"
        b"From y Fri Jun  5 14:32:00 2015\n"
        b"From: =?utf-8?b?SsO2cmc=?= <jorg@example.com>\nSubject: Caf\xc3\xa9 \xe2\x98\x95\nMessage-ID: <u8@x>\n\nb\n"
    )
    items = list(mail.parse_mbox(_write(tmp_path / "8bit.mbox", data), "8bit.mbox"))
    emails = _emails(items)
    assert emails["l1@x"].subject == "Café crème"
    assert emails["u8@x"].subject == "Café ☕"
    identities = _identities(items)
    assert identities["email:rene@example.com"].display_name == "René"
    assert identities["email:jorg@example.com"].display_name == "Jörg"


def test_when_text_precedes_the_first_from_line_then_it_is_quarantined(tmp_path: Path) -> None:
    data = b"garbage before\n\n" + PIPERMAIL
    items = list(mail.parse_mbox(_write(tmp_path / "pre.mbox", data), "pre.mbox"))
    (pre,) = _quarantined(items)
    assert pre.locator == "pre.mbox:1"
    assert pre.reason.startswith("text before the first From_ line")
    assert _emails(items)["5571B2AF.1@example.com"].locator == "pre.mbox:3"


def test_when_date_is_unparseable_then_date_is_empty(tmp_path: Path) -> None:
    data = (
        b"From x Fri Jun  5 14:31:59 2015\nFrom: a@example.com\nDate: sometime soon\nMessage-ID: <d@x>\n\nb\n"
    )
    (email,) = _emails(mail.parse_mbox(_write(tmp_path / "d.mbox", data), "d.mbox")).values()
    assert email.date == ""


# --- maildir ---------------------------------------------------------------------------------


def _message(message_id: str, sender: str = "jo@example.com") -> bytes:
    return f"From: {sender}\nTo: bo@example.org\nSubject: {message_id}\nMessage-ID: <{message_id}>\n\nhi\n".encode()


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    root = tmp_path / "Maildir"
    for folder in (root, root / ".Sent"):
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True)
    _write(root / "cur" / "1433514719.M1P2.host:2,S", _message("read@x"))
    _write(root / "new" / "1433514800.M3P4.host", _message("unread@x"))
    _write(root / "tmp" / "1433514900.M5P6.host", _message("delivering@x"))
    _write(root / ".Sent" / "cur" / "1433515000.M7P8.host:2,S", _message("sent@x", "bo@example.org"))
    _write(root / "cur" / "1433514720.M9P9.host:2,", b"\x00\x01 not mail\n\nbody\n")
    return root


def test_when_folder_has_cur_and_new_then_it_is_a_maildir(maildir: Path, tmp_path: Path) -> None:
    assert mail.detect_maildir(maildir)
    assert mail.detect_maildir(maildir / ".Sent")
    assert not mail.detect_maildir(tmp_path)


def test_when_maildir_is_read_then_cur_new_and_subfolders_are_messages(maildir: Path) -> None:
    items = list(mail.parse_maildir(maildir, "mail/Maildir"))
    emails = _emails(items)
    assert set(emails) == {"read@x", "unread@x", "sent@x"}  # tmp/ is still being delivered
    assert emails["read@x"].locator == "mail/Maildir/cur/1433514719.M1P2.host:2,S"
    assert emails["unread@x"].locator == "mail/Maildir/new/1433514800.M3P4.host"
    assert emails["sent@x"].locator == "mail/Maildir/.Sent/cur/1433515000.M7P8.host:2,S"
    assert emails["read@x"].mailbox == "Maildir"
    assert emails["sent@x"].mailbox == "Sent"
    (bad,) = _quarantined(items)
    assert bad.locator == "mail/Maildir/cur/1433514720.M9P9.host:2,"
    assert bad.reason.startswith("binary garbage in header line 1")


def test_when_maildir_message_exceeds_the_limit_then_it_is_quarantined(
    maildir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail, "MAX_MESSAGE_BYTES", 50)
    items = list(mail.parse_maildir(maildir, ""))
    assert not _emails(items)
    reasons = {q.locator: q.reason for q in _quarantined(items)}
    size = len(_message("read@x"))
    assert reasons["cur/1433514719.M1P2.host:2,S"].startswith(
        f"message of {size} bytes exceeds the 50 byte limit"
    )


# --- .eml ------------------------------------------------------------------------------------


def test_when_eml_is_multipart_then_plain_part_is_body_and_files_are_attachments(tmp_path: Path) -> None:
    path = _write(tmp_path / "Inbox" / "slides.eml", MULTIPART)
    assert mail.detect_eml(path, MULTIPART[:SNIFF_BYTES])
    items = list(mail.parse_eml(path, "export/Inbox/slides.eml"))
    (email,) = _emails(items).values()
    assert email.locator == "export/Inbox/slides.eml"
    assert email.body == "Slides attached — see p. 3.\n\nJo"
    assert email.attachments == ("résumé.pdf", "chart.png")
    assert email.mailbox == "Inbox"
    assert email.date == "2015-06-08T13:00:00+00:00"
    assert set(_identities(items)) == {"email:jo@example.com", "email:bo@example.org"}


def test_when_eml_has_only_html_then_body_is_its_text(tmp_path: Path) -> None:
    path = _write(tmp_path / "news", HTML_ONLY)
    (email,) = _emails(mail.parse_eml(path, "news")).values()
    assert email.body == "Hello team,\n\nLine one\nLine two"
    assert email.mailbox == ""


def test_when_eml_is_empty_then_no_records(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.eml", b"")
    assert mail.detect_eml(path, b"")
    assert list(mail.parse_eml(path, "empty.eml")) == []


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("news", HTML_ONLY, True),  # Received: first, no extension
        ("message.txt", b"Message-ID: <a@b>\nSubject: x\n\nbody", True),  # Message-ID named
        ("notes.txt", b"Subject: notes\nAuthor: jo\n\nbody", False),  # headers, but no mail header
        ("ci.yml", b"from: staging\nto: production\nsteps: 3\n", False),  # YAML keys named like headers
        ("readme.md", b"# Title\n\nFrom: here to there", False),  # prose
        ("team.mbox", MBOX, False),  # an mbox is not one message
        ("data.json", b'{"From": "a@b"}', False),  # JSON
    ],
)
def test_when_file_is_sniffed_then_eml_is_recognised_by_its_headers(
    name: str, head: bytes, expected: bool
) -> None:
    assert mail.detect_eml(Path(name), head[:SNIFF_BYTES]) is expected


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("2015-June.txt", PIPERMAIL, True),  # pipermail archive named .txt
        ("inbox", MBOX, True),  # no extension
        ("notes.txt", b"From here on we use Solr.\nIt works.\n", False),  # prose starting "From "
        ("slides.eml", MULTIPART, False),  # one message without From_ line
        ("2015-June.txt.gz", b"not gzip at all", False),  # .gz that is not gzip
    ],
)
def test_when_file_is_sniffed_then_mbox_is_recognised_by_from_line_and_headers(
    name: str, head: bytes, expected: bool
) -> None:
    assert mail.detect_mbox(Path(name), head[:SNIFF_BYTES]) is expected


def test_when_formats_are_listed_then_mail_formats_are_exported() -> None:
    assert [f.name for f in mail.FORMATS] == ["mbox", "maildir", "eml"]
    assert mail.FORMAT_MAILDIR.detect_dir is not None and mail.FORMAT_MAILDIR.detect_file is None


def _sender_of(tmp_path: Path, header: str) -> tuple[str, dict[str, Identity]]:
    """The sender key and the identities of one message whose From header is ``header``."""
    raw = f"From: {header}\nTo: dev@lists.example.org\nSubject: s\nMessage-ID: <m1@example.org>\n\nbody\n"
    path = _write(tmp_path / "m.eml", raw.encode("utf-8"))
    items = list(mail.parse_eml(path, "m.eml"))
    (email,) = _emails(items).values()
    return email.sender, _identities(items)


@pytest.mark.parametrize(
    ("header", "sender", "name"),
    [
        ("Jo Smith <jo@example.org>", "email:jo@example.org", "Jo Smith"),  # plain
        ("jo@example.org (Jo Smith)", "email:jo@example.org", "Jo Smith"),  # address (Full Name)
        ("jo at example.org (Jo Smith)", "email:jo@example.org", "Jo Smith"),  # pipermail
        ("Jo Smith <jo (at) example (dot) org>", "email:jo@example.org", "Jo Smith"),  # (at) (dot)
        ("Jo Smith <jo [at] example [dot] org>", "email:jo@example.org", "Jo Smith"),  # [at] [dot]
        ('"Smith, Jo" <jo AT example DOT org>', "email:jo@example.org", "Smith, Jo"),  # upper case
        ("jo.smith(a)example.org", "email:jo.smith@example.org", ""),  # hyperkitty's (a)
        ("Jo Smith <jo＠example.org>", "email:jo@example.org", "Jo Smith"),  # a look-alike @
        ("jo@example (dot) org", "email:jo@example.org", ""),  # (dot) read as a comment otherwise
        ("=?utf-8?q?J=C3=B6_Smith?= <jo@example.org>", "email:jo@example.org", "Jö Smith"),  # RFC 2047
        ("=?utf-8?q?J=C3=B6_Smith_=3Cjo=40example=2Eorg=3E?=", "email:jo@example.org", "Jö Smith"),
        ("Jo Smith <j...@example.org>", "name:Jo Smith", "Jo Smith"),  # truncated: no address
        ("Jo Smith via Dev <dev@lists.example.org>", "name:Jo Smith", "Jo Smith"),  # the list's
        ("Jo Smith", "name:Jo Smith", "Jo Smith"),  # a name alone
    ],
)
def test_when_an_archive_writes_a_sender_then_the_person_is_read_back(
    tmp_path: Path, header: str, sender: str, name: str
) -> None:
    found, identities = _sender_of(tmp_path, header)
    assert found == sender
    assert identities[sender].display_name == name
    assert all(
        a.count("@") == 1 and "." in a.rpartition("@")[2] for i in identities.values() for a in i.emails
    )


@pytest.mark.parametrize(
    "header",
    [
        "jo...@example.org",  # truncated, and no name
        "jo@xxxxxxxx.xxx",  # masked
        "undisclosed-recipients:;",  # a group with no one in it
    ],
)
def test_when_a_sender_cannot_be_read_then_it_is_unresolved_not_a_bogus_address(
    tmp_path: Path, header: str
) -> None:
    found, identities = _sender_of(tmp_path, header)
    assert found == ""
    assert not [k for k in identities if k != "email:dev@lists.example.org"]


def test_when_many_senders_are_obfuscated_then_each_stays_a_person_of_their_own(tmp_path: Path) -> None:
    senders = [f"user{n} at host{n} dot example dot org (User {n})" for n in range(5)]
    keys = {_sender_of(tmp_path, header)[0] for header in senders}
    assert keys == {f"email:user{n}@host{n}.example.org" for n in range(5)}
