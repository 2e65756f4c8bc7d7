"""Free-text detection without a directory: validated patterns, the name detector, optional NER.

:class:`TextDetector` is what runs on text about which nothing is known (the presidio-synth and
wnut17 benchmarks run exactly this); the workspace anonymizer adds the directory and user-config
layers in front of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from workgym.anonymize.names import detect_names
from workgym.anonymize.patterns import detect_patterns
from workgym.anonymize.spans import Span, resolve

Layer = Callable[[str], list[Span]]
"""A detection layer: text in, candidate spans out."""


class TextDetector:
    """Patterns and names (and any extra layers, such as NER), resolved into one span per character.

    Args:
        names: run the free-text name detector.
        extra: more layers, e.g. :class:`workgym.anonymize.ner.PresidioLayer`.
    """

    def __init__(self, *, names: bool = True, extra: Sequence[Layer] = ()) -> None:
        self.layers: list[Layer] = [detect_patterns]
        if names:
            self.layers.append(detect_names)
        self.layers.extend(extra)

    def candidates(self, text: str) -> list[Span]:
        """Every layer's spans, unresolved."""
        out: list[Span] = []
        for layer in self.layers:
            out.extend(layer(text))
        return out

    def detect(self, text: str) -> list[Span]:
        """The resolved spans of ``text``, by start offset."""
        return resolve(self.candidates(text))
