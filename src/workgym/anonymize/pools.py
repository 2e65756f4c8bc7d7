"""The surrogate name space: natural names first, then composed ones, never exhausted.

A workspace of 100,000 people takes, as its own real names, most of every name list there is: a
surrogate may be none of them (the audit would read it as a leak), so natural names alone run out.
:class:`NameSpace` holds the names free in one workspace (no token, in its own spelling or in
ASCII, is a value the workspace knows) in four tiers, and hands out full names, each to one
person; every try at a person's name draws from the tier it points at, so each try widens the
space:

=========  ==============================================================================
tries      full names drawn from
=========  ==============================================================================
1-4        en_US first names and surnames, by frequency (``James Smith``)
5-12       one more Latin-script Faker locale, first and last name from the same locale
           and gender (``Lars Lindqvist``, ``Giulia Bellini``)
13-20      a natural first name and a composed surname (``Anna Ashcombe``)
21 on      a composed first name and surname (``Calina Eichinger``); every
           :data:`LEVEL_EVERY` tries a surname gains a root (``Ashbrookley``)
=========  ==============================================================================

A tier with nothing free, or half of whose full names are given, is passed over: small
workspaces get common names, large ones go on to rarer and then composed names without
spending tries where most draws repeat. Composed names join a stem and an ending in the style of
a naming tradition (English place names, German, Nordic, Romance and Slavic surnames): about
3,100 first names and 3,500 surnames, ten million full names before the surnames grow.
Everything here is a function of the workspace's values and of the random generator the caller
seeds with the key, and names are handed out in the order the caller asks (person id order), so
every worker hands out the same names.
"""

from __future__ import annotations

import random
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

TIER_TRIES: tuple[int, int, int] = (4, 8, 8)
"""Tries a person's full name gets in each tier (en_US, another locale, natural and composed)
before the next; composed names then get every try left."""
COMMON_UNTIL = 4
"""Single names: attempts below this draw en_US names."""
LOCALE_UNTIL = 12
"""Single names: attempts below this (and from :data:`COMMON_UNTIL`) draw any locale's names."""
LEVEL_EVERY = 40
"""Composed surnames gain a root every this many tries in their tier."""
MAX_LEVEL = 4
"""The most roots a composed surname has."""

_FOLD = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "æ": "ae", "Æ": "Ae",
     "œ": "oe", "Œ": "Oe", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i", "ŀ": "l", "Ŀ": "L"}
)  # fmt: skip
"""Latin letters that Unicode does not decompose into a base letter and a mark."""


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """``text`` with its Latin letters in plain ASCII (``Jürgen`` -> ``Jurgen``, ``Łukasz`` -> ``Lukasz``).

    Letters of other scripts are kept as they are.
    """
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _usable(token: str) -> bool:
    """Whether ``token`` can be a surrogate: one word of two or more Latin letters, nothing else.

    A letter whose lower case is two characters (``İ``) is left out: values are compared in lower
    case, and such a letter is compared as written.
    """
    folded = fold(token)
    return (
        len(folded) >= 2
        and folded.isascii()
        and folded.isalpha()
        and token.isalpha()
        and len(token.lower()) == len(token)
    )


@dataclass(frozen=True)
class Pool:
    """Names and their cumulative weights, for keyed weighted draws in O(log n)."""

    names: tuple[str, ...]
    cum_weights: tuple[float, ...]

    @classmethod
    def of(cls, weighted: Iterable[tuple[str, float]]) -> Pool:
        """A pool of (name, weight) pairs; a name listed twice keeps its first weight."""
        seen: dict[str, float] = {}
        for name, weight in weighted:
            if name not in seen and weight > 0:
                seen[name] = weight
        names = tuple(seen)
        total = 0.0
        cumulative = []
        for name in names:
            total += seen[name]
            cumulative.append(total)
        return cls(names, tuple(cumulative))

    def __len__(self) -> int:
        return len(self.names)

    def free(self, taken: Callable[[str], bool]) -> Pool:
        """The names that are not ``taken``, with their weights."""
        weights = [b - a for a, b in zip((0.0, *self.cum_weights), self.cum_weights, strict=False)]
        return Pool.of((n, w) for n, w in zip(self.names, weights, strict=True) if not taken(n))

    def draw(self, rng: random.Random) -> str:
        """One name, by weight."""
        at = bisect_right(self.cum_weights, rng.random() * self.cum_weights[-1])
        return self.names[min(at, len(self.names) - 1)]


