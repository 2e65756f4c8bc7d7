"""Free-text detection quality and speed, ours beside Presidio, on labelled corpora.

Runs ``TextDetector().detect`` (validated patterns + names + street addresses) and, unless
``--no-presidio``, Presidio's ``AnalyzerEngine`` on spaCy ``en_core_web_sm`` over the same texts of
presidio-research's ``synth_dataset_v2.json`` (held out; ``--dev`` uses ``generated_large.json``,
the tuning set). Prints character recall per gold type and overall, character precision overall and
per predicted kind (metric definitions: ``workgym.anonymize.evaluate``), wnut17 person token recall,
and characters/second of both detectors in this one process pinned to one core, with the ratio.

    python benchmarks/bench_detect.py [--dev] [--no-presidio] [--json out.json] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from workgym.anonymize.addresses import detect_addresses
from workgym.anonymize.detect import TextDetector
from workgym.anonymize.evaluate import (
    DIRECT_TYPES,
    CharScores,
    Sample,
    char_scores,
    load_conll,
    load_presidio_synth,
    token_recall,
)
from workgym.anonymize.names import detect_names
from workgym.anonymize.ner import INSTALL_HINT, PresidioLayer, presidio_available
from workgym.anonymize.patterns import detect_patterns
from workgym.anonymize.spans import Span

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
SYNTH = "pii-labeled/presidio-synth/synth_dataset_v2.json"
DEV = "pii-labeled/presidio-synth/generated_large.json"
WNUT = ("pii-labeled/wnut17/emerging.test.annotated", "pii-labeled/wnut17/wnut17train.conll")


def pin_one_core() -> str:
    """Pin this process to one CPU where the OS allows, and numeric libraries to one thread; say which.

    Called before Presidio (and so numpy and spaCy) is imported: the thread settings apply then.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def import_cost() -> float:
    """Seconds to import ``workgym.anonymize.names`` in a fresh interpreter (the lists load later)."""
    code = (
        "import time; t = time.perf_counter(); import workgym.anonymize.names; print(time.perf_counter() - t)"
    )
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    ]
    runs += [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    ]
    return min(runs)


def timed(predict: Callable[[str], Iterable[Span]], texts: list[str]) -> tuple[float, list[list[Span]]]:
    """Seconds to run ``predict`` over ``texts`` once, and its outputs."""
    started = time.perf_counter()
    out = [list(predict(t)) for t in texts]
    return time.perf_counter() - started, out


def best_rate(predict: Callable[[str], Iterable[Span]], texts: list[str], repeat: int) -> float:
    """Best characters/second of ``repeat`` passes over ``texts``."""
    chars = sum(map(len, texts))
    return max(chars / timed(predict, texts)[0] for _ in range(max(repeat, 1)))


def scores_from(samples: list[Sample], predictions: list[list[Span]]) -> CharScores:
    """Character scores of precomputed predictions (one list per sample, same order)."""
    by_text = iter(predictions)
    return char_scores(samples, lambda _text: next(by_text))


