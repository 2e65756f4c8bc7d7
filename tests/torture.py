"""Hostile text and the sources that carry it: one writer per export format workgym reads.

Each writer puts a text into a record of its format the way the tool that exports it would have
written it (JSON escapes, RFC 2047 words, iCalendar escaping and folding, HTML entities, a Word
paragraph) and returns the :class:`Probe` that finds it again in the workspace, with the text a
reader must get back. The text is planted between two sentinel words, so a reader that trims a
field's ends still shows all of it, and the probe compares exactly what lies between them.

What each format cannot carry is left out by its writer, and said so in its docstring (a Word
paragraph holds no control character; a git message no NUL; a PDF made here only cp1252 letters).
"""

from __future__ import annotations

import base64
import html
import json
import quopri
import re
import subprocess
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

BEGIN = "torturebegin"
END = "tortureend"
"""The sentinel words around every planted text (lower case, no digits: nothing to anonymize)."""

# fmt: off
SEPARATORS = ("\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")
"""Every character ``str.splitlines`` ends a line at besides CR and LF."""
CONTROLS = ("\x00", "\x01", "\x07", "\x08", "\x1b", "\x1f", "\x7f", "\x80", "\x81", "\x8d", "\x9b", "\x9f")
"""NUL, C0 and C1 controls (0x81 and 0x8d are undefined in cp1252)."""
BIDI = ("\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f")
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
COMBINING = ("e\u0301", "a\u0308\u0323", "n\u0303", "\u0915\u094d\u0937")
EMOJI = ("\U0001f469\u200d\U0001f4bb", "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
         "\U0001f3f3\ufe0f\u200d\U0001f308", "\U0001f44d\U0001f3fd", "\U0001f1e9\U0001f1ea")
LINE_ENDS = ("\r\n", "\r", "\n")
WORDS = ("caf\u00e9", "na\u00efve", "\u03c9\u03bc\u03ad\u03b3\u03b1", "\u65e5\u672c\u8a9e", "\U0001d518\U0001d52b",
         "stra\u00dfe", "\u20ac", "\u201cquoted\u201d", "\u2014", "\u00c5ngstr\u00f6m", "torture", "a & b < c",
         " ", "\t", "plain words")
# fmt: on
PIECES = (*SEPARATORS, *CONTROLS, *BIDI, *ZERO_WIDTH, *COMBINING, *EMOJI, *LINE_ENDS, *WORDS)
LONE_SURROGATES = ("\ud800", "\udbff", "\udc00", "\udfff")
"""Written only into JSON sources, as ``\\ud800`` escapes; a reader shows each as U+FFFD."""
_SURROGATE = re.compile("[\ud800-\udfff]")

LATIN1 = "".join(chr(c) for c in range(0x20, 0x7F)) + "".join(chr(c) for c in range(0xC0, 0x100))
"""Latin-1 text no byte of which can continue a UTF-8 sequence (no 0x80-0xBF): read as either, it is one text."""
CP1252_EXTRA = "\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178"
"""The letters cp1252 puts where latin-1 has C1 controls."""


def torture_text(*, surrogates: bool = False, max_pieces: int = 12) -> st.SearchStrategy[str]:
    """Texts made of the pieces above, any Unicode between them, optionally lone surrogates."""
    pieces: list[st.SearchStrategy[str]] = [
        st.sampled_from(PIECES),
        st.text(st.characters(codec="utf-8"), max_size=4),
    ]
    if surrogates:
        pieces.append(st.sampled_from(LONE_SURROGATES))
    return st.lists(st.one_of(*pieces), min_size=1, max_size=max_pieces).map("".join)


def planted(text: str) -> str:
    """The text between the sentinels, as a writer plants it."""
    return f"{BEGIN} {text} {END}"


def between(stored: str) -> str | None:
    """What lies between the sentinels in a stored text (None when they are not both there)."""
    start = stored.find(BEGIN + " ")
    end = stored.rfind(" " + END)
    if start < 0 or end < start + len(BEGIN):
        return None
    return stored[start + len(BEGIN) + 1 : end]


