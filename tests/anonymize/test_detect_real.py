"""Acceptance of free-text detection on labelled public corpora (skipped with a reason when absent).

presidio-research's ``synth_dataset_v2.json`` is held out: nothing was tuned on its sentences (the
name detector was tuned on ``generated_large.json``). Metrics are those of
:mod:`workgym.anonymize.evaluate`, as printed by ``benchmarks/bench_detect.py``; nothing here prints
corpus text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workgym.anonymize.detect import TextDetector
from workgym.anonymize.evaluate import CharScores, char_scores, load_conll, load_presidio_synth, token_recall
from workgym.anonymize.ner import PresidioLayer, PresidioNotInstalledError, presidio_available

SYNTH = "pii-labeled/presidio-synth/synth_dataset_v2.json"


@pytest.fixture(scope="module")
def synth_scores(shared_data: Path) -> CharScores:
    path = shared_data / SYNTH
    if not path.is_file():
        pytest.skip(f"{SYNTH} not found under {shared_data}")
    return char_scores(load_presidio_synth(path), TextDetector().detect)


@pytest.mark.parametrize(
    "gold_type",
    [
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
    ],
)
def test_when_the_held_out_synth_set_is_detected_then_every_direct_type_meets_the_target(
    synth_scores: CharScores, gold_type: str
) -> None:
    assert synth_scores.recall(gold_type) >= 0.95


def test_when_the_held_out_synth_set_is_detected_then_pooled_recall_meets_the_target(
    synth_scores: CharScores,
) -> None:
    assert synth_scores.recall() >= 0.95


def test_when_the_held_out_synth_set_is_detected_then_precision_meets_the_target(
    synth_scores: CharScores,
) -> None:
    assert synth_scores.precision() >= 0.85
    assert synth_scores.precision("person") >= 0.85
    assert synth_scores.precision("street_address") >= 0.85


def test_when_wnut17_is_read_then_person_tokens_are_counted_and_some_found(shared_data: Path) -> None:
    path = shared_data / "pii-labeled/wnut17/emerging.test.annotated"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    posts = load_conll(path)
    found, total = token_recall(posts, TextDetector().detect)
    assert total > 500  # B-person and I-person tokens of the test split
    assert found / total > 0.3  # no target on real social-media text; a floor against regressions


def test_when_presidio_is_missing_then_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import workgym.anonymize.ner as ner

    monkeypatch.setattr(ner, "presidio_available", lambda: False)
    with pytest.raises(PresidioNotInstalledError, match=r"workgym\[presidio\]"):
        PresidioLayer()


@pytest.mark.skipif(
    not presidio_available(), reason='presidio not installed: pip install "workgym[presidio]"'
)
def test_when_presidio_runs_then_its_results_are_spans_of_our_kinds() -> None:
    layer = PresidioLayer()
    text = "Please ask Anna Schmidt, anna.schmidt@example.com, about the invoice."
    spans = layer(text)
    kinds = {(s.kind, text[s.start : s.end]) for s in spans}
    assert ("email", "anna.schmidt@example.com") in kinds
    assert any(kind == "person" and "Anna Schmidt" in value for kind, value in kinds)
    assert all(s.layer == "ner" and 0 <= s.start < s.end <= len(text) for s in spans)
    assert layer("   ") == []
