"""Free-text person-name detector (placeholder: being written)."""

from __future__ import annotations

from workgym.anonymize.spans import Span


def detect_names(text: str) -> list[Span]:
    """Spans of person names (and street addresses) found in ``text``."""
    return []
