"""Detection metrics on labelled corpora: character-level recall and precision, token-level recall.

The metrics, used by ``benchmarks/bench_detect.py`` and the real-data acceptance tests:

* **Character recall** of a gold type: the share of the non-whitespace characters inside gold spans
  of that type that lie inside any predicted span, whatever its kind (a name found as a handle is
  still removed). *Overall* recall pools the characters of every type in :data:`DIRECT_TYPES`.
* **Character precision**: the share of predicted non-whitespace characters that lie inside a gold
  span of *any* labelled type. Every type a corpus labels (organisations, places, dates, titles
  included) is personal or quasi-identifying data, so removing it is not an error; only characters
  no label covers count against us. Per-kind precision splits the predicted characters by the kind
  of the span that claimed them.
* **Token recall** (CoNLL corpora such as wnut17): the share of tokens tagged with a type (``B-`` or
  ``I-``) whose letters and digits all lie inside predicted spans (punctuation such as a leading
  ``@`` may stay outside; a token of punctuation only must lie inside whole).

Nothing here prints or stores corpus text; results are counts and ratios.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workgym.anonymize.spans import Span

DIRECT_TYPES: tuple[str, ...] = (
    "PERSON",
    "STREET_ADDRESS",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "IP_ADDRESS",
    "US_DRIVER_LICENSE",
    "DOMAIN_NAME",
)
"""The direct identifiers scored for recall (Presidio-research entity names)."""

TYPE_ALIASES: dict[str, str] = {"ADDRESS": "STREET_ADDRESS"}
"""Gold type names some files spell differently (``generated_large.json`` says ``ADDRESS``)."""

Predict = Callable[[str], Iterable[Span]]
"""A detector under test: text in, spans out (overlaps allowed; they are unioned)."""


@dataclass(frozen=True, slots=True)
class GoldSpan:
    """One labelled stretch of a text."""

    type: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Sample:
    """A text and its gold spans."""

    text: str
    gold: tuple[GoldSpan, ...]


@dataclass(frozen=True, slots=True)
class TokenSample:
    """A CoNLL post: the tokens joined by single spaces, each token's offsets and BIO tag."""

    text: str
    tokens: tuple[tuple[int, int, str], ...]


@dataclass
class CharScores:
    """Character counts behind recall and precision; the ratios are properties."""

    gold_chars: dict[str, int] = field(default_factory=dict)
    gold_found: dict[str, int] = field(default_factory=dict)
    all_gold_chars: int = 0
    all_gold_found: int = 0
    predicted_chars: dict[str, int] = field(default_factory=dict)
    predicted_correct: dict[str, int] = field(default_factory=dict)

    def recall(self, gold_type: str | None = None) -> float:
        """Recall of one gold type, or overall over :data:`DIRECT_TYPES` when ``None``."""
        if gold_type is None:
            return _ratio(self.all_gold_found, self.all_gold_chars)
        return _ratio(self.gold_found.get(gold_type, 0), self.gold_chars.get(gold_type, 0))

    def precision(self, kind: str | None = None) -> float:
        """Precision of the characters claimed by spans of ``kind``, or of all when ``None``."""
        if kind is None:
            return _ratio(sum(self.predicted_correct.values()), sum(self.predicted_chars.values()))
        return _ratio(self.predicted_correct.get(kind, 0), self.predicted_chars.get(kind, 0))

    def as_dict(self) -> dict[str, object]:
        """Ratios and counts, JSON-ready."""
        return {
            "recall": self.recall(),
            "precision": self.precision(),
            "recall_by_type": {t: self.recall(t) for t in DIRECT_TYPES if self.gold_chars.get(t)},
            "gold_chars_by_type": {t: self.gold_chars[t] for t in DIRECT_TYPES if self.gold_chars.get(t)},
            "precision_by_kind": {k: self.precision(k) for k in sorted(self.predicted_chars)},
            "predicted_chars_by_kind": dict(sorted(self.predicted_chars.items())),
        }


def _ratio(num: int, den: int) -> float:
    return num / den if den else float("nan")


def load_presidio_synth(path: Path) -> list[Sample]:
    """Samples of a presidio-research JSON file (list of ``{full_text, spans}``)."""
    records = json.loads(path.read_text(encoding="utf-8"))
    samples = []
    for record in records:
        gold = tuple(
            GoldSpan(
                TYPE_ALIASES.get(s["entity_type"], s["entity_type"]), s["start_position"], s["end_position"]
            )
            for s in record["spans"]
        )
        samples.append(Sample(record["full_text"], gold))
    return samples


def load_conll(path: Path) -> list[TokenSample]:
    """Posts of a CoNLL file (``token<TAB>tag`` lines, blank line between posts)."""
    posts: list[TokenSample] = []
    tokens: list[tuple[int, int, str]] = []
    words: list[str] = []
    at = 0

    def flush() -> None:
        nonlocal tokens, words, at
        if words:
            posts.append(TokenSample(" ".join(words), tuple(tokens)))
        tokens, words, at = [], [], 0

    for line in path.read_text(encoding="utf-8").split("\n"):  # not splitlines: tokens hold U+2028
        line = line.removesuffix("\r")
        if not line.strip():
            flush()
            continue
        word, _, tag = line.partition("\t")
        tokens.append((at, at + len(word), tag.strip() or "O"))
        words.append(word)
        at += len(word) + 1
    flush()
    return posts


def _claimed(text: str, spans: Iterable[Span]) -> dict[int, str]:
    """Non-whitespace offsets inside ``spans``, each with the kind of the longest span claiming it."""
    out: dict[int, str] = {}
    for span in sorted(spans, key=len):
        for i in range(max(span.start, 0), min(span.end, len(text))):
            if not text[i].isspace():
                out[i] = span.kind
    return out


def char_scores(samples: Iterable[Sample], predict: Predict) -> CharScores:
    """Character-level recall (per gold type, overall) and precision (overall, per kind)."""
    scores = CharScores()
    for sample in samples:
        text = sample.text
        claimed = _claimed(text, predict(text))
        labelled: set[int] = set()
        direct: set[int] = set()
        for g in sample.gold:
            chars = {i for i in range(g.start, min(g.end, len(text))) if not text[i].isspace()}
            labelled |= chars
            if g.type in DIRECT_TYPES:
                direct |= chars
                scores.gold_chars[g.type] = scores.gold_chars.get(g.type, 0) + len(chars)
                scores.gold_found[g.type] = scores.gold_found.get(g.type, 0) + len(chars & claimed.keys())
        scores.all_gold_chars += len(direct)
        scores.all_gold_found += len(direct & claimed.keys())
        for i, kind in claimed.items():
            scores.predicted_chars[kind] = scores.predicted_chars.get(kind, 0) + 1
            if i in labelled:
                scores.predicted_correct[kind] = scores.predicted_correct.get(kind, 0) + 1
    return scores


def token_recall(samples: Iterable[TokenSample], predict: Predict, label: str = "person") -> tuple[int, int]:
    """``(found, total)`` tokens tagged ``B-label``/``I-label`` whose letters and digits are all in spans."""
    tags = {f"B-{label}", f"I-{label}"}
    found = total = 0
    for sample in samples:
        wanted = [(s, e) for s, e, tag in sample.tokens if tag in tags]
        if not wanted:
            continue
        claimed = _claimed(sample.text, predict(sample.text))
        for start, end in wanted:
            total += 1
            letters = [i for i in range(start, end) if sample.text[i].isalnum()] or range(start, end)
            if all(i in claimed for i in letters):
                found += 1
    return found, total
