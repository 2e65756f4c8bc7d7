"""Person names in real mail: character recall and precision at the anonymizer's threshold.

Reads the hand-labelled stretches of linux-mips-lore mail listed in ``benchmarks/data/mail_names.json``
(see its README) from ``../shared/data`` and runs ``TextDetector().detect`` on each, keeping spans at
or above ``--threshold`` (0.8, the anonymizer's). Recall is over the labelled PERSON characters,
found by a span of any kind (a name inside an e-mail span is still removed); precision is over the
characters claimed by ``person`` spans, since only people are labelled. Presidio (spaCy
``en_core_web_sm``, its PERSON spans) runs beside when installed. Prints figures for the dev half
(rules were chosen on it) and the held-out half, and characters/second; never the mail text.

    python benchmarks/bench_mail_names.py [--threshold 0.8] [--no-presidio] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from workgym.anonymize.detect import TextDetector
from workgym.anonymize.evaluate import Sample, char_scores
from workgym.anonymize.mail_labels import LABELS, load_mail_samples
from workgym.anonymize.ner import PresidioLayer, presidio_available
from workgym.anonymize.spans import Span

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
MBOX = "linux-mips-lore/linux-mips_2019-04-15_to_2019-11-28.mbox"
Predict = Callable[[str], Iterable[Span]]


def figures(samples: list[Sample], predict: Predict, threshold: float) -> dict[str, float]:
    """Recall of PERSON characters (spans of any kind) and precision of ``person`` spans, at ``threshold``."""
    outputs = [[s for s in predict(sample.text) if s.confidence >= threshold] for sample in samples]
    found = iter(outputs)
    recall = char_scores(samples, lambda _t: next(found)).recall("PERSON")
    people = iter([[s for s in out if s.kind == "person"] for out in outputs])
    precision = char_scores(samples, lambda _t: next(people)).precision()
    return {"recall": recall, "precision": precision}


def rate(predict: Predict, texts: list[str], repeat: int = 3) -> float:
    """Best characters/second of ``repeat`` passes."""
    chars = sum(map(len, texts))
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for text in texts:
            list(predict(text))
        best = min(best, time.perf_counter() - started)
    return chars / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--no-presidio", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    mbox = args.data / MBOX
    if not mbox.is_file():
        print(f"mail corpus not found at {mbox}", file=sys.stderr)
        return 2
    halves = {split: load_mail_samples(mbox, args.labels, split=split) for split in ("dev", "held_out")}
    detector = TextDetector()
    detector.detect("Warm-up: Thanks, Anna Schmidt")
    predictors: dict[str, Predict] = {"workgym": detector.detect}
    if not args.no_presidio and presidio_available():
        presidio = PresidioLayer()
        predictors["presidio"] = presidio
    elif not args.no_presidio:
        print("Presidio: not installed, baseline skipped")
    result: dict[str, object] = {"threshold": args.threshold}
    print(f"threshold {args.threshold}")
    print(f"{'half':<10}{'texts':>6}{'mentions':>9}{'detector':>10}{'recall':>8}{'precision':>10}")
    for split, samples in halves.items():
        mentions = sum(len(s.gold) for s in samples)
        for name, predict in predictors.items():
            # Presidio's confidences are on another scale: its spans are kept as it returns them
            got = figures(samples, predict, args.threshold if name == "workgym" else 0.0)
            print(
                f"{split:<10}{len(samples):>6}{mentions:>9}{name:>10}{got['recall']:>8.3f}{got['precision']:>10.3f}"
            )
            result[f"{split}/{name}"] = got
    texts = [s.text for samples in halves.values() for s in samples]
    rates = {
        name: rate(predict, texts, 3 if name == "workgym" else 1) for name, predict in predictors.items()
    }
    for name, value in rates.items():
        print(f"speed {name}: {value:,.0f} chars/s")
    if "presidio" in rates:
        print(f"ratio workgym / presidio: {rates['workgym'] / rates['presidio']:.1f}x")
    result["chars_per_s"] = rates
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
