"""E-mail threading from Message-ID, In-Reply-To and References.

A message's thread is named by its oldest known ancestor: follow ``In-Reply-To`` (else the last of
``References``) through the stored messages; where the chain leaves the workspace, the first id of
``References`` (or the ``In-Reply-To`` id) names the thread, so replies to a message we never saw
still share a thread. A message with no parent starts its own thread. Cycles are cut.
"""

from __future__ import annotations

from dataclasses import replace

from workgym.model import Email


def _parent(email: Email) -> str:
    if email.in_reply_to:
        return email.in_reply_to
    return email.references[-1] if email.references else ""


def thread_emails(emails: list[tuple[int, Email]]) -> list[tuple[int, Email]]:
    """The same e-mails, each with ``thread_id`` set (order kept)."""
    by_id = {email.id: email for _, email in emails}
    memo: dict[str, str] = {}

    def root(email: Email) -> str:
        seen: list[str] = []
        current = email
        while True:
            if current.id in memo:
                found = memo[current.id]
                break
            seen.append(current.id)
            parent = _parent(current)
            if not parent or parent in seen:
                found = current.id
                break
            if parent not in by_id:
                found = current.references[0] if current.references else parent
                break
            current = by_id[parent]
        for message_id in seen:
            memo[message_id] = found
        return found

    return [(sid, replace(email, thread_id=email.thread_id or root(email))) for sid, email in emails]
