"""A workspace ``N`` times the size of a real one, with fresh people: the rows copied, the identities new.

Copy ``k`` (1 … N-1) of every row gets new ids and new people: each person of the workspace gets a
twin with a Faker name (seeded by ``k`` and the person id, unique across the whole workspace), a
handle and e-mail addresses in the style of the original's, and every id, handle, address and
name of the original person written in the copy's rows (its text included) becomes the twin's.
Ticket keys get their project's copy prefix (``ALOY-12`` -> ``ALOYB-12``), so the copy's
references resolve inside the copy; commit shas are rehashed. The directory grows with the rows,
as it does when a bigger company is anonymized, and the text keeps its real shape.

The twins' tables are those a Jira + git workspace fills (person, identity, person_merge, ticket,
ticket_comment, ticket_link, ticket_event, commit, document, quarantine); any other table's rows
are copied with ``~<k>`` after their id (a numeric id moved by a stride). Sources and references
are not copied (the anonymizer links the workspace again from its text).

    python benchmarks/scale_workspace.py workspace.db scaled.db --copies 4
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sqlite3
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ahocorasick
from faker import Faker

from workgym.anonymize.directory import COMMON_WORDS

SKIPPED = ("meta", "source", "ref")
"""Tables whose rows are not copied."""


def _letters(k: int) -> str:
    """``1`` -> ``B``, ``25`` -> ``Z``, ``26`` -> ``BA``: a suffix of capitals for copy ``k``."""
    out = ""
    while True:
        k, digit = divmod(k, 26)
        out = chr(ord("A") + digit) + out
        if not k:
            return out


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


class _Twins:
    """The people of copy ``k``: a twin per person, and the text rewrite from originals to twins.

    Args:
        conn: the original workspace.
        k: the copy's number.
        names_taken: lower-cased full names in use (the originals', earlier twins'); grows.
        handles_taken: handles and address local parts in use; grows.
    """

    def __init__(
        self, conn: sqlite3.Connection, k: int, names_taken: set[str], handles_taken: set[str]
    ) -> None:
        self.k = k
        self.ids: dict[str, str] = {}
        self.exact: dict[str, str] = {}  # lower-cased handle / address / name -> the twin's
        # lower-cased value found in text -> (the twin's value, whether it must be capitalised there)
        values: dict[str, tuple[str, bool]] = {}
        fake = Faker("en_US")
        rows = conn.execute("SELECT id, name, names, handles, emails FROM person ORDER BY id").fetchall()
        for pid, name, names, handles, emails in rows:
            self.ids[pid] = f"P{k:02d}{pid[1:]}"
            fake.seed_instance(f"{k}:{pid}")
            while True:
                first, last = fake.first_name(), fake.last_name()
                if f"{first} {last}".lower() not in names_taken:
                    break
            names_taken.add(f"{first} {last}".lower())
            first_a, last_a = _ascii(first) or "x", _ascii(last) or "y"
            for old in [n for n in [name, *json.loads(names)] if n]:
                tokens = old.split()
                new = f"{first} {last}" if len(tokens) > 1 else first
                self.exact[old.lower()] = new
                values.setdefault(old.lower(), (new, len(tokens) == 1))
                if len(tokens) > 1:  # a first or last name alone, capitalised, as the directory reads it
                    for token, twin in ((tokens[0], first), (tokens[-1], last)):
                        if len(token) >= 3 and token.lower() not in COMMON_WORDS:
                            values.setdefault(token.lower(), (twin, True))
            for handle in json.loads(handles):
                new = _unique(_styled(handle, first_a, last_a), handles_taken)
                self.exact[handle.lower()] = new
                if len(handle) >= 4 and handle.lower() not in COMMON_WORDS:
                    values.setdefault(handle.lower(), (new, False))
            for email in json.loads(emails):
                local, _, domain = email.rpartition("@")
                new = f"{_unique(_styled(local, first_a, last_a), handles_taken)}@{domain}"
                self.exact[email.lower()] = new
                values.setdefault(email.lower(), (new, False))
        self._automaton = ahocorasick.Automaton()
        for old, (new, capitalised) in values.items():
            self._automaton.add_word(old, (len(old), new, capitalised))
        self._automaton.make_automaton()

    def text(self, text: str) -> str:
        """``text`` with every original name, handle and address replaced by its twin's."""
        if not text:
            return text
        lowered = text.lower()
        if len(lowered) != len(text):
            return text  # offsets would not line up; such texts are rare, and kept as written
        out: list[str] = []
        at = 0
        for last, (length, new, capitalised) in self._automaton.iter_long(lowered):
            start = last - length + 1
            if (start > 0 and _is_word(text[start - 1])) or (
                last + 1 < len(text) and _is_word(text[last + 1])
            ):
                continue
            old = text[start : last + 1]
            if capitalised and not old[0].isupper():
                continue
            if old.isupper() and len(old) > 1:
                new = new.upper()
            elif old.islower():
                new = new.lower()
            out += [text[at:start], new]
            at = last + 1
        return "".join([*out, text[at:]]) if out else text

    def value(self, value: str) -> str:
        """A handle, address or name of a person: its twin's (exactly), else as text."""
        return self.exact.get(value.lower()) or self.text(value)

    def key(self, key: str) -> str:
        """An identity key (``jira:jdoe``, ``email:jo@x.org``) of the twin."""
        namespace, colon, value = key.partition(":")
        twin = self.exact.get(value.lower())
        return f"{namespace}{colon}{twin}" if twin else f"{key}~{self.k}"