def as_json_reads(text: str) -> str:
    """What a JSON reader keeps of a text: surrogate pairs joined, a lone surrogate as U+FFFD."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _unseen() -> re.Pattern[str]:
    """A class of every spacing, control, format and surrogate code point (categories Z*, Cc, Cf, Cs).

    Planes 2-13 and 15-16 hold none of them (they are ideographs, unassigned or private use).
    """
    ranges: list[str] = []
    start = None
    for code in (*range(0x20000), *range(0xE0000, 0xE1001)):
        unseen = code <= 0xE0FFF and unicodedata.category(chr(code)) in ("Cc", "Cf", "Zl", "Zp", "Zs", "Cs")
        if unseen and start is None:
            start = code
        elif not unseen and start is not None:
            ranges.append(f"\\U{start:08x}-\\U{code - 1:08x}")
            start = None
    return re.compile("[" + "".join(ranges) + "]")


_UNSEEN = _unseen()


def visible(text: str) -> str:
    """What a person sees of a text wherever whitespace is re-flowed: no spacing, control or format characters."""
    return _UNSEEN.sub("", text)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
"""Unicode's control characters (category Cc)."""
_CONTROL_BUT_TAB_LF = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""What a Word document cannot hold (python-docx refuses C0/C1 controls; XML 1.0 the rest)."""


@dataclass(frozen=True)
class Probe:
    """Where a planted text lands in the workspace, and what must be read there.

    Attributes:
        table: the record table.
        key: the column that finds the record, and its value.
        column: the text column the text is in.
        expected: the text between the sentinels a reader must store.
        exact: compare exactly; else compare :func:`visible` text (HTML and PDF re-flow whitespace).
    """

    table: str
    key: tuple[str, str]
    column: str
    expected: str
    exact: bool = True


Writer = Callable[[Path, str], list[Probe]]
"""A writer: makes a source under the folder with the text planted; the probes that find it."""


# --- chat ------------------------------------------------------------------------------------------


def _json(value: object, text: str) -> str:
    """JSON as exporters write it: raw UTF-8, escapes only where a lone surrogate needs one."""
    return json.dumps(value, ensure_ascii=_SURROGATE.search(text) is not None, indent=1)


def write_slack(root: Path, text: str) -> list[Probe]:
    """A Slack export: the text in a message and in the channel's purpose (JSON, lone surrogates escaped)."""
    export = root / "slack"
    (export / "general").mkdir(parents=True)
    (export / "users.json").write_text(_json([{"id": "U1", "name": "ann"}], ""), encoding="utf-8")
    channel = {"id": "C1", "name": "general", "purpose": {"value": planted(text)}}
    (export / "channels.json").write_text(_json([channel], text), encoding="utf-8")
    messages = [{"type": "message", "user": "U1", "text": planted(text), "ts": "1577836800.000100"}]
    (export / "general" / "2020-01-01.json").write_text(_json(messages, text), encoding="utf-8")
    want = as_json_reads(text)
    return [
        Probe("message", ("id", "C1:1577836800.000100"), "text", want),
        Probe("channel", ("id", "C1"), "purpose", want),
    ]


def irc_line(text: str) -> str:
    """A text as one IRC line can say it: no LF (a CR inside stays; one at its end is a line end)."""
    return text.replace("\n", " ")


def write_irclog(root: Path, text: str) -> list[Probe]:
    """A plain-text IRC log (irssi): the text said on one line, in a file with CRLF line ends."""
    log = root / "#chan.2020-01-02.log"
    said = irc_line(text)
    lines = [
        "--- Log opened Thu Jan 02 00:00:00 2020",
        "[10:00] <ann> hello",
        f"[10:01] <bob> {planted(said)}",
    ]
    log.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return [Probe("message", ("id", "irc:#chan:#chan.2020-01-02.log:3"), "text", said)]


def write_pircbot(root: Path, text: str) -> list[Probe]:
    """A PircBot HTML log: the text said on one line, HTML-escaped as LogBot writes it."""
    folder = root / "irc"
    folder.mkdir()
    said = irc_line(text)
    lines = [
        '<span class="irc-date">[09:59]</span> <span class="irc-green">* ann (~a@h) has joined #chan</span><br />',
        f'<span class="irc-date">[10:00]</span> <span class="irc-black">&lt;ann&gt; '
        f"{html.escape(planted(said), quote=False)}</span><br />",
    ]
    (folder / "2020-01-02.log").write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return [Probe("message", ("id", "irc:#chan:irc/2020-01-02.log:2"), "text", said)]


