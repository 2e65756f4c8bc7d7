"""Hand-labelled person mentions in real mailing-list mail, read back over the mail at run time.

The labels (``benchmarks/data/mail_names.json``, described in its README) hold no mail text: each
entry names a message by a hash of its Message-ID, a stretch of its decoded body by offsets and a
hash of that stretch, and the person mentions in it by offsets. :func:`load_mail_samples` reads the
mbox, finds each stretch and returns :class:`~workgym.anonymize.evaluate.Sample` values for
:func:`~workgym.anonymize.evaluate.char_scores`. Nothing here prints or stores the mail.
"""

from __future__ import annotations

import hashlib
import json
import mailbox
from email.message import Message
from pathlib import Path

from workgym.anonymize.evaluate import GoldSpan, Sample

LABELS = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "mail_names.json"
"""The labelled set beside the benchmarks (present in a source checkout)."""


def message_key(message: Message) -> str:
    """The locator of a message: the first 16 hex digits of the SHA-256 of its Message-ID."""
    mid = str(message.get("Message-ID", "")).strip()
    return hashlib.sha256(mid.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def text_key(text: str) -> str:
    """The check of a stretch of text: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def body_text(message: Message) -> str:
    """The first ``text/plain`` part of a message, decoded (undecodable bytes replaced)."""
    for part in message.walk() if message.is_multipart() else [message]:
        if part.get_content_type() == "text/plain" and not part.is_multipart():
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                return raw.decode(part.get_content_charset() or "utf-8", errors="replace")
    return ""


def load_mail_samples(mbox: Path, labels: Path = LABELS, *, split: str | None = None) -> list[Sample]:
    """The labelled stretches of ``mbox`` as samples, in the order of the labels file.

    Args:
        mbox: the mbox the labels were made on.
        labels: the labels file.
        split: ``"dev"`` or ``"held_out"`` for one half; ``None`` for both.

    Raises:
        ValueError: a labelled message is missing or its text differs from the one labelled.
    """
    entries = json.loads(labels.read_text(encoding="utf-8"))["messages"]
    wanted = {e["message"] for e in entries if split is None or e["split"] == split}
    bodies: dict[str, str] = {}
    for message in mailbox.mbox(mbox, create=False):
        key = message_key(message)
        if key in wanted and key not in bodies:
            bodies[key] = body_text(message)
    samples = []
    for entry in entries:
        if entry["message"] not in wanted:
            continue
        body = bodies.get(entry["message"])
        if body is None:
            raise ValueError(f"message {entry['message']} not found in {mbox.name}")
        start, end = entry["span"]
        text = body[start:end]
        if text_key(text) != entry["sha"]:
            raise ValueError(f"message {entry['message']}: text differs from the one labelled")
        gold = tuple(GoldSpan(label, s, e) for s, e, label in entry["mentions"])
        samples.append(Sample(text, gold))
    return samples
