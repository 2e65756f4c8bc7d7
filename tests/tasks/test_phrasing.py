"""Every family's phrasings rendered with real values from three workspaces, read for what people would not write.

The workspaces: the anonymized sample, titanium (Jira and git) and duraspace (its git history). The
reader flags doubled words ("the the"), a qualifier said twice ("… in OPS file in OPS"), empty
quotes, stray spacing around punctuation and an instruction that stops mid-sentence. Quoted record
text is left out: a real summary may say anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from workgym.link.build import build_workspace
from workgym.tasks.families import FAMILIES
from workgym.tasks.families.base import Gen
from workgym.world import World

_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|`[^`]*`|#\S+|\([^()]*\)")
_DOUBLED = re.compile(r"\b(\w+)\s+\1\b", re.IGNORECASE)
_QUALIFIER = re.compile(r"(Q )?\b((?:in|for|of|from) (?:[A-Z][A-Z0-9_]+|[A-Z][a-z]+ \d{4}))\b")
_ENDS = (".", "?", "!", ":", ")")


def problems(instruction: str) -> list[str]:
    """What reads wrong in an instruction, outside the record text it quotes."""
    found: list[str] = []
    outside = _QUOTED.sub("Q", instruction)
    for m in _DOUBLED.finditer(outside):
        if m[1].lower() not in ("q", "that", "had"):  # "that that" and "had had" can be right
            found.append(f"doubled word {m[0]!r}")
    for clause in outside.split(";"):  # a list's items may each carry the same qualifier
        said: dict[str, list[bool]] = {}
        for m in _QUALIFIER.finditer(clause):
            said.setdefault(m[2], []).append(bool(m[1]))
        # Twice is odd unless each time it names a different quoted record ("“A” in ENG … “B” in ENG").
        found += [
            f"qualifier said twice: {q!r}" for q, tied in said.items() if len(tied) > 1 and not all(tied)
        ]
    if "“”" in instruction or '""' in instruction:
        found.append("empty quotes")
    if (
        re.search(r"\s[,;:!?]|\s\.(?!\w)", outside)
        or "  " in instruction
        or re.search(r"[,;]\s*[.?]", outside)
    ):
        found.append("stray spacing or punctuation")
    if not instruction.rstrip().endswith(_ENDS) and not instruction.rstrip().endswith("”"):
        found.append("ends mid-sentence")
    return found


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # the odd phrasing the issue quotes: the title's project qualifier, then the project again
        ("How many bugs did the reporter of “Crash on save” in OPS file in OPS in September 2022?", "twice"),
        ("Who reported the the ticket “Crash on save”?", "doubled"),  # a doubled word
        ("Who wrote “ Login login ”?", ""),  # doubled words inside a quote are the record's own
        ("Set “x” to High ,please.", "spacing"),  # a space before a comma
        ("Who filed the ticket", "mid-sentence"),  # no end
        ("How many bugs did the reporter of “Crash on save” in OPS file there in September 2022?", ""),
    ],
)
def test_when_an_instruction_reads_oddly_then_the_reader_says_why(text: str, flag: str) -> None:
    said = " ".join(problems(text))
    assert (flag in said) if flag else not said, said


@pytest.fixture(scope="module")
def duraspace_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = shared_data / "duraspace-irc"
    if not (root / "git_dspace").is_dir():
        pytest.skip(f"the duraspace corpus is not under {shared_data}")
    db = tmp_path_factory.mktemp("duraspace") / "duraspace.db"
    build_workspace([root / "git_dspace"], db)  # its IRC logs cite no record a template names
    return db


def _instructions(db: Path, budget: int) -> Iterator[tuple[str, str]]:
    g = Gen(World.open(db), 0)
    try:
        for family, generate in FAMILIES.items():
            for draft in generate(g, budget):
                yield family, draft.instruction
    finally:
        g.close()


@pytest.mark.parametrize("workspace", ["anon_db", "titanium_db", "duraspace_db"])
def test_when_every_family_renders_real_values_then_no_instruction_reads_oddly(
    workspace: str, request: pytest.FixtureRequest
) -> None:
    db: Path = request.getfixturevalue(workspace)
    rendered = list(_instructions(db, 40))
    assert rendered
    odd = [(family, problems(text), text[:160]) for family, text in rendered if problems(text)]
    assert not odd, odd[:5]