def _styled(model: str, first: str, last: str) -> str:
    """A handle (or address local part) for first/last written the way ``model`` is."""
    if "." in model:
        return f"{first}.{last}"
    if "_" in model:
        return f"{first}_{last}"
    if len(model) <= len(last) + 2:
        return f"{first[0]}{last}"
    return f"{first}{last}"


def _unique(value: str, used: set[str]) -> str:
    candidate, n = value, 1
    while candidate in used:
        n += 1
        candidate = f"{value}{n}"
    used.add(candidate)
    return candidate


ID_STRIDE = 100_000_000
"""Copy ``k`` of a numeric id is the id plus ``k`` times this (Jira comment ids stay numbers)."""


def _copy_id(value: str, k: int) -> str:
    """A record id of copy ``k``: a number moved by ``k`` strides, any other id with ``~k`` after it.

    Neither shape looks like anything the detectors look for (``194980-1`` reads as a phone number).
    """
    return str(int(value) + k * ID_STRIDE) if value.isdigit() else f"{value}~{k}"


_PEOPLE_LISTS = frozenset({"handles", "emails", "names", "phones", "members", "attendees", "to", "cc"})
"""JSON-list columns whose items are each a person's value or id."""


def _copy_row(
    table: str, row: dict[str, Any], twins: _Twins, tickets: Callable[[str], str], suffix: str
) -> dict[str, Any]:
    k = twins.k
    out: dict[str, Any] = {}
    for column, value in row.items():
        if not isinstance(value, str) or not value:
            out[column] = value
        elif value in twins.ids:
            out[column] = twins.ids[value]
        elif value.startswith("[") and column in _PEOPLE_LISTS:
            items = [twins.ids.get(v) or twins.value(v) for v in json.loads(value)]
            out[column] = json.dumps(items, ensure_ascii=False)
        else:
            out[column] = tickets(twins.text(value))
    if table == "person":
        out["name"] = twins.value(row["name"]) if row["name"] else ""
    elif table == "identity":
        out["key"] = twins.key(row["key"])
        for column in ("handle", "display_name", "real_name"):
            out[column] = twins.value(row[column]) if row[column] else ""
    elif table == "person_merge":
        for column in ("identity", "other"):
            sid, _, key = row[column].partition(":")
            out[column] = f"{sid}:{twins.key(key)}"
    elif table == "ticket":
        out["project"] = row["project"] + suffix if row["project"] else ""
    elif table == "commit":
        out["id"] = hashlib.sha1(f"{k}:{row['id']}".encode()).hexdigest()
        parents = [hashlib.sha1(f"{k}:{p}".encode()).hexdigest() for p in json.loads(row["parents"])]
        out["parents"] = json.dumps(parents)
    elif table not in ("ticket_link", "quarantine") and "id" in row:
        out["id"] = _copy_id(row["id"], k)  # comments, events, documents, and any other record
    return out


def scale_workspace(source: Path, out: Path, copies: int) -> dict[str, int]:
    """Write ``out``: ``source`` and ``copies - 1`` copies of its rows with fresh people; rows per table."""
    if copies < 1:
        raise ValueError(f"copies is {copies}, expected 1 or more")
    shutil.copyfile(source, out)
    conn = sqlite3.connect(out)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = OFF")
    tables = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        if r[0] not in SKIPPED and not r[0].startswith("sqlite_")
    ]
    projects = [r[0] for r in conn.execute("SELECT DISTINCT project FROM ticket") if r[0]]
    ticket_key = re.compile(r"\b(" + "|".join(map(re.escape, projects)) + r")-(\d+)\b") if projects else None
    originals = {t: [dict(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid')] for t in tables}
    names_taken = {r[0].lower() for r in conn.execute("SELECT name FROM person")}
    handles_taken = {
        h.lower() for (hs,) in conn.execute("SELECT handles FROM person") for h in json.loads(hs)
    }
    handles_taken |= {
        e.rpartition("@")[0].lower()
        for (es,) in conn.execute("SELECT emails FROM person")
        for e in json.loads(es)
    }
    with conn:
        for k in range(1, copies):
            twins = _Twins(conn, k, names_taken, handles_taken)
            suffix = _letters(k)

            def tickets(text: str, suffix: str = suffix) -> str:
                if ticket_key is None or "-" not in text:
                    return text
                return ticket_key.sub(lambda m: f"{m[1]}{suffix}-{m[2]}", text)

            for table, rows in originals.items():
                if not rows:
                    continue
                copied = [_copy_row(table, row, twins, tickets, suffix) for row in rows]
                columns = list(copied[0])
                names = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join("?" for _ in columns)
                conn.executemany(
                    f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
                    ([r[c] for c in columns] for r in copied),
                )
    counts = {t: int(conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]) for t in tables}
    conn.close()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args()
    counts = scale_workspace(args.source, args.out, args.copies)
    print(f"{args.out}: {sum(counts.values()):,} rows ({args.copies}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