Column = tuple[Pool, Pool]
"""First names and the surnames that go with them (one locale, one gender where surnames have one)."""


def _weighted(value: object) -> list[tuple[str, float]]:
    """The usable names of a Faker list (weight 1 each) or weighted dict."""
    if isinstance(value, dict):
        return [(k, float(w)) for k, w in value.items() if isinstance(k, str) and _usable(k)]
    if isinstance(value, (list, tuple)):
        return [(v, 1.0) for v in value if isinstance(v, str) and _usable(v)]
    return []


@cache
def natural_columns() -> tuple[tuple[str, tuple[Column, ...]], ...]:
    """(locale, columns) for en_US first, then every other Faker locale with Latin-script names."""
    import importlib
    import pkgutil

    import faker.providers.person as person

    out = []
    for module in sorted(pkgutil.iter_modules(person.__path__), key=lambda m: (m.name != "en_US", m.name)):
        provider = importlib.import_module(f"faker.providers.person.{module.name}").Provider

        def names(attribute: str, provider: type = provider) -> list[tuple[str, float]]:
            return _weighted(getattr(provider, attribute, None))

        surnames = names("last_names")
        gendered = [
            (names("first_names_male"), names("last_names_male") or surnames),
            (names("first_names_female"), names("last_names_female") or surnames),
        ]
        columns = [(Pool.of(f), Pool.of(s)) for f, s in gendered if f and s]
        if not columns and names("first_names") and surnames:
            columns = [(Pool.of(names("first_names")), Pool.of(surnames))]
        if columns:
            out.append((module.name, tuple(columns)))
    return tuple(out)