def print_quality(columns: dict[str, CharScores]) -> None:
    """Recall per gold type, overall recall and precision, then precision per kind."""
    names = list(columns)
    first = next(iter(columns.values()))
    print(f"\n{'character recall':<22}{'gold chars':>11}" + "".join(f"{n:>12}" for n in names))
    for gold_type in DIRECT_TYPES:
        if first.gold_chars.get(gold_type):
            row = "".join(f"{c.recall(gold_type):>12.3f}" for c in columns.values())
            print(f"{gold_type:<22}{first.gold_chars[gold_type]:>11,}{row}")
    print(
        f"{'ALL (direct types)':<22}{first.all_gold_chars:>11,}"
        + "".join(f"{c.recall():>12.3f}" for c in columns.values())
    )
    print(
        f"{'precision (all kinds)':<22}{'':>11}"
        + "".join(f"{c.precision():>12.3f}" for c in columns.values())
    )
    for name, c in columns.items():
        print(f"\n{name}: precision by predicted kind (chars claimed)")
        for kind in sorted(c.predicted_chars, key=lambda k: -c.predicted_chars[k]):
            print(f"  {kind:<18}{c.precision(kind):>8.3f}  ({c.predicted_chars[kind]:,})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--dev", action="store_true", help="the tuning set generated_large.json")
    parser.add_argument("--no-presidio", action="store_true", help="skip the Presidio baseline")
    parser.add_argument("--no-wnut", action="store_true", help="skip wnut17 person recall")
    parser.add_argument("--repeat", type=int, default=5, help="timing passes of our detector (best kept)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    corpus = args.data / (DEV if args.dev else SYNTH)
    if not corpus.is_file():
        print(f"labelled corpus not found at {corpus}", file=sys.stderr)
        return 2
    pinned = pin_one_core()
    samples = load_presidio_synth(corpus)
    texts = [s.text for s in samples]
    chars = sum(map(len, texts))
    print(f"{corpus.name}: {len(samples):,} texts, {chars:,} characters; one process, {pinned}")

    started = time.perf_counter()
    detector = TextDetector()
    detector.detect("Warm-up: Dear Anna Schmidt, 12 Main Street.")
    first_call = time.perf_counter() - started
    ours_s, ours_pred = timed(detector.detect, texts)
    columns = {"workgym": scores_from(samples, ours_pred)}
    rates = {
        "workgym": best_rate(detector.detect, texts, args.repeat),
        "patterns": best_rate(detect_patterns, texts, args.repeat),
        "names": best_rate(detect_names, texts, args.repeat),
        "addresses": best_rate(detect_addresses, texts, args.repeat),
    }
    result: dict[str, object] = {
        "corpus": corpus.name,
        "texts": len(samples),
        "chars": chars,
        "pinned": pinned,
    }
    result["first_call_s"] = first_call

    presidio: PresidioLayer | None = None
    if args.no_presidio:
        print("Presidio: skipped (--no-presidio)")
    elif not presidio_available():
        print(f"Presidio: NOT INSTALLED, baseline skipped ({INSTALL_HINT})")
    else:
        started = time.perf_counter()
        presidio = PresidioLayer()
        presidio("Warm-up: Dear Anna Schmidt, 12 Main Street.")
        result["presidio_load_s"] = time.perf_counter() - started
        presidio_s, presidio_pred = timed(presidio, texts)
        columns["presidio"] = scores_from(samples, presidio_pred)
        # ours with Presidio as the extra NER layer ([anonymize] ner = true): both layers' spans
        columns["workgym+ner"] = scores_from(
            samples, [a + b for a, b in zip(ours_pred, presidio_pred, strict=True)]
        )
        rates["presidio"] = chars / presidio_s
    print_quality(columns)
    result["quality"] = {name: c.as_dict() for name, c in columns.items()}

    social: list[str] = []
    if not args.no_wnut:
        wnut: dict[str, dict[str, float]] = {}
        print(f"\n{'wnut17 person tokens':<34}{'tokens':>8}" + "".join(f"{n:>12}" for n in columns))
        for rel in WNUT:
            path = args.data / rel
            if not path.is_file():
                print(f"  {path.name}: not found")
                continue
            posts = load_conll(path)
            social += [p.text for p in posts]
            layers: dict[str, Callable[[str], Iterable[Span]]] = {"workgym": detector.detect}
            if presidio is not None:
                layers["presidio"] = presidio
            found = {name: token_recall(posts, fn) for name, fn in layers.items()}
            total = next(iter(found.values()))[1]
            row = "".join(f"{f / total if total else float('nan'):>12.3f}" for f, _ in found.values())
            print(f"{path.name:<34}{total:>8,}{row}")
            wnut[path.name] = {name: f / total if total else float("nan") for name, (f, _) in found.items()}
        result["wnut17_person_recall"] = wnut

    prose = [
        p for f in [*sorted(ROOT.glob("docs/*.md")), ROOT / "README.md"] for p in f.read_text().split("\n\n")
    ]
    rates["names (docs prose)"] = best_rate(detect_names, prose, args.repeat)
    rates["addresses (docs prose)"] = best_rate(detect_addresses, prose, args.repeat)
    if social:  # real social-media English (wnut17), for the name detector's speed on everyday text
        rates["names (wnut17 text)"] = best_rate(detect_names, social, args.repeat)
        rates["addresses (wnut17 text)"] = best_rate(detect_addresses, social, args.repeat)
        rates["workgym (wnut17 text)"] = best_rate(detector.detect, social, args.repeat)
    print(f"\n{'speed (one core)':<26}{'chars/s':>14}{'MB/s':>9}")
    for name, rate in rates.items():
        print(f"{name:<26}{rate:>14,.0f}{rate / 1e6:>9.2f}")
    result["import_names_s"] = import_cost()
    print(f"import workgym.anonymize.names: {result['import_names_s'] * 1000:.0f} ms (Faker not imported)")
    print(
        f"first call of ours (builds the name and street lists from Faker): {first_call:.3f} s; one pass {ours_s:.3f} s"
    )
    if "presidio" in rates:
        ratio = rates["workgym"] / rates["presidio"]
        print(f"ratio workgym / presidio: {ratio:,.1f}x  (presidio load {result['presidio_load_s']:.1f} s)")
        result["ratio"] = ratio
    result["chars_per_s"] = rates
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
