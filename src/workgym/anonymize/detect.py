"""Free-text detection without a directory: validated patterns, names, street addresses, optional NER.

:class:`TextDetector` is what runs on text about which nothing is known (the presidio-synth and
wnut17 benchmarks run exactly this); the workspace anonymizer adds the directory and user-config
layers in front of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from workgym.anonymize.addresses import detect_addresses
from workgym.anonymize.names import detect_names
from workgym.anonymize.patterns import detect_patterns
from workgym.anonymize.spans import Span, resolve

Layer = Callable[[str], list[Span]]
"""A detection layer: text in, candidate spans out."""


class TextDetector:
    """Patterns, names and addresses (and any extra layers, such as NER), one span per character.

    Args:
        names: run the free-text name detector.
        addresses: run the street-address detector; by default whenever ``names`` is on (both are
            guesses from prose, and ``names=False`` asks for none).
        extra: more layers, e.g. :class:`workgym.anonymize.ner.PresidioLayer`.
    """

    def __init__(
        self, *, names: bool = True, addresses: bool | None = None, extra: Sequence[Layer] = ()
    ) -> None:
        self.layers: list[Layer] = [detect_patterns]
        if names:
            self.layers.append(detect_names)
        if names if addresses is None else addresses:
            self.layers.append(detect_addresses)
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
