"""Validated pattern detectors (placeholder: being written)."""

from __future__ import annotations

from workgym.anonymize.spans import Span


def detect_patterns(text: str) -> list[Span]:
    """Spans of every pattern kind found in ``text``."""
    return []