# --- tickets ---------------------------------------------------------------------------------------


def write_jira(root: Path, text: str) -> list[Probe]:
    """A Jira issue file: the text in the summary, the description and a comment."""
    folder = root / "jira"
    folder.mkdir()
    issue = {
        "id": "1",
        "key": "TXT-1",
        "fields": {
            "summary": planted(text),
            "description": planted(text),
            "project": {"key": "TXT"},
            "status": {"name": "Open"},
            "created": "2020-01-01T10:00:00.000+0000",
            "comment": {
                "comments": [
                    {
                        "id": "9",
                        "body": planted(text),
                        "author": {"name": "ann", "displayName": "Ann"},
                        "created": "2020-01-02T10:00:00.000+0000",
                    }
                ]
            },
        },
    }
    (folder / "TXT-1.json").write_text(_json(issue, text), encoding="utf-8")
    want = as_json_reads(text)
    return [
        Probe("ticket", ("id", "TXT-1"), "summary", want),
        Probe("ticket", ("id", "TXT-1"), "description", want),
        Probe("ticket_comment", ("ticket_id", "TXT-1"), "body", want),
    ]


# --- commits ---------------------------------------------------------------------------------------

SHA = "0123456789abcdef0123456789abcdef01234567"


def write_git_jsonl(root: Path, text: str) -> list[Probe]:
    """Commits as JSON lines: the text in a commit message (one line of JSON however many lines it has)."""
    commit = {
        "sha": SHA,
        "parents": [],
        "author_name": "Ann",
        "author_email": "ann@example.org",
        "author_date": "2020-01-01T10:00:00+00:00",
        "committer_name": "Ann",
        "committer_email": "ann@example.org",
        "committer_date": "2020-01-01T10:00:00+00:00",
        "message": planted(text),
        "files": [["M", "a.py"]],
    }
    line = json.dumps(commit, ensure_ascii=_SURROGATE.search(text) is not None)
    (root / "repo.commits.jsonl").write_text(line + "\n", encoding="utf-8")
    return [Probe("commit", ("id", SHA), "message", as_json_reads(text))]


def git_text(text: str) -> str:
    """What a git commit message can hold: no NUL."""
    return text.replace("\x00", "")


