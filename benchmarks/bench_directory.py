"""Anonymize a 100,000-person directory whose real names come from the surrogates' own pools.

The worst case for the surrogate space (``workgym.anonymize.pools``): every person is named by
Faker, in a locale drawn from all of Faker's (fixed seed), so the workspace's real names use up the
very lists surrogates are drawn from. The workspace holds one person row per person (name, a
``first.last`` address at the company's domain, a ``flast`` handle) and chat messages that
mention them, a few with hostile text (redacted passwords, 60-digit runs). It is anonymized
end to end with ``anonymize_workspace`` (one worker), and the script prints:

* rows withheld, and leaks found by the audit;
* surrogate collisions: people who share a surrogate full name, e-mail address or handle;
* surrogates equal to an original: surrogate full names that are a person's real name, and
  surrogate name tokens that are a known value of the directory;
* time, beside the baseline: every row read and written unchanged (``bench_anonymize.copy_rows``),
  and peak memory (the process's maximum resident set);
* how far the previous design (Faker en_US alone, 1,000 draws per name) got before failing.

    python benchmarks/bench_directory.py [--persons 100000] [--messages 20000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import sqlite3
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

from faker import Faker
from faker.config import AVAILABLE_LOCALES

from workgym.anonymize.directory import build_directory, name_tokens
from workgym.anonymize.keys import Keyed
from workgym.anonymize.pools import fold
from workgym.anonymize.run import LeakError, anonymize_workspace
from workgym.model import Channel, Message, Person
from workgym.store import SourceInfo, Writer, connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_anonymize import copy_rows  # a script beside this one

KEY = b"benchmark-key-benchmark-key-0123"
DOMAIN = "northwind-systems.com"
HOSTILE = (
    "deploy with https://ci:****@git.northwind-systems.com/app.git (password ****)",
    "build id " + "1234567890" * 6,
    "separator " + "-" * 500 + " done",
)
"""Texts that once withheld rows or took seconds: every 50th message carries one."""


def real_people(n: int, seed: int) -> list[tuple[str, str]]:
    """(first name, surname) of ``n`` people, each in a locale drawn from all of Faker's."""
    rng = random.Random(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated locales (fr_QC) say so once each
        fakers = [Faker(locale) for locale in sorted(AVAILABLE_LOCALES)]
    for i, fake in enumerate(fakers):
        fake.seed_instance(seed * 1000 + i)
    out = []
    for _ in range(n):
        fake = rng.choice(fakers)
        out.append((fake.first_name(), fake.last_name()))
    return out


def ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text).lower())


