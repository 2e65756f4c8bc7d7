"""Person names in real mail (hand-labelled linux-mips-lore stretches), held-out half; skipped without the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from workgym.anonymize.detect import TextDetector
from workgym.anonymize.evaluate import CharScores, char_scores
from workgym.anonymize.mail_labels import LABELS, load_mail_samples

MBOX = "linux-mips-lore/linux-mips_2019-04-15_to_2019-11-28.mbox"


@pytest.fixture(scope="module")
def held_out(shared_data: Path) -> tuple[CharScores, CharScores]:
    mbox = shared_data / MBOX
    if not mbox.is_file() or not LABELS.is_file():
        pytest.skip(f"{MBOX} or the labels file not found")
    samples = load_mail_samples(mbox, split="held_out")
    detector = TextDetector()
    outputs = [[s for s in detector.detect(x.text) if s.confidence >= 0.8] for x in samples]
    every = iter(outputs)
    people = iter([[s for s in out if s.kind == "person"] for out in outputs])
    return char_scores(samples, lambda _t: next(every)), char_scores(samples, lambda _t: next(people))


def test_when_held_out_mail_is_detected_at_the_threshold_then_person_recall_meets_the_target(
    held_out: tuple[CharScores, CharScores],
) -> None:
    assert held_out[0].recall("PERSON") >= 0.95


def test_when_held_out_mail_is_detected_at_the_threshold_then_person_precision_meets_the_target(
    held_out: tuple[CharScores, CharScores],
) -> None:
    assert held_out[1].precision() >= 0.9