def write_git(root: Path, text: str) -> list[Probe]:
    """A git repository with one commit whose message (verbatim, no clean-up) holds the text; no NUL."""
    repo = root / "repo"
    repo.mkdir()
    message = git_text(text)
    env = {
        "GIT_AUTHOR_NAME": "Ann",
        "GIT_AUTHOR_EMAIL": "ann@example.org",
        "GIT_AUTHOR_DATE": "2020-01-01T10:00:00+00:00",
        "GIT_COMMITTER_NAME": "Ann",
        "GIT_COMMITTER_EMAIL": "ann@example.org",
        "GIT_COMMITTER_DATE": "2020-01-01T10:00:00+00:00",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "HOME": str(root),
        "PATH": "/usr/bin:/bin",
    }

    def git(*args: str, data: bytes | None = None) -> None:
        subprocess.run(["git", "-C", str(repo), *args], input=data, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (repo / "a.py").write_text("x = 1\n", encoding="utf-8")
    git("add", "a.py")
    git("commit", "-q", "--cleanup=verbatim", "-F", "-", data=planted(message).encode("utf-8"))
    return [Probe("commit", ("repo", "repo"), "message", message)]


# --- mail ------------------------------------------------------------------------------------------

BODY_ENCODINGS = (
    "8bit utf-8",  # raw UTF-8 bytes, declared
    "base64 utf-8",
    "quoted-printable utf-8",
    "8bit utf-8 undeclared",  # no charset parameter
    "8bit utf-8 declared us-ascii",  # a mailer that lied
    "8bit utf-8 declared latin-1",  # a mailer that lied the other way: valid UTF-8 is UTF-8
    "8bit utf-8 bad charset name",
    "8bit latin-1",
    "8bit latin-1 undeclared",
    "8bit latin-1 declared utf-8",
    "8bit latin-1 bad charset name",
    "quoted-printable cp1252",
    "8bit cp1252 undeclared",
)
"""How a body is written: transfer encoding, the bytes' charset, and what the header says about it."""

SUBJECT_ENCODINGS = (
    "rfc2047 b utf-8",
    "rfc2047 q utf-8",
    "rfc2047 q latin-1",
    "rfc2047 bad charset",
    "raw utf-8",
)


def body_charset(encoding: str) -> str:
    """The charset a body's bytes are in."""
    return encoding.split(" ")[1]


def mail_alphabet(encoding: str) -> str | None:
    """The characters a body (or subject) written so may hold: None for any, else a legacy charset's letters."""
    charset = body_charset(encoding) if encoding in BODY_ENCODINGS else ""
    if charset == "latin-1" or encoding == "rfc2047 q latin-1":
        return LATIN1 + "\t\r\n"
    if charset == "cp1252":
        return LATIN1 + CP1252_EXTRA + "\t\r\n"
    return None


def mail_body_text(text: str) -> str:
    """What a mail body can hold: anything but NUL (which no mailer sends)."""
    return text.replace("\x00", "")


def mail_subject_text(text: str, encoding: str) -> str:
    """What a subject can hold: in RFC 2047 words anything but NUL; raw, no control character (RFC 5322)."""
    if encoding != "raw utf-8":
        return text.replace("\x00", "")
    return _CONTROL.sub("", text)


def _charset_param(encoding: str) -> str:
    """The charset parameter a body written so declares."""
    if "undeclared" in encoding:
        return ""
    for said, param in (
        ("declared us-ascii", "us-ascii"),
        ("declared latin-1", "iso-8859-1"),
        ("declared utf-8", "utf-8"),
        ("bad charset name", '"x-no-such-charset"'),
    ):
        if said in encoding:
            return f"; charset={param}"
    charset = body_charset(encoding)
    return f"; charset={'windows-1252' if charset == 'cp1252' else charset}"


def _body_bytes(text: str, encoding: str) -> tuple[str, bytes]:
    """(the Content-Type and Content-Transfer-Encoding header lines, the body bytes) of a body."""
    data = text.encode(body_charset(encoding))
    if encoding.startswith("base64"):
        cte, body = "base64", base64.encodebytes(data)
    elif encoding.startswith("quoted-printable"):
        cte, body = "quoted-printable", quopri.encodestring(data)
    else:
        cte, body = "8bit", data
    return f"Content-Type: text/plain{_charset_param(encoding)}\nContent-Transfer-Encoding: {cte}\n", body


def encoded_words(text: str, charset: str, encoding: str, size: int = 40) -> list[str]:
    """RFC 2047 encoded words of about ``size`` bytes each, cut between characters.

    (``email.header.Header`` is not used: it ends a line at every character ``str.splitlines`` does.)
    """
    pieces: list[bytes] = []
    for ch in text:
        data = ch.encode(charset)
        if pieces and len(pieces[-1]) + len(data) <= size:
            pieces[-1] += data
        else:
            pieces.append(data)
    if encoding == "B":
        return [f"=?{charset}?B?{base64.b64encode(p).decode()}?=" for p in pieces]
    safe = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/")
    quoted = ("".join(chr(b) if b in safe else "_" if b == 32 else f"={b:02X}" for b in p) for p in pieces)
    return [f"=?{charset}?Q?{q}?=" for q in quoted]


def _subject_line(text: str, encoding: str) -> bytes:
    if encoding == "raw utf-8":
        return b"Subject: " + text.encode("utf-8") + b"\n"
    if encoding == "rfc2047 bad charset":
        data = text.encode("utf-8")
        # cut at bytes, not characters, as some mailers do: a character may straddle two words
        words = [
            f"=?x-bad-charset?B?{base64.b64encode(data[i : i + 30]).decode()}?="
            for i in range(0, len(data), 30)
        ]
    else:
        charset = "iso-8859-1" if "latin-1" in encoding else "utf-8"
        words = encoded_words(text, charset, "Q" if encoding.startswith("rfc2047 q") else "B")
    return ("Subject: " + "\n ".join(words) + "\n").encode("ascii")


def mail_message(text: str, body: str, subject: str, message_id: str) -> bytes:
    """One message with the text in its subject (RFC 2047 or raw) and body (in a charset and transfer encoding)."""
    types, data = _body_bytes(planted(mail_body_text(text)) + "\n", body)
    head = (
        "From: Ann Example <ann@example.org>\n"
        "To: Bob Example <bob@example.org>\n"
        "Date: Thu, 02 Jan 2020 10:00:00 +0000\n"
        f"Message-ID: <{message_id}@example.org>\n"
        "MIME-Version: 1.0\n"
    ).encode("ascii")
    subject_line = _subject_line(planted(mail_subject_text(text, subject)), subject)
    return head + subject_line + types.encode("ascii") + b"\n" + data


def mail_probes(text: str, subject: str, message_id: str) -> list[Probe]:
    """The probes of a message :func:`mail_message` wrote."""
    return [
        Probe("email", ("id", f"{message_id}@example.org"), "body", mail_body_text(text)),
        Probe("email", ("id", f"{message_id}@example.org"), "subject", mail_subject_text(text, subject)),
    ]


def mail_writer(kind: str, body: str, subject: str) -> Writer:
    """A writer of one message as an mbox, a maildir or an .eml file (its Message-ID names the kind)."""

    def write(root: Path, text: str) -> list[Probe]:
        message = mail_message(text, body, subject, kind)
        if kind == "mbox":
            head, _, rest = message.partition(b"\n\n")
            rest = re.sub(rb"(?m)^(>*From )", rb">\1", rest)  # mboxrd: a body line "From " is quoted
            separator = b"From ann@example.org Thu Jan  2 10:00:00 2020\n"
            (root / "list.mbox").write_bytes(separator + head + b"\n\n" + rest + b"\n")
        elif kind == "maildir":
            for sub in ("cur", "new", "tmp"):
                (root / "Mail" / sub).mkdir(parents=True)
            (root / "Mail" / "cur" / "1577959200.1.host:2,S").write_bytes(message)
        else:
            head, _, rest = message.partition(b"\n\n")  # headers as RFC 5322 ends lines; the body as written
            (root / "one.eml").write_bytes(head.replace(b"\n", b"\r\n") + b"\r\n\r\n" + rest)
        return mail_probes(text, subject, kind)

    return write


# --- calendar --------------------------------------------------------------------------------------


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ics_text(text: str) -> str:
    """What an iCalendar text value holds: a CRLF in it is a line break, written as \\n; no other control."""
    return _CONTROL_BUT_TAB_LF.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _fold(line: str) -> str:
    """Fold a content line at 60 characters (never inside a character), as RFC 5545 does at 75 octets."""
    parts = [line[i : i + 60] for i in range(0, len(line), 60)] or [""]
    return "\r\n ".join(parts)


def write_ics(root: Path, text: str) -> list[Probe]:
    """An .ics file: the text in an event's SUMMARY and DESCRIPTION, escaped and folded."""
    value = _ics_escape(planted(ics_text(text)))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//torture//EN",
        "BEGIN:VEVENT",
        "UID:ev1@example.org",
        "DTSTART:20200102T100000Z",
        "DTEND:20200102T110000Z",
        _fold(f"SUMMARY:{value}"),
        _fold(f"DESCRIPTION:{value}"),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    (root / "team.ics").write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    want = ics_text(text)
    return [
        Probe("calendar_event", ("id", "ev1@example.org"), "title", want),
        Probe("calendar_event", ("id", "ev1@example.org"), "description", want),
    ]


# --- documents -------------------------------------------------------------------------------------


def write_markdown(root: Path, text: str) -> list[Probe]:
    """A Markdown file holding the text as written (CRLF, NUL and all), and one whose heading holds it.

    Markdown ends a line at CR and LF only: a heading holding U+2028 or a form feed is one heading.
    """
    (root / "note.md").write_bytes(f"# Note\n\n{planted(text)}\n".encode())
    heading = text.replace("\r", " ").replace("\n", " ")
    (root / "title.md").write_bytes(f"# {planted(heading)}\n\nbody\n".encode())
    return [
        Probe("document", ("id", "note.md"), "text", text),
        Probe("document", ("id", "title.md"), "title", heading, exact=False),
    ]


def write_text_file(root: Path, text: str) -> list[Probe]:
    """A .txt file holding the text (no NUL: a file with one is binary, not text)."""
    kept = text.replace("\x00", "")
    (root / "notes.txt").write_bytes(f"{planted(kept)}\n".encode())
    return [Probe("document", ("id", "notes.txt"), "text", kept)]


def write_html(root: Path, text: str) -> list[Probe]:
    """An HTML page with the text, entity-escaped, in a paragraph; whitespace re-flows, so visible text is compared."""
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title></head><body><p>{html.escape(planted(text))}</p></body></html>"
    (root / "page.html").write_bytes(page.encode("utf-8"))
    return [Probe("document", ("id", "page.html"), "text", text, exact=False)]


def docx_text(text: str) -> str:
    """What a Word paragraph holds: no control character but tab, CR and LF (each a line break)."""
    return _XML_ILLEGAL.sub("", text)


def write_docx(root: Path, text: str) -> list[Probe]:
    """A Word document with the text in a paragraph (python-docx writes CR and LF as line breaks)."""
    import docx

    made = docx.Document()
    made.add_paragraph(planted(docx_text(text)))
    made.save(str(root / "plan.docx"))
    return [Probe("document", ("id", "plan.docx"), "text", re.sub("[\r\n]", "\n", docx_text(text)))]


_PDF_SHOWN = re.compile(
    "[^"
    + re.escape(
        "".join(ch for ch in bytes(range(256)).decode("cp1252", "ignore") if ch.isalnum() or ch in " .,-")
    )
    + "]"
)
"""What the PDF made here cannot show: all but cp1252's letters and digits, space and ``.,-``."""


def pdf_text(text: str) -> str:
    """What the PDF made here can show: cp1252 letters, digits and punctuation, one line."""
    return _PDF_SHOWN.sub("", text)


def pdf_bytes(line: str) -> bytes:
    """A one-page PDF showing one line in Helvetica (WinAnsiEncoding), as a hex string."""
    hexed = line.encode("cp1252").hex()
    ops = f"BT /F1 12 Tf 72 720 Td <{hexed}> Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
        f"<< /Length {len(ops)} >>\nstream\n{ops}\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def write_pdf(root: Path, text: str) -> list[Probe]:
    """A PDF whose one line holds the text's cp1252 letters (a PDF's text layer is glyphs, not characters)."""
    kept = pdf_text(text)
    (root / "scan.pdf").write_bytes(pdf_bytes(planted(kept)))
    return [Probe("document", ("id", "scan.pdf"), "text", kept, exact=False)]


WRITERS: dict[str, Writer] = {
    "slack": write_slack,
    "jira": write_jira,
    "git-jsonl": write_git_jsonl,
    "git": write_git,
    "irclog": write_irclog,
    "pircbot": write_pircbot,
    "ics": write_ics,
    "markdown": write_markdown,
    "text": write_text_file,
    "html": write_html,
    "docx": write_docx,
    "pdf": write_pdf,
}
"""The writer of each format but mail (whose writers take the encodings too: :func:`mail_writer`)."""


# --- planting into a whole workspace -------------------------------------------------------------


def no_surrogates(text: str) -> str:
    """A text as a source other than JSON can hold it: its lone surrogates dropped."""
    return _SURROGATE.sub("", text)


@dataclass
class Planter:
    """Plants a text at the start of every text of every record under a folder, in place.

    The first record of each kind gets ``first`` instead when it is given (the 1 MB line).
    """

    text: str
    first: str | None = None

    def __post_init__(self) -> None:
        self._given: set[str] = set()

    def _for(self, kind: str, json_source: bool) -> str:
        text = self.text
        if self.first is not None and kind not in self._given:
            self._given.add(kind)
            text = self.first
        return text if json_source else no_surrogates(text)

    def plant(self, root: Path) -> None:
        """Plant into every file under ``root`` that a known format reads."""
        for path in sorted(root.rglob("*")):
            if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            if path.suffix == ".json" and path.name not in ("users.json", "channels.json", "project.json"):
                self._json_file(path)
            elif path.name.endswith(".jsonl"):
                self._commits(path)
            elif path.suffix == ".mbox":
                self._mbox(path)
            elif path.suffix == ".ics":
                self._ics(path)
            elif path.suffix.lower() in (".md", ".rmd", ".txt"):
                self._document(path)
            elif path.suffix == ".html":
                self._html(path)

    def _json_file(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        texts: list[str] = []
        if isinstance(data, list):  # a Slack day
            for message in data:
                if isinstance(message, dict) and isinstance(message.get("text"), str):
                    said = self._for("message", True)
                    message["text"] = f"{planted(said)} {message['text']}"
                    texts.append(said)
        elif isinstance(data, dict) and isinstance(data.get("fields"), dict):  # a Jira issue
            fields = data["fields"]
            said = self._for("ticket", True)
            fields["description"] = f"{planted(said)}\n{fields.get('description') or ''}"
            fields["summary"] = f"{planted(self.text)} {fields.get('summary') or ''}"
            texts += [said, self.text]
            for comment in (fields.get("comment") or {}).get("comments", []):
                if isinstance(comment, dict) and isinstance(comment.get("body"), str):
                    said = self._for("comment", True)
                    comment["body"] = f"{planted(said)}\n{comment['body']}"
                    texts.append(said)
        else:
            return
        escape = any(_SURROGATE.search(t) for t in texts)
        path.write_text(json.dumps(data, ensure_ascii=escape, indent=1), encoding="utf-8")

    def _commits(self, path: Path) -> None:
        out: list[str] = []
        for line in path.read_text(encoding="utf-8").split("\n"):
            if not line.strip():
                continue
            commit = json.loads(line)
            said = self._for("commit", True)
            subject, _, rest = commit["message"].partition("\n")
            commit["message"] = f"{subject}\n\n{planted(said)}\n{rest}"
            escape = _SURROGATE.search(said) is not None
            out.append(json.dumps(commit, ensure_ascii=escape))
        path.write_text("\n".join(out) + "\n", encoding="utf-8")

    def _mbox(self, path: Path) -> None:
        data = path.read_bytes()
        messages = re.split(rb"(?m)^(?=From \S+ +\w{3} \w{3} )", data)
        out = bytearray()
        for message in messages:
            head, sep, body = message.partition(b"\n\n")
            if not sep or not head.startswith(b"From "):
                out += message
                continue
            said = mail_body_text(self._for("email", False))
            subject = planted(mail_subject_text(no_surrogates(self.text), "rfc2047 b utf-8"))
            words = "\n ".join(encoded_words(subject, "utf-8", "B"))
            head = re.sub(rb"(?m)^Subject: ", b"Subject: " + words.encode("ascii") + b" ", head, count=1)
            body_text = planted(said).replace("\nFrom ", "\n>From ")
            out += head + sep + body_text.encode("utf-8") + b"\n" + body
        path.write_bytes(bytes(out))

    def _ics(self, path: Path) -> None:
        data = path.read_bytes()
        newline = "\r\n" if b"\r\n" in data else "\n"
        out: list[str] = []
        event: list[str] = []
        for line in data.decode("utf-8").split(newline):
            if line == "BEGIN:VEVENT" or event:
                event.append(line)
            else:
                out.append(line)
            if line == "END:VEVENT":
                value = _ics_escape(planted(ics_text(self._for("calendar_event", False))))
                at = next((i for i, x in enumerate(event) if x.startswith("DESCRIPTION:")), None)
                if at is None:
                    event.insert(1, _fold(f"DESCRIPTION:{value}"))
                else:
                    event[at] = _fold(f"DESCRIPTION:{value}\\n{event[at].removeprefix('DESCRIPTION:')}")
                out += event
                event = []
        path.write_bytes(newline.join(out).encode("utf-8"))

    def _document(self, path: Path) -> None:
        said = self._for("document", False)
        if path.suffix == ".txt":
            said = said.replace("\x00", "")
        text = path.read_text(encoding="utf-8")
        first, sep, rest = text.partition("\n")
        path.write_text(f"{first}{sep}\n{planted(said)}\n\n{rest}", encoding="utf-8", newline="")

    def _html(self, path: Path) -> None:
        said = self._for("document", False)
        text = path.read_text(encoding="utf-8")
        found = re.search(
            r"<div id=\"main-content\"[^>]*>|<body[^>]*>", text
        )  # a Confluence page's text is its main content
        at = found.end() if found else 0
        path.write_text(
            f"{text[:at]}<p>{html.escape(planted(said))}</p>{text[at:]}", encoding="utf-8", newline=""
        )