def write_workspace(path: Path, people: list[tuple[str, str]], messages: int, seed: int) -> None:
    """A workspace of the people (one row each) and chat messages that mention them."""
    persons = []
    used: Counter[str] = Counter()
    for i, (first, last) in enumerate(people):
        local = ".".join(w for w in (ascii_word(first), ascii_word(last)) if w) or f"user{i}"
        handle = (ascii_word(first)[:1] + ascii_word(last)) or f"user{i}"
        used[local] += 1
        used[handle] += 1
        suffix = str(used[local]) if used[local] > 1 else ""
        handle += str(used[handle]) if used[handle] > 1 else ""
        persons.append(
            Person(
                id=f"P{i:06d}",
                name=f"{first} {last}",
                emails=(f"{local}{suffix}@{DOMAIN}",),
                handles=(handle,),
            )
        )
    rng = random.Random(seed)
    chat = []
    for i in range(messages):
        a, b = rng.sample(persons, 2)
        text = f"Thanks {a.name.split()[0]}! cc {b.emails[0]} and @{b.handles[0]}: {a.name} has the notes."
        if i % 50 == 0:
            text += " " + HOSTILE[(i // 50) % len(HOSTILE)]
        ts = f"{1_600_000_000 + 60 * i}.000100"
        chat.append((1, Message(f"C0001:{ts}", "C0001", ts, text, f"general.json#{i}", author=a.id)))
    conn = connect(path, create=True)
    with conn:
        writer = Writer(conn, lambda _sid, key: key)
        writer.sources([SourceInfo(1, "slack", "northwind.zip", "0" * 64, len(chat) + 1, 0)])
        writer.persons(persons, [])
        writer.records(Channel, [(1, Channel("C0001", "general", "channels.json#0"))])
        writer.records(Message, chat)
    conn.close()


def previous_design_fails_at(path: Path) -> int | None:
    """The person (1-based, id order) for whom Faker en_US alone, 1,000 keyed draws a name, finds none free.

    As ``Surrogates`` drew names before the surrogate space: a first name and a surname drawn from
    en_US's lists until one is no value of the workspace, failing the row after 1,000 draws.
    """
    conn = sqlite3.connect(path)
    directory = build_directory(conn)
    conn.close()
    taken = set(directory.entries)
    keyed = Keyed(KEY)
    fake = Faker("en_US")
    for number, pid in enumerate(sorted(directory.persons), start=1):
        for kind in ("first_name", "last_name"):
            for attempt in range(1000):
                fake.seed_instance(keyed.seed(kind, f"{pid}\0{attempt}"))
                if getattr(fake, kind)().lower() not in taken:
                    break
            else:
                return number
    return None


def surrogate_report(source: Path, out: Path) -> dict[str, int]:
    """Collisions between people's surrogates, and surrogates equal to an original value."""
    conn = sqlite3.connect(source)
    directory = build_directory(conn)
    before = {pid: name for pid, name in conn.execute("SELECT id, name FROM person")}
    conn.close()
    conn = sqlite3.connect(out)
    after = list(conn.execute("SELECT id, name, emails, handles FROM person ORDER BY id"))
    conn.close()
    originals = {name.lower() for name in before.values()}
    names = Counter(fold(name).lower() for _, name, _, _ in after)
    emails = Counter(e for _, _, emails, _ in after for e in json.loads(emails))
    handles = Counter(h for _, _, _, hs in after for h in json.loads(hs))
    tokens = [t.lower() for _, name, _, _ in after for t in name_tokens(name)]
    return {
        "persons": len(after),
        "name collisions": sum(n for n in names.values() if n > 1),
        "address collisions": sum(n for n in emails.values() if n > 1),
        "handle collisions": sum(n for n in handles.values() if n > 1),
        "surrogate name == a real name": sum(1 for _, name, _, _ in after if name.lower() in originals),
        "surrogate token == a known value": sum(1 for t in tokens if t in directory.entries),
        "unchanged names": sum(1 for pid, name, _, _ in after if before[pid] == name),
    }


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "workspace.db"
        started = time.perf_counter()
        people = real_people(args.persons, args.seed)
        write_workspace(db, people, args.messages, args.seed)
        made = time.perf_counter() - started
        distinct = len({f"{a} {b}".lower() for a, b in people})
        print(
            f"directory: {args.persons:,} persons ({distinct:,} distinct real names) from "
            f"{len(AVAILABLE_LOCALES)} Faker locales, {args.messages:,} messages, built in {made:.1f} s"
        )
        rss_before = peak_rss_mib()
        started = time.perf_counter()
        rows = copy_rows(db, Path(tmp) / "copy.db")
        base = time.perf_counter() - started
        started = time.perf_counter()
        try:
            audit = anonymize_workspace(db, Path(tmp) / "anon.db", KEY)
        except LeakError as exc:  # nothing was written: say where, and stop
            leaks = exc.audit.leaks
            print(f"LEAKS {leaks.count}: by kind {dict(leaks.by_kind)}, by table {dict(leaks.by_table)}")
            return 1
        ours = time.perf_counter() - started
        rss_after = peak_rss_mib()
        report = surrogate_report(db, Path(tmp) / "anon.db")
        fails_at = previous_design_fails_at(db)
    print(f"withheld rows {len(audit.withheld)}   leaks {audit.leaks.count}   links {audit.links.ratio:.4f}")
    for label, value in report.items():
        print(f"{label:34s} {value:>9,}")
    print(f"baseline (copy rows)    {rows / base:10,.0f} rows/s  {base:7.2f} s")
    print(
        f"anonymize, 1 worker     {rows / ours:10,.0f} rows/s  {ours:7.2f} s  ({ours / base:.0f}x the copy)"
    )
    print(f"peak RSS {rss_after:,.0f} MiB ({rss_before:,.0f} MiB before anonymizing)")
    where = f"fails on person {fails_at:,}" if fails_at else "did not fail"
    print(f"previous design (Faker en_US alone, 1,000 draws a name): {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
