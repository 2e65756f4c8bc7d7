"""Keyed, deterministic, coherent surrogates: what each original value becomes.

Every surrogate is a function of the secret key and the canonical entity (``HMAC(key, kind,
entity)`` seeds Faker or a format-preserving generator), so every alias of one person maps to one
surrogate, on every machine, with no shared state. People are given their surrogate names once, in
id order, so that no two people share one and no surrogate is any original name; everything else is
a pure function of (key, kind, value).

Coherence: a person's e-mail addresses are built from their surrogate name at the surrogate
domain, in the style of the original (``first.last``, ``flast``, ``first``); handles keep their style
too; organisations and their domains map together (``acme-robotics.io`` -> ``<label>.io`` and
``Acme Robotics`` -> the same label in the same case); phone numbers, cards, IBANs and ids keep their
format (and card and IBAN checksums stay valid); host names keep their shape; dates move by one
whole-week offset, so weekdays and intervals are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from faker import Faker

from workgym.anonymize.directory import Directory, is_public_domain, name_tokens, registrable
from workgym.anonymize.keys import Keyed

_MAX_TRIES = 1000


def _case_like(model: str, value: str) -> str:
    """``value`` in the letter case of ``model`` (UPPER, lower, Title, or as generated)."""
    letters = [c for c in model if c.isalpha()]
    if not letters:
        return value
    if all(c.isupper() for c in letters) and len(letters) > 1:
        return value.upper()
    if all(c.islower() for c in letters):
        return value.lower()
    if letters[0].isupper():
        return value[:1].upper() + value[1:]
    return value


def shape(rng_digits: Callable[[int], int], text: str, *, keep: int = 0) -> str:
    """``text`` with each digit and letter replaced by a random one of the same class and case.

    Args:
        rng_digits: ``randrange``-like function.
        text: the original.
        keep: how many leading characters to keep as they are.
    """
    lower = "abcdefghijklmnopqrstuvwxyz"
    out = list(text[:keep])
    for char in text[keep:]:
        if char.isdigit() and char.isascii():
            out.append(str(rng_digits(10)))
        elif char.isascii() and char.isalpha():
            letter = lower[rng_digits(26)]
            out.append(letter.upper() if char.isupper() else letter)
        else:
            out.append(char)
    return "".join(out)


def _luhn_digit(digits: str) -> str:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


class Surrogates:
    """The surrogate of every value of one workspace under one key.

    Args:
        keyed: the key's HMAC.
        directory: the workspace's people (surrogate names are fixed for them at construction).
        taken: lower-cased original values no surrogate may equal (every directory value and every
            learned value), so that a surrogate is never mistaken for a leak.
        ticket_prefixes: surrogates of ticket project prefixes.
    """

    def __init__(
        self,
        keyed: Keyed,
        directory: Directory,
        taken: frozenset[str],
        ticket_prefixes: dict[str, str] | None = None,
    ) -> None:
        self.keyed = keyed
        self.directory = directory
        self.taken = taken
        self.ticket_prefixes = dict(ticket_prefixes or {})
        self._faker = Faker("en_US")
        rng = keyed.rng("date", "shift")
        self.shift_weeks = rng.randint(26, 520) * rng.choice((-1, 1))
        self.shift = timedelta(weeks=self.shift_weeks)
        self._cache: dict[tuple[str, str], str] = {}
        self.person_tokens: dict[str, dict[str, str]] = {}
        self.person_handles: dict[str, dict[str, str]] = {}
        self.person_emails: dict[str, dict[str, str]] = {}
        self.person_names: dict[str, tuple[str, str]] = {}
        self._used_handles: set[str] = set()
        self._assign_people()

    # -- people ---------------------------------------------------------------------------------

    def _fake(self, kind: str, value: str, attempt: int) -> Faker:
        self._faker.seed_instance(self.keyed.seed(kind, f"{value}\0{attempt}"))
        return self._faker

    def _fresh_token(self, kind: str, value: str, used: set[str]) -> str:
        for attempt in range(_MAX_TRIES):
            fake = self._fake(kind, value, attempt)
            token = fake.first_name() if kind == "first_name" else fake.last_name()
            if token.lower() not in self.taken and token.lower() not in used:
                return token
        raise RuntimeError(f"no free surrogate {kind} after {_MAX_TRIES} tries")

    def _assign_people(self) -> None:
        used_full: set[str] = set()
        for pid in sorted(self.directory.persons):
            info = self.directory.persons[pid]
            canonical = info.emails[0] if info.emails else f"{pid}:{info.name}"
            for attempt in range(_MAX_TRIES):
                first = self._fresh_token("first_name", f"{canonical}\0{attempt}", set())
                last = self._fresh_token("last_name", f"{canonical}\0{attempt}", set())
                if f"{first} {last}".lower() not in used_full:
                    break
            used_full.add(f"{first} {last}".lower())
            self.person_names[pid] = (first, last)
            tokens: dict[str, str] = {}
            for name in info.names:
                parts = name_tokens(name)
                for position, token in enumerate(parts):
                    low = token.lower()
                    if low in tokens:
                        continue
                    if position == 0:
                        tokens[low] = first if not any(v == first for v in tokens.values()) else ""
                    elif position == len(parts) - 1:
                        tokens[low] = last if not any(v == last for v in tokens.values()) else ""
                    if not tokens.get(low):
                        kind = "first_name" if position == 0 else "last_name"
                        tokens[low] = self._fresh_token(kind, f"{canonical}\0{low}", set(tokens.values()))
            self.person_tokens[pid] = tokens
            self.person_handles[pid] = {h.lower(): self._person_handle(pid, h) for h in info.handles}
            self.person_emails[pid] = {e: self._person_email(pid, e) for e in info.emails}

    def _person_handle(self, pid: str, handle: str) -> str:
        first, last = (t.lower() for t in self.person_names[pid])
        info = self.directory.persons[pid]
        low = handle.lower()
        core = low.rstrip("0123456789_-")
        suffix = low[len(core) :]
        styles: dict[str, str] = {}
        for name in info.names:
            parts = [t.lower() for t in name_tokens(name)]
            if len(parts) >= 2:
                f, la = parts[0], parts[-1]
                styles |= {
                    f + la: first + last,
                    f + "." + la: first + "." + last,
                    f + "_" + la: first + "_" + last,
                    f[0] + la: first[0] + last,
                    f + la[0]: first + last[0],
                    f: first,
                    la: last,
                }
        candidates = [styles[core] + suffix] if core in styles else []
        for attempt in range(_MAX_TRIES):
            if candidates and attempt == 0:
                candidate = candidates[0]
            else:
                rng = self.keyed.rng("handle", f"{pid}\0{low}\0{attempt}")
                base = rng.choice((first + last[:1], first[:1] + last, first + last, last + first[:1]))
                candidate = base[: max(3, len(core))] + (suffix or "")
                if attempt:
                    candidate += str(rng.randrange(10, 99))
            candidate = re.sub(r"[^a-z0-9._-]", "", candidate)
            if candidate and candidate not in self.taken and candidate not in self._used_handles:
                self._used_handles.add(candidate)
                return _case_like(handle, candidate) if handle[:1].isupper() else candidate
        raise RuntimeError("no free surrogate handle")

    def _person_email(self, pid: str, address: str) -> str:
        local, _, domain = address.rpartition("@")
        handles = self.person_handles.get(pid, {})
        mapped_local = handles.get(local) or self._person_handle(pid, local)
        return f"{mapped_local}@{self.domain(domain)}"

    # -- values ---------------------------------------------------------------------------------

    def _memo(self, kind: str, value: str, make: Callable[[], str]) -> str:
        key = (kind, value)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = make()
        return found

    def _unique(
        self, kind: str, value: str, make: Callable[[int], str], made: Callable[[str], str] = str
    ) -> str:
        """The first of ``make(0)``, ``make(1)``... whose ``made`` part is no original value."""
        for attempt in range(_MAX_TRIES):
            candidate = make(attempt)
            low = candidate.lower()
            if low == value.lower() or low in self._used_handles or self._is_taken(made(low)):
                continue
            return candidate
        raise RuntimeError(f"no free surrogate for a {kind}")

    def _is_taken(self, low: str) -> bool:
        """Whether ``low`` or any of its words is an original value."""
        return low in self.taken or any(word in self.taken for word in re.findall(r"[^\W\d_]+", low))

    def org_label(self, label: str) -> str:
        """The surrogate of an organisation label (``acme-robotics`` -> ``kline-vance``)."""
        low = label.lower()

        def make(attempt: int) -> str:
            fake = self._fake("org", low, attempt)
            words = [fake.last_name().lower() for _ in range(max(1, low.count("-") + 1))]
            return "-".join(re.sub(r"[^a-z]", "", w) for w in words)

        return self._memo("org", low, lambda: self._unique("org", low, make))

    def domain(self, domain: str) -> str:
        """The surrogate of a domain; public domains (``gmail.com``) are kept."""
        low = domain.lower()
        if not low or is_public_domain(low) or "." not in low:
            return domain
        base = registrable(low)
        label, _, suffix = base.partition(".")
        sub = low[: -len(base)] if low != base else ""
        mapped_sub = ".".join(self._label(part) for part in sub.rstrip(".").split(".") if part)
        return (mapped_sub + "." if mapped_sub else "") + f"{self.org_label(label)}.{suffix}"

    def _label(self, label: str) -> str:
        common = {"www", "mail", "smtp", "lists", "wiki", "jira", "git", "docs", "api", "dev", "m"}
        if label in common:
            return label
        rng = self.keyed.rng("label", label)
        return shape(rng.randrange, label)

    def email(self, address: str, entity: str = "") -> str:
        """The surrogate of an e-mail address (obfuscated ``jo at example.com`` forms kept as such)."""
        obfuscated = re.fullmatch(r"(.+?)(\s+at\s+|\s*\(at\)\s*|\s*\[at\]\s*)(.+)", address, re.IGNORECASE)
        if obfuscated and "@" not in address:
            joined = self.email(f"{obfuscated[1]}@{obfuscated[3]}", entity)
            local, _, domain = joined.rpartition("@")
            return f"{local}{obfuscated[2]}{domain}"
        if "@" not in address:  # a tool's "address" with no domain is a handle
            return self.handle(address, entity)
        low = address.lower()
        if entity and low in self.person_emails.get(entity, {}):
            return _case_like(address, self.person_emails[entity][low])
        local, _, domain = low.rpartition("@")

        def make(attempt: int) -> str:
            fake = self._fake("email", low, attempt)
            return f"{fake.user_name()}@{self.domain(domain)}"

        # Only the local part is new here: the domain is already mapped (or public, and kept).
        return self._memo(
            "email", low, lambda: self._unique("email", low, make, lambda c: c.rpartition("@")[0])
        )

    def person(self, text: str, entity: str = "") -> str:
        """The surrogate of a name as written: each token mapped, case and separators kept."""
        tokens = self.person_tokens.get(entity, {})
        parts = name_tokens(text)
        out = []
        at = 0
        for position, token in enumerate(parts):
            found = text.index(token, at)
            out.append(text[at:found])
            low = token.lower()
            mapped = tokens.get(low)
            if mapped is None:
                mapped = self._name_token(low, position, len(parts))
            out.append(_case_like(token, mapped))
            at = found + len(token)
        out.append(text[at:])
        return "".join(out)

    def _name_token(self, low: str, position: int, count: int) -> str:
        kind = "last_name" if count > 1 and position == count - 1 else "first_name"
        return self._memo(kind, low, lambda: self._fresh_token(kind, low, set()))

    def handle(self, text: str, entity: str = "") -> str:
        """The surrogate of a handle (a person's own, in their style; else keyed)."""
        low = text.lower()
        mapped = self.person_handles.get(entity, {}).get(low)
        if mapped is not None:
            return mapped

        def make(attempt: int) -> str:
            return self._fake("handle", low, attempt).user_name()[: max(3, len(text))]

        return self._memo("handle", low, lambda: self._unique("handle", low, make))

    def formatted(self, kind: str, text: str) -> str:
        """A format-preserving keyed surrogate (digits for digits, letters for letters)."""

        def make(attempt: int) -> str:
            rng = self.keyed.rng(kind, f"{text}\0{attempt}")
            if kind == "phone":
                keep = len(text) - len(text.lstrip("+( ")) + (2 if text.lstrip("( ").startswith("+") else 0)
                out = shape(rng.randrange, text, keep=keep)
                return out
            if kind == "credit_card":
                digits = [c for c in text if c.isdigit()]
                body = shape(rng.randrange, "".join(digits[:-1]), keep=1)
                new_digits = iter(body + _luhn_digit(body))
                return "".join(next(new_digits) if c.isdigit() else c for c in text)
            if kind == "iban":
                compact = re.sub(r"\s", "", text).upper()
                bban = shape(rng.randrange, compact[4:])
                check = 98 - int("".join(str(int(c, 36)) for c in bban + compact[:2] + "00")) % 97
                new = iter(f"{compact[:2]}{check:02d}{bban}")
                return "".join(next(new) if not c.isspace() else c for c in text)
            if kind == "ssn":
                area = rng.choice([a for a in range(1, 900) if a != 666])
                ssn_digits = f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
                fresh = iter(ssn_digits)
                return "".join(next(fresh) if c.isdigit() else c for c in text)
            if kind == "ip" and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", text):
                first = 10 if text.startswith(("10.", "192.168.", "172.")) else rng.randint(11, 223)
                return ".".join(
                    str(o) for o in (first, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))
                )
            return shape(rng.randrange, text)

        return self._memo(kind, text, lambda: self._unique(kind, text, make))

    def hostname(self, text: str) -> str:
        """A host name with its registrable domain mapped and its machine part reshaped.

        ``vpn2-086.vpn.net.ed.ac.uk`` keeps its shape: the machine label and every label with a
        digit are reshaped, the other labels of the subdomain kept, and ``ed.ac.uk`` mapped as any
        organisation's domain is (a host names where its owner works or lives).
        """
        low = text.lower()
        if "/" in low or "." not in low:  # an IRC cloak or a bare machine name
            return self.formatted("hostname", text)
        base = registrable(low)
        head = low[: -len(base)].rstrip(".").split(".") if low != base else []
        mapped = [
            self.formatted("hostname", label) if any(c.isdigit() for c in label) or i == 0 else label
            for i, label in enumerate(head)
        ]
        return ".".join([*mapped, self.domain(base)])

    def street_address(self, text: str) -> str:
        """A keyed Faker street address."""
        return self._memo(
            "street_address",
            text,
            lambda: self._unique(
                "street_address",
                text,
                lambda attempt: self._fake("street_address", text, attempt).street_address(),
            ),
        )

    def ticket_prefix(self, prefix: str) -> str:
        """The surrogate of a ticket project prefix (itself unless mapping is configured)."""
        return self.ticket_prefixes.get(prefix, prefix)

    # -- time -----------------------------------------------------------------------------------

    def shift_iso(self, value: str) -> str:
        """An ISO 8601 date or time moved by the whole-week offset (format kept)."""
        if not value:
            return value
        try:
            if len(value) == 10:
                return (datetime.fromisoformat(value) + self.shift).date().isoformat()
            moved = datetime.fromisoformat(value.replace("Z", "+00:00")) + self.shift
        except ValueError:
            return value
        out = moved.isoformat()
        if value.endswith("Z"):
            out = out.replace("+00:00", "Z")
        if "T" not in value and " " in value:
            out = out.replace("T", " ")
        return out

    def shift_epoch(self, seconds: int) -> int:
        """Unix seconds moved by the offset."""
        return seconds + int(self.shift.total_seconds())
