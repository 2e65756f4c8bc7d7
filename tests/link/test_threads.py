from __future__ import annotations

from workgym.link.threads import thread_emails
from workgym.model import Email


def mail(mid: str, reply: str = "", refs: tuple[str, ...] = ()) -> tuple[int, Email]:
    return (1, Email(id=mid, subject="s", body="b", locator=mid, in_reply_to=reply, references=refs))


def threads(*emails: tuple[int, Email]) -> dict[str, str]:
    return {e.id: e.thread_id for _, e in thread_emails(list(emails))}


def test_when_replies_chain_then_all_share_the_root() -> None:
    got = threads(mail("a"), mail("b", "a", ("a",)), mail("c", "b", ("a", "b")))
    assert got == {"a": "a", "b": "a", "c": "a"}


def test_when_root_is_missing_then_siblings_share_first_reference() -> None:
    got = threads(mail("b", "x", ("x",)), mail("c", "y", ("x", "y")))
    assert got == {"b": "x", "c": "x"}


def test_when_reply_headers_cycle_then_cut() -> None:
    got = threads(mail("a", "b"), mail("b", "a"))
    assert set(got.values()) <= {"a", "b"}


def test_when_only_references_then_last_reference_is_parent() -> None:
    got = threads(mail("a"), mail("b", "", ("a",)))
    assert got["b"] == "a"
