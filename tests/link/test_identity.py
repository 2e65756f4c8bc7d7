from __future__ import annotations

from workgym.link.identity import normalise_name, resolve_identities
from workgym.model import Identity


def ident(key: str, **kw: object) -> Identity:
    return Identity(key=key, locator="x", **kw)  # type: ignore[arg-type]


def test_when_slack_profile_and_commit_share_an_address_then_one_person() -> None:
    res = resolve_identities(
        [
            (1, ident("slack:U1", display_name="bobk", real_name="Robert King", emails=("Bob@Acme.io",))),
            (2, ident("email:bob@acme.io", display_name="bob")),
        ]
    )
    assert len(res.persons) == 1
    assert res.person_of[(1, "slack:U1")] == res.person_of[(2, "email:bob@acme.io")]
    assert res.persons[0].name == "Robert King"
    assert "e-mail address bob@acme.io" in res.merges[0].reason


def test_when_jira_display_name_equals_commit_author_then_merged_with_evidence() -> None:
    res = resolve_identities(
        [
            (1, ident("jira:skyp", display_name="Tim  Poulsen", handle="skyp")),
            (2, ident("email:tim@example.org", display_name="tim poulsen")),
        ]
    )
    assert len(res.persons) == 1
    assert res.merges[0].reason == "same full name 'tim poulsen'"
    assert res.merges[0].identity == "1:jira:skyp"


def test_when_irc_nick_is_the_local_part_of_one_address_then_merged() -> None:
    res = resolve_identities(
        [(1, ident("email:tdono@dura.org", display_name="T D")), (2, ident("irc:tdono", handle="tdono"))]
    )
    assert len(res.persons) == 1


def test_when_local_part_is_ambiguous_or_short_then_not_merged() -> None:
    res = resolve_identities(
        [
            (1, ident("email:alex@a.org")),
            (1, ident("email:alex@b.org")),
            (2, ident("irc:alex", handle="alex")),
            (2, ident("irc:bo", handle="bo")),
            (1, ident("email:bo@c.org")),
        ]
    )
    assert len(res.persons) == 5


def test_when_single_word_names_match_then_not_merged() -> None:
    res = resolve_identities(
        [(1, ident("slack:U1", display_name="javier")), (2, ident("jira:j", display_name="Javier"))]
    )
    assert len(res.persons) == 2


def test_when_bots_share_a_name_then_not_merged() -> None:
    res = resolve_identities(
        [
            (1, ident("slack:B1", display_name="Build Bot", is_bot=True)),
            (2, ident("jira:bb", display_name="Build Bot")),
        ]
    )
    assert len(res.persons) == 2


def test_when_resolved_twice_then_identical_and_ids_follow_first_sighting() -> None:
    items = [
        (1, ident("jira:z", display_name="Zed Alpha")),
        (1, ident("jira:a", display_name="Ann Beta")),
        (2, ident("email:ann@x.org", display_name="Ann Beta")),
    ]
    first, second = resolve_identities(items), resolve_identities(items)
    assert first == second
    assert [p.id for p in first.persons] == ["P0001", "P0002"]
    assert first.persons[0].name == "Zed Alpha"


def test_when_name_has_accents_and_dots_then_normalised() -> None:
    assert normalise_name("José  Núñez") == "jose nunez"
    assert normalise_name("J.R. Smith") == "j r smith"
