"""The cache of free-text candidates between the learn and rewrite passes: bounded, and no cliff."""

from __future__ import annotations

import pytest

from workgym.anonymize.config import AnonConfig
from workgym.anonymize.detect import CandidateCache, TextDetector
from workgym.anonymize.directory import Directory
from workgym.anonymize.rewrite import Plan, Rewriter
from workgym.anonymize.spans import Span

KEY = bytes(range(32))


def texts(n: int) -> list[str]:
    return [
        f"message {i}: call me on 208-336-{4000 + i % 1000:04d} or mail jo{i}@example.org" for i in range(n)
    ]


def test_when_a_text_is_kept_then_it_comes_back_as_prose_only_and_others_do_not() -> None:
    cache = CandidateCache()
    span = Span("email", 0, 3, 0.99, "pattern")
    cache.put(True, "abc", [span])
    assert cache.get(True, "abc") == (span,)
    assert cache.get(False, "abc") is None  # structure is detected without the name layers
    assert cache.get(True, "abd") is None


def test_when_more_texts_come_than_the_budget_holds_then_the_first_ones_stay_and_the_cost_is_bounded() -> (
    None
):
    budget = 100 * (CandidateCache.ENTRY_BYTES + 2 * CandidateCache.SPAN_BYTES)
    cache = CandidateCache(budget)
    spans = [Span("phone", 0, 1, 0.9, "pattern"), Span("email", 2, 3, 0.99, "pattern")]
    for text in texts(1000):
        cache.put(True, text, spans)
    assert len(cache) == 100 and cache.used <= budget
    second_pass = [cache.get(True, text) is not None for text in texts(1000)]
    assert second_pass == [True] * 100 + [False] * 900  # the same order: the kept ones are met again


@pytest.mark.parametrize("kept", [0, 300, 1000])
def test_when_the_rewrite_pass_reads_what_the_learn_pass_read_then_it_detects_only_what_was_not_kept(
    kept: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    candidates = TextDetector.candidates

    def counted(self: TextDetector, text: str) -> list[Span]:
        nonlocal calls
        calls += 1
        return candidates(self, text)

    monkeypatch.setattr(TextDetector, "candidates", counted)
    sample = texts(1000)
    probe = CandidateCache()
    for text in sample:  # what the texts cost: the budget that keeps exactly ``kept`` of them
        probe.put(True, text, TextDetector().candidates(text))
    budget = sum(
        CandidateCache.ENTRY_BYTES + CandidateCache.SPAN_BYTES * len(probe.get(True, t) or ())
        for t in sample[:kept]
    )
    calls = 0
    rewriter = Rewriter(Plan(KEY, Directory(persons={}, domains=[]), AnonConfig()), CandidateCache(budget))
    learned = [rewriter.candidates(text, prose=True) for text in sample]
    assert calls == len(sample)
    rewritten = [rewriter.candidates(text, prose=True) for text in sample]
    assert calls == 2 * len(sample) - kept
    assert rewritten == learned
