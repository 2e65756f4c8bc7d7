"""Free-text detection without a directory: validated patterns, names, street addresses, optional NER.

:class:`TextDetector` is what runs on text about which nothing is known (the presidio-synth and
wnut17 benchmarks run exactly this); the workspace anonymizer adds the directory and user-config
layers in front of it. :class:`CandidateCache` keeps what the free-text layers found in each text,
so the anonymizer's second pass over a workspace does not detect again.
"""

from __future__ import annotations

import hashlib
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


class CandidateCache:
    """Free-text candidates of the texts already read, within a memory budget.

    The anonymizer reads every text twice, in the same order (learn, then rewrite), and the
    free-text layers do not depend on what the first pass learned. Entries are keyed by a 16-byte
    BLAKE2 digest of the text, so a long mail body costs what a one-word message costs, and hold a
    tuple of spans (one shared empty tuple for the many texts with none).

    When the budget is spent, new texts are no longer kept, and the ones kept stay: a second pass
    in the same order then finds ``budget / need`` of what it reads, a share that falls smoothly
    as workspaces grow. (A least-recently-used cache would do worse than nothing here: evicting
    the oldest entry each time, the second pass would evict exactly the texts it reads next.)

    Args:
        budget: roughly how many bytes the cache may hold.
    """

    ENTRY_BYTES = 200
    """Estimated cost of one entry (key, dict slot, tuple), beside its spans."""
    SPAN_BYTES = 100
    """Estimated cost of one kept span."""

    def __init__(self, budget: int = 256 * 2**20) -> None:
        self.budget = budget
        self.used = 0
        self.hits = 0
        self.misses = 0
        self._entries: dict[bytes, tuple[Span, ...]] = {}

    @staticmethod
    def _key(prose: bool, text: str) -> bytes:
        digest = hashlib.blake2b(
            text.encode("utf-8", "surrogatepass"), digest_size=16, person=b"p" if prose else b"s"
        )
        return digest.digest()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, prose: bool, text: str) -> tuple[Span, ...] | None:
        """The candidates kept for ``text`` (read as prose or as structure), or None."""
        found = self._entries.get(self._key(prose, text))
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, prose: bool, text: str, spans: Sequence[Span]) -> None:
        """Keep ``spans`` for ``text`` if the budget allows."""
        cost = self.ENTRY_BYTES + self.SPAN_BYTES * len(spans)
        if self.used + cost > self.budget:
            return
        self._entries[self._key(prose, text)] = tuple(spans) if spans else ()
        self.used += cost