# -- composed names -------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST_STEMS = _words("""Al Am An Ar Ash Bel Ber Bren Bri Cal Cam Car Cel Cor Dal Dar Del Der Dor Ed El Em Emi Er
    Ev Fal Fen Fer Fin Gal Gil Hal Hel Is Jan Jas Jor Kal Kel Ken Kor Lar Lei Len Lin Liv Lor Mal Mar
    Mel Mer Mir Nal Nes Nor Or Pal Per Ral Ren Ron Ros Sal Sel Ser Sor Tal Tam Ter Tes Tor Val Ven Ver
    Wen Wil Zel""")
_FIRST_ENDINGS = _words("""a ana ena ina ita ella elle ette ia ie ine yn wyn an en on in ian ias io o us ius ric
    rick ard bert mund win ton den ley ly dra issa ara ora una ise elia etta ely andra ander""")
_SURNAME_STYLES: tuple[tuple[str, str], ...] = (
    (  # English place names
        """Ash Bar Black Brad Bram Brook Burn Cald Carl Chad Chil Clif Cole Cran Dal Dun Els Fair Farn
        Fern Gold Hal Ham Hart Haw Hay Hol Kings Kirk Lang Lin Lock Marl Mil Moor Nor Oak Pen Rad Red
        Ring Ros Rush Sal Shel Sher Stan Stock Sut Thorn Tre Wal Wes Whit Win Wood Wren Ather Bex Cor
        Dray Eld Fen Hurl Kel Lud""",
        """by combe croft dale den field ford gate ham hurst land ley low more ridge shaw stead stone
        ton well wick wood worth bury brook cott bridge""",
    ),
    (  # German
        """Alt Bau Berg Birn Brand Eich Eisen Engel Falk Feld Frei Gold Grun Hahn Hart Hof Holz Horn
        Kirch Klein Kron Lang Lauter Lind Mohr Neu Ober Rein Rosen Schon Sonnen Stein Stern Wald Weid
        Wein Wies Winter Wolf Zimmer""",
        "bach bauer berg brand burg dorf feld hauser heim hofer horst inger kamp mann meier ner reiter stein thal wald",
    ),
    (  # Nordic
        "Ahl Alm Berg Bjork Dahl Ek Fager Fors Gran Hag Hall Hed Holm Lind Ljung Lund Nord Ny Ros Sand Stal Strom Sund Vall Vik",
        "berg blad by dahl gard gren holm lund man qvist sten strom vall vik",
    ),
    (  # Romance
        "Bar Bel Ber Cal Car Cas Cor Dal Fal Fer Gal Gar Lan Lor Mar Mon Mor Pal Ros Sal Ser Tor Val Ven Ver",
        "ani ano ardi ares aro eda ello era esco etti ez ini ino one oni ucci",
    ),
    (  # Slavic
        "Bel Bor Chor Dob Drag Gor Grab Jas Kam Kov Kral Lip Lub Mal Mir Nov Pet Pol Rad Sob Sok Stan Vel Vol Zar",
        "ak anski ar ecki ek enko ic ik inski ov ovic owski uk",
    ),
)
_AWKWARD = re.compile(r"(.)\1\1|[aeiouy]{3}|[^aeiouy]{5}")
"""Three of a letter, three vowels or five consonants in a row: no name is spelled so."""


def _join(stem: str, ending: str, *, given: bool) -> str | None:
    """``stem`` + ``ending`` when they read as one name (``Cal`` + ``ina``), else None.

    A given name takes a consonant ending only after a soft stem (``Kelbert``, never ``Edbert``)
    and four consonants in a row never; surnames join as place names do (``Ashcombe``,
    ``Lindqvist``).
    """
    low = stem.lower()
    if low == ending or low.endswith(ending[:2]) or (low[-1] == ending[0] and low[-1] in "aeiouy"):
        return None
    word = stem + ending
    if given and (
        (ending[0] not in "aeiouy" and low[-1] not in "aeiouylnr") or re.search(r"[^aeiouy]{4}", word.lower())
    ):
        return None
    return None if _AWKWARD.search(word.lower()) else word


@cache
def composed_first_names() -> tuple[str, ...]:
    """First names made of a stem and an ending (``Calina``, ``Dorian``, ``Kelbert``)."""
    return tuple(sorted({w for s in _FIRST_STEMS for e in _FIRST_ENDINGS if (w := _join(s, e, given=True))}))


@cache
def composed_surnames() -> tuple[tuple[str, ...], ...]:
    """Surnames made of a root and an ending, one tuple per style (``Ashcombe``, ``Eichinger``)."""
    return tuple(
        tuple(sorted({w for r in roots.split() for e in endings.split() if (w := _join(r, e, given=False))}))
        for roots, endings in _SURNAME_STYLES
    )


def _uniform(names: Iterable[str]) -> Pool:
    return Pool.of((n, 1.0) for n in names)


# -- one workspace's free names -------------------------------------------------------------------


class NameSpace:
    """The surrogate names free in one workspace, and the full names given so far (see the module doc).

    Args:
        taken: lower-cased values no surrogate token may equal, in its own spelling or in ASCII.
    """

    def __init__(self, taken: Container[str]) -> None:
        self._taken = taken
        free = [
            [(f.free(self.is_taken), s.free(self.is_taken)) for f, s in cs] for _, cs in natural_columns()
        ]
        self.common: list[Column] = [(f, s) for f, s in free[0] if len(f) and len(s)]
        self.locales: list[Column] = [(f, s) for cs in free[1:] for f, s in cs if len(f) and len(s)]
        self.first_pools: list[Pool] = [f for cs in free for f, _ in cs if len(f)]
        self.surname_pools: list[Pool] = [s for cs in free for _, s in cs if len(s)]
        self.composed_first = _uniform(n for n in composed_first_names() if not self.is_taken(n))
        self.composed_surnames = [
            pool
            for style in composed_surnames()
            if len(pool := _uniform(n for n in style if not self.is_taken(n)))
        ]
        self._roots = _SURNAME_STYLES[0][0].split()
        self._endings = _SURNAME_STYLES[0][1].split()
        composed = sum(map(len, self.composed_surnames))
        self._capacity = (
            sum(len(f) * len(s) for f, s in self.common),
            sum(len(f) * len(s) for f, s in self.locales),
            len({n for pool in self.first_pools for n in pool.names}) * composed,
        )
        self._given_by_tier = [0, 0, 0, 0]
        self._given: set[str] = set()

    def is_taken(self, token: str) -> bool:
        """Whether ``token`` (or its ASCII form) is a value of the workspace."""
        low = token.lower()
        return low in self._taken or fold(low) in self._taken

    # -- full names ---------------------------------------------------------------------------

    def give_name(self, rng: random.Random, tries: int = 1000) -> tuple[str, str]:
        """A (first name, surname) for one more person: free, and no one's given so far.

        Each try draws from the tier it points at; a tier half of whose full names are given is
        passed over (its draws would mostly repeat a given name).

        Raises:
            RuntimeError: no name was found in ``tries`` tries (the space grows with every try,
                so this takes a directory of many millions).
        """
        for attempt in range(tries):
            tier, within = self._tier(attempt)
            drawn = self._draw(rng, tier, within)
            if drawn is None:
                continue
            full = f"{drawn[0]} {drawn[1]}"
            folded = fold(full).lower()
            # Each token is free; the whole name must be too (two common words, "Guy West", are
            # free as tokens and may still be someone's name).
            if folded not in self._given and not self.is_taken(full):
                self._given.add(folded)
                self._given_by_tier[tier] += 1
                return drawn
        raise RuntimeError(f"no free surrogate name after {tries} tries")

    def _tier(self, attempt: int) -> tuple[int, int]:
        """The tier that try ``attempt`` draws from, and how many tries of it came before."""
        for tier, tries in enumerate(TIER_TRIES):
            if self._given_by_tier[tier] * 2 >= self._capacity[tier]:
                continue  # empty, or half given
            if attempt < tries:
                return tier, attempt
            attempt -= tries
        return len(TIER_TRIES), attempt

    def _draw(self, rng: random.Random, tier: int, within: int) -> tuple[str, str] | None:
        if tier < 2:
            first, surnames = rng.choice(self.common if tier == 0 else self.locales)
            return first.draw(rng), surnames.draw(rng)
        given = rng.choice(self.first_pools).draw(rng) if tier == 2 else self._composed_first(rng)
        surname = self._composed_surname(rng, 1 + within // LEVEL_EVERY if tier == 3 else 1)
        return (given, surname) if given and surname else None

    # -- single names -------------------------------------------------------------------------

    def first_name(self, rng: random.Random, attempt: int) -> str | None:
        """A free first name from the tier of ``attempt`` (None: try the next attempt)."""
        if attempt < COMMON_UNTIL and self.common:
            return rng.choice(self.common)[0].draw(rng)
        if attempt < LOCALE_UNTIL and self.first_pools:
            return rng.choice(self.first_pools).draw(rng)
        return self._composed_first(rng)

    def surname(self, rng: random.Random, attempt: int) -> str | None:
        """A free surname from the tier of ``attempt`` (None: try the next attempt)."""
        if attempt < COMMON_UNTIL and self.common:
            return rng.choice(self.common)[1].draw(rng)
        if attempt < LOCALE_UNTIL and self.surname_pools:
            return rng.choice(self.surname_pools).draw(rng)
        return self._composed_surname(rng, 1 + max(0, attempt - LOCALE_UNTIL) // LEVEL_EVERY)

    def _composed_first(self, rng: random.Random) -> str | None:
        if len(self.composed_first):
            return self.composed_first.draw(rng)
        return self._grown(rng, 2)

    def _composed_surname(self, rng: random.Random, level: int) -> str | None:
        if level == 1 and self.composed_surnames:
            return rng.choice(self.composed_surnames).draw(rng)
        return self._grown(rng, min(MAX_LEVEL, max(2, level)))

    def _grown(self, rng: random.Random, roots: int) -> str | None:
        """An English place-name surname of ``roots`` roots (``Ashbrookley``), or None when taken."""
        parts = [rng.choice(self._roots) for _ in range(roots)]
        word = parts[0] + "".join(p.lower() for p in parts[1:]) + rng.choice(self._endings)
        return None if self.is_taken(word) else word


def user_name(rng: random.Random, first: str, last: str) -> str:
    """A user name in one of the styles people pick (``anna.berg``, ``aberg``, ``anna42``), in ASCII."""
    f, la = fold(first).lower(), fold(last).lower()
    styles: Sequence[str] = (
        f"{f}.{la}",
        f"{la}.{f}",
        f"{f}{la}",
        f"{f[0]}{la}",
        f"{f}{rng.randrange(10, 100)}",
        f"{f}_{la}",
    )
    return re.sub(r"[^a-z0-9._]", "", rng.choice(styles))
