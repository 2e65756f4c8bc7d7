"""The surrogate space: directories of any size, values that name no one, keyed determinism."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest
from faker import Faker

from workgym.anonymize.config import AnonConfig
from workgym.anonymize.directory import COMMON_WORDS, Directory, Entry, PersonInfo, _fill, name_tokens
from workgym.anonymize.faker_words import providers, values
from workgym.anonymize.keys import Keyed
from workgym.anonymize.pools import NameSpace, composed_first_names, composed_surnames, fold, natural_columns
from workgym.anonymize.rewrite import Plan, Rewriter
from workgym.anonymize.surrogates import Surrogates

KEY = bytes(range(32))


def directory_of(names: list[str], domain: str = "acme-robotics.io") -> Directory:
    """A directory of one person per name, each with a ``first.last`` address and a handle."""
    persons = {}
    for i, name in enumerate(names):
        tokens = [fold(t).lower() for t in name_tokens(name)] or [f"user{i}"]
        local = re.sub(r"[^a-z0-9.]", "", ".".join(tokens)) or f"user{i}"
        handle = re.sub(r"[^a-z0-9]", "", tokens[0][:1] + tokens[-1]) or f"u{i}"
        pid = f"P{i:05d}"
        persons[pid] = PersonInfo(
            id=pid, name=name, names=[name], handles=[handle], emails=[f"{local}{i}@{domain}"]
        )
    directory = Directory(persons=persons, domains=[domain])
    _fill(directory)
    return directory


def surrogates_of(directory: Directory, key: bytes = KEY) -> Surrogates:
    return Surrogates(Keyed(key), directory, frozenset(directory.entries))


def every_natural_name() -> list[str]:
    """One full name per first name of every Faker locale (surnames cycled): every pool exhausted."""
    firsts = sorted({n for _, columns in natural_columns() for f, _ in columns for n in f.names})
    lasts = sorted({n for _, columns in natural_columns() for _, s in columns for n in s.names})
    return [f"{first} {lasts[i % len(lasts)]}" for i, first in enumerate(firsts)] + [
        f"{firsts[i % len(firsts)]} {last}" for i, last in enumerate(lasts)
    ]


def assert_distinct_and_free(directory: Directory, surrogates: Surrogates) -> None:
    """No two people share a surrogate name or address, and no surrogate token is a known value."""
    full = [fold(f"{a} {b}").lower() for a, b in surrogates.person_names.values()]
    assert len(full) == len(directory.persons)
    repeated = [name for name, n in Counter(full).items() if n > 1]
    assert not repeated, repeated[:5]
    originals = {name.lower() for p in directory.persons.values() for name in p.names}
    assert not originals & set(full), sorted(originals & set(full))[:5]
    taken = [t for pair in surrogates.person_names.values() for t in pair if t.lower() in directory.entries]
    assert not taken, taken[:5]
    addresses = [a for mapped in surrogates.person_emails.values() for a in mapped.values()]
    assert len(addresses) == len(set(addresses))
    handles = [h for mapped in surrogates.person_handles.values() for h in mapped.values()]
    assert len(handles) == len(set(handles))


# -- directories of any size ---------------------------------------------------------------------


def test_when_a_workspace_is_small_then_its_people_get_common_en_us_names() -> None:
    fake = Faker("en_US")
    fake.seed_instance(3)
    directory = directory_of([f"{fake.first_name()} {fake.last_name()}" for _ in range(30)])
    surrogates = surrogates_of(directory)
    common_first = {n for f, _ in natural_columns()[0][1] for n in f.names}
    common_last = {n for _, s in natural_columns()[0][1] for n in s.names}
    assert natural_columns()[0][0] == "en_US"
    for pid, (first, last) in surrogates.person_names.items():
        assert first in common_first and last in common_last, pid
        address = next(iter(surrogates.person_emails[pid].values()))
        assert address.startswith(f"{first}.{last}".lower()), pid  # built from the name, first.last kept
    assert_distinct_and_free(directory, surrogates)


def test_when_every_natural_name_is_someones_then_people_get_composed_names_all_different() -> None:
    names = every_natural_name()
    directory = directory_of(names[:4000])
    surrogates = surrogates_of(directory)
    assert_distinct_and_free(directory, surrogates)
    composed = set(composed_first_names()) | {n for style in composed_surnames() for n in style}
    assert any(last in composed for _, last in surrogates.person_names.values())


def test_when_people_come_from_every_locale_then_none_shares_or_wears_a_real_name() -> None:
    rng = random.Random(7)
    names = []
    for provider in providers("faker.providers.person"):  # every locale, every script
        firsts = values(getattr(provider, "first_names", ())) or values(
            getattr(provider, "first_names_male", ())
        )
        lasts = values(getattr(provider, "last_names", ()))
        if firsts and lasts:
            names += [f"{rng.choice(firsts)} {rng.choice(lasts)}" for _ in range(40)]
    assert len(names) > 3000
    directory = directory_of(names)
    surrogates = surrogates_of(directory)
    assert_distinct_and_free(directory, surrogates)


def test_when_the_name_space_has_nothing_natural_left_then_it_grows_and_never_repeats() -> None:
    every = {n.lower() for _, cs in natural_columns() for f, s in cs for n in (*f.names, *s.names)}
    level_one = {n.lower() for style in composed_surnames() for n in style}
    taken = frozenset(every | level_one)  # not even a composed surname of one root is free
    space = NameSpace(taken)
    keyed = Keyed(KEY)
    given = [space.give_name(keyed.rng("person_name", str(i))) for i in range(3000)]
    folded = [fold(f"{a} {b}").lower() for a, b in given]
    assert len(set(folded)) == len(folded)
    assert not any(t.lower() in taken for pair in given for t in pair)


def test_when_the_key_and_directory_are_the_same_then_every_surrogate_is_the_same() -> None:
    fake = Faker(["de_DE", "en_GB", "it_IT"])
    fake.seed_instance(5)
    directory = directory_of([fake.name() for _ in range(300)])
    one, two, other = surrogates_of(directory), surrogates_of(directory), surrogates_of(directory, bytes(32))
    assert one.person_names == two.person_names and one.person_emails == two.person_emails
    assert one.person_names != other.person_names

    def outside(s: Surrogates) -> list[str]:  # values no directory holds: a function of key and value
        return [
            s.person("Jordan"),
            s.handle("ops-bot"),
            s.email("bob@example.org"),
            s.formatted("phone", "+1 (208) 336-4844"),
            s.street_address("741 Evergreen Terrace"),
        ]

    assert outside(one) == outside(two)


def test_when_values_outside_the_directory_are_replaced_then_no_word_of_them_is_a_known_value() -> None:
    directory = directory_of(every_natural_name()[:3000])
    surrogates = surrogates_of(directory)
    made = [surrogates.org_label(f"org{i}-labs") for i in range(50)]
    made += [surrogates.email(f"someone{i}@example.org").partition("@")[0] for i in range(50)]
    made += [surrogates.handle(f"nick{i}") for i in range(50)]
    made += [surrogates.street_address(f"{i} Main Street") for i in range(50)]
    made += [surrogates.person(f"Name{i}") for i in range(50)]
    for value in made:
        assert not any(word in directory.entries for word in re.findall(r"[^\W\d_]+", value.lower())), value


# -- values that name no one ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("secret", "****"),  # a redacted password: https://user:****@host
        ("secret", "********"),
        ("phone", "+( )"),  # a phone field holding only punctuation
        ("url", "..."),
        ("custom", "-- --"),
    ],
)
def test_when_a_value_has_no_letter_or_digit_then_it_is_its_own_surrogate(kind: str, value: str) -> None:
    surrogates = surrogates_of(directory_of(["Anna Schmidt"]))
    assert surrogates.formatted(kind, value) == value
    assert surrogates.handle(value) == value


def test_when_a_learned_value_names_no_one_then_no_row_fails_on_it() -> None:
    directory = directory_of(["Anna Schmidt"])
    learned = [("****", Entry("secret", "", "value", 0.95, layer="pattern"))]  # as once learned
    rewriter = Rewriter(Plan(KEY, directory, AnonConfig(), learned))
    texts = [f"deploy {i}: https://ci:****@git.example.com/r.git, token ****" for i in range(151)]
    assert [rewriter.text(t, prose=True) for t in texts] == texts


# -- people's own rows ------------------------------------------------------------------------------


def test_when_two_people_share_a_real_name_then_each_row_gets_its_own_surrogate() -> None:
    directory = directory_of(["John Vogt", "John Vogt", "Anna Schmidt"])
    rewriter = Rewriter(Plan(KEY, directory, AnonConfig()))
    rows = [
        rewriter.row("person", {"id": pid, "name": "John Vogt", "names": '["John Vogt"]'}, lambda _: "")
        for pid in ("P00000", "P00001")
    ]
    assert rows[0]["name"] != rows[1]["name"]
    for pid, row in zip(("P00000", "P00001"), rows, strict=True):
        assert row["name"] == " ".join(rewriter.surrogates.person_names[pid])
    mention = rewriter.text("John Vogt has the notes", prose=True)  # in text, either one of them
    assert mention.split(" has")[0] in {r["name"] for r in rows}


def test_when_a_name_has_a_dotted_capital_i_then_it_is_found_replaced_and_audited() -> None:
    directory = directory_of(["İsa İbrahimoğlu", "Anna Schmidt"])
    rewriter = Rewriter(Plan(KEY, directory, AnonConfig()))
    out = rewriter.text("Thanks İsa İbrahimoğlu for the review", prose=True)
    assert "İsa" not in out and "İbrahimoğlu" not in out
    assert rewriter.matcher.find("Thanks İsa İbrahimoğlu")  # what the audit would count


def test_when_real_names_are_made_of_common_words_then_no_surrogate_spells_one() -> None:
    # "Guy White" is two common words: neither is a value alone, so once either could be drawn,
    # and "Guy White Colpaert" (a first name, a middle name, a surname) spelled a real name.
    (male, _), (female, _) = (c for c in natural_columns()[0][1])
    common = sorted({n for n in (*male.names, *female.names) if n.lower() in COMMON_WORDS})
    surnames = sorted({n for n in natural_columns()[0][1][0][1].names if n.lower() in COMMON_WORDS})
    real = [f"{f} {s}" for f in common for s in surnames]
    real += [
        f"{f} {s} {t}" for f, s, t in zip(common * 20, surnames * 5, reversed(surnames * 5), strict=False)
    ]
    directory = directory_of(real)
    surrogates = surrogates_of(directory)
    words = {t.lower() for p in directory.persons.values() for n in p.names for t in name_tokens(n)}
    made = {v.lower() for tokens in surrogates.person_tokens.values() for v in tokens.values()}
    assert not made & words, sorted(made & words)
    assert_distinct_and_free(directory, surrogates)
